/** A complete incident for delivery tests; optional fields are filled so every row column has a value. */
import type { Incident } from '../../shared/correlate/incident';

export function sampleIncident(id: string, version = 1, overrides: Partial<Incident> = {}): Incident {
    return {
        id,
        version,
        host: 'WS-01.contoso.local',
        technique: 'T1055.012',
        techniqueName: 'Process Hollowing',
        score: 80,
        severity: 'High',
        injector: {
            image: 'C:\\Users\\Ünï\\dropper "x".exe',
            processGuid: '{0f0e0d0c-0000-0000-0000-000000000002}',
            processId: 4100,
            commandLine: '"C:\\Users\\Ünï\\dropper "x".exe" /run',
            creationTime: '2026-11-25T09:59:59.000Z',
        },
        target: {
            image: 'C:\\Windows\\System32\\svchost.exe',
            processGuid: '{0f0e0d0c-0000-0000-0000-0000000000bb}',
            processId: 4242,
            commandLine: 'svchost.exe -k "netsvcs" 漢字😀',
            creationTime: '2026-11-25T10:00:00.000Z',
        },
        firstSeen: '2026-11-25T10:00:00.000Z',
        lastSeen: '2026-11-25T10:00:05.000Z',
        signals: [
            {
                name: 'remote-thread-unbacked',
                eventId: 8,
                recordId: 12,
                time: '2026-11-25T10:00:01.000Z',
                detail: 'start address in no module',
                points: 60,
            },
            {
                name: 'creator-reopened-with-code-rights',
                eventId: 10,
                time: '2026-11-25T10:00:00.500Z',
                detail: 'opened its own suspended child for writing',
                points: 20,
                grantedAccess: 0x1fffff,
            },
        ],
        contributions: [
            { signal: 'remote-thread-unbacked', points: 60 },
            { signal: 'creator-reopened-with-code-rights', points: 20 },
        ],
        explanation: 'dropper "x".exe hollowed svchost.exe',
        createdAt: '2026-11-25T10:00:06.000Z',
        updatedAt: '2026-11-25T10:00:06.000Z',
        ...overrides,
    };
}
