/** Sentinel entity payloads in all three shapes (docs/architecture.md, "Sentinel playbook payloads"). */
import { describe, expect, it } from 'vitest';
import { parseProcessId, readSentinelEntities } from '../../../shared/api/sentinelEntities';

describe('readSentinelEntities', () => {
    it('incident trigger body: camelCase relatedEntities, ARM id', () => {
        const result = readSentinelEntities({
            object: {
                id: '/subscriptions/s/.../Incidents/abc',
                properties: {
                    relatedEntities: [
                        {
                            kind: 'Host',
                            properties: { hostName: 'WS01', dnsDomain: 'contoso.local', netBiosName: 'WS01' },
                        },
                        {
                            kind: 'Process',
                            properties: {
                                processId: '5150',
                                commandLine: 'svchost.exe -k fake',
                                creationTimeUtc: '2024-05-01T10:15:01.987Z',
                            },
                        },
                        { kind: 'File', properties: { directory: 'C:\\Windows\\System32', fileName: 'svchost.exe' } },
                    ],
                },
            },
        });
        expect(result).toEqual({
            ok: true,
            value: {
                incidentArmId: '/subscriptions/s/.../Incidents/abc',
                hosts: [{ names: ['ws01', 'ws01.contoso.local'] }],
                processes: [
                    {
                        processId: 5150,
                        commandLine: 'svchost.exe -k fake',
                        creationTimeUtc: '2024-05-01T10:15:01.987Z',
                        hostNames: [],
                    },
                ],
                files: ['svchost.exe'],
            },
        });
    });

    it('alert Entities as a JSON string, PascalCase, $ref resolved, hex ProcessId, linked image file', () => {
        const entities = [
            { $id: '2', HostName: 'WS01', DnsDomain: 'contoso.local', Type: 'host' },
            {
                $id: '3',
                ProcessId: '0x1eec',
                CommandLine: 'svchost.exe -k fake',
                ImageFile: { $id: '4', Directory: 'C:\\Windows\\System32', Name: 'svchost.exe', Type: 'file' },
                Host: { $ref: '2' },
                Type: 'process',
            },
        ];
        const result = readSentinelEntities({ SystemAlertId: 'a', Entities: JSON.stringify(entities) });
        expect(result.ok && result.value.processes).toEqual([
            {
                processId: 0x1eec,
                commandLine: 'svchost.exe -k fake',
                image: 'C:\\Windows\\System32\\svchost.exe',
                hostNames: ['ws01', 'ws01.contoso.local'],
            },
        ]);
    });

    it('a $ref cycle does not loop', () => {
        const result = readSentinelEntities([
            { $id: '1', Type: 'process', ProcessId: '1', ParentProcess: { $ref: '1' } },
        ]);
        expect(result.ok).toBe(true);
    });

    it.each([
        [{ Entities: 5 }, 'wrong-type', 'Entities'],
        [{ Entities: '[{' }, 'invalid-json', 'Entities'],
        [{ object: {} }, 'missing-field', 'object.properties'],
        ['text', 'unrecognized-body', 'body'],
        [null, 'unrecognized-body', 'body'],
    ])('bad body %j gives %s on %s', (body, code, field) => {
        expect(readSentinelEntities(body)).toEqual({ ok: false, problem: expect.objectContaining({ code, field }) });
    });

    it.each([
        ['0x1eec', 7916],
        ['7916', 7916],
        [7916, 7916],
        ['-1', undefined],
        ['0xZZ', undefined],
        ['', undefined],
    ])('parseProcessId(%j)', (value, expected) => {
        expect(parseProcessId(value)).toBe(expected);
    });
});
