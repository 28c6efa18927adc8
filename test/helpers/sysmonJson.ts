/**
 * The JSON body of a Sysmon process creation (EID 1) as a forwarder that flattens EventData sends it to stage 1.
 * `fields` replace fields in place or add new ones at the end.
 */
export function processCreateJson(fields: Record<string, unknown> = {}): string {
    return JSON.stringify({
        EventID: 1,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: 'WS01.contoso.local',
        UtcTime: '2024-05-01 10:15:01.987',
        ProcessGuid: '{3710B5C6-1243-6182-8303-000000000A00}',
        ProcessId: '4044',
        Image: 'C:\\Windows\\System32\\svchost.exe',
        CommandLine: 'svchost.exe',
        ParentProcessGuid: '{3710b5c6-1200-6182-8303-000000000a00}',
        ParentImage: 'C:\\Users\\u\\evil.exe',
        ...fields,
    });
}
