/** A complete, small incident for tests that need many of them; optional fields are left out unless given. */
import type { Incident } from '../../shared/correlate/incident';

export function sampleIncident(id: string, overrides: Partial<Incident> = {}): Incident {
    return {
        id,
        version: 1,
        host: 'ws01.contoso.local',
        technique: 'T1055.012',
        techniqueName: 'Process Hollowing',
        score: 80,
        severity: 'High',
        injector: { image: 'C:\\Users\\u\\dropper.exe', processGuid: `${id}-injector`, processId: 4100 },
        target: { image: 'C:\\Windows\\System32\\svchost.exe', processGuid: `${id}-target`, processId: 4242 },
        firstSeen: '2026-11-25T10:00:00.000Z',
        lastSeen: '2026-11-25T10:00:05.000Z',
        signals: [],
        contributions: [],
        explanation: 'dropper.exe -> svchost.exe: process hollowing, score 80.',
        createdAt: '2026-11-25T10:00:06.000Z',
        updatedAt: '2026-11-25T10:00:06.000Z',
        ...overrides,
    };
}

/** An id of the shape the API accepts (`hti-` and 14 hex digits). */
export function incidentId(n: number): string {
    return `hti-${n.toString(16).padStart(14, '0')}`;
}
