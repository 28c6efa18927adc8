/** The HollowtraceIncidents_CL row: one definition of the columns, and a row that fills each of them. */
import { describe, expect, it } from 'vitest';
import { INCIDENT_ROW_COLUMNS, kqlSchema, tableColumnType, toIncidentRow } from '../../../shared/delivery/incidentRow';
import { sampleIncident } from '../../helpers/sampleIncident';

const NOW = new Date('2026-11-25T10:01:00.000Z');

describe('incident row', () => {
    it('column names follow the Logs Ingestion rules and avoid reserved names', () => {
        const names = INCIDENT_ROW_COLUMNS.map((c) => c.name);
        expect(new Set(names).size).toBe(names.length);
        for (const name of names) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_-]{0,44}$/);
        for (const reserved of ['Type', 'TenantId', '_ResourceId', 'id']) expect(names).not.toContain(reserved);
        expect(names[0]).toBe('TimeGenerated');
        for (const column of INCIDENT_ROW_COLUMNS) expect(column.description.length).toBeGreaterThan(10);
    });

    it('has the columns the issue asks for', () => {
        const names = INCIDENT_ROW_COLUMNS.map((c) => c.name);
        for (const name of [
            'TimeGenerated',
            'IncidentId',
            'Version',
            'Host',
            'Technique',
            'TechniqueName',
            'Score',
            'Severity',
            'InjectorImage',
            'InjectorProcessId',
            'InjectorProcessGuid',
            'InjectorCommandLine',
            'InjectorCreationTime',
            'TargetImage',
            'TargetProcessId',
            'TargetProcessGuid',
            'TargetCommandLine',
            'TargetCreationTime',
            'FirstSeen',
            'LastSeen',
            'Signals',
            'Explanation',
            'Tags',
        ])
            expect(names).toContain(name);
    });

    it('fills every column from the incident', () => {
        const row = toIncidentRow(sampleIncident('hti-00000000000001', 3), NOW);
        expect(Object.keys(row)).toEqual(INCIDENT_ROW_COLUMNS.map((c) => c.name));
        expect(row).toMatchObject({
            TimeGenerated: '2026-11-25T10:01:00.000Z',
            IncidentId: 'hti-00000000000001',
            Version: 3,
            Host: 'WS-01.contoso.local',
            HostName: 'WS-01',
            DnsDomain: 'contoso.local',
            Technique: 'T1055.012',
            Tactics: 'DefenseEvasion,PrivilegeEscalation',
            Severity: 'High',
            InjectorImage: 'C:\\Users\\Ünï\\dropper "x".exe',
            InjectorFileName: 'dropper "x".exe',
            InjectorDirectory: 'C:\\Users\\Ünï',
            InjectorProcessId: 4100,
            InjectorCreationTime: '2026-11-25T09:59:59.000Z',
            TargetFileName: 'svchost.exe',
            TargetDirectory: 'C:\\Windows\\System32',
            TargetCommandLine: 'svchost.exe -k "netsvcs" 漢字😀',
            Tags: ['hollowtrace', 'T1055.012', 'process-hollowing'],
        });
        const signals = row.Signals as Record<string, unknown>[];
        expect(signals[0]).toEqual({
            name: 'remote-thread-unbacked',
            points: 60,
            time: '2026-11-25T10:00:01.000Z',
            eventId: 8,
            recordId: 12,
            explanation: 'start address in no module',
        });
        expect(signals[1]!.access).toMatchObject({ mask: '0x1fffff' });
        expect((signals[1]!.access as { rights: string[] }).rights).toContain('PROCESS_VM_WRITE');
        // The row survives the JSON round trip of the upload unchanged.
        expect(JSON.parse(JSON.stringify(row))).toEqual(row);
    });

    it('leaves unknown process facts empty (null ids, never 0) and keeps IP hosts whole', () => {
        const row = toIncidentRow(
            sampleIncident('hti-2', 1, {
                host: '10.1.2.3',
                technique: 'T1055',
                injector: { processGuid: '' },
                target: { processGuid: '{x}' },
            }),
            NOW,
        );
        expect(row).toMatchObject({
            HostName: '10.1.2.3',
            DnsDomain: '',
            InjectorImage: '',
            InjectorFileName: '',
            InjectorProcessId: null,
            InjectorCreationTime: null,
            TargetCommandLine: '',
            Tags: ['hollowtrace', 'T1055', 'process-injection'],
        });
    });

    it('cuts very long text well below the 64 KB field limit and says so', () => {
        const long = 'A'.repeat(100_000);
        const row = toIncidentRow(
            sampleIncident('hti-3', 1, { target: { processGuid: '{t}', commandLine: long } }),
            NOW,
        );
        const value = row.TargetCommandLine as string;
        expect(Buffer.byteLength(value)).toBeLessThan(64 * 1024);
        expect(value.endsWith('… (cut)')).toBe(true);
    });

    it('spells the types for the table and for KQL', () => {
        expect(tableColumnType('datetime')).toBe('dateTime');
        expect(tableColumnType('dynamic')).toBe('dynamic');
        expect(kqlSchema()).toMatch(/^\(TimeGenerated:datetime, IncidentId:string, Version:int, /);
    });
});
