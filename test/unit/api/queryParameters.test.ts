/** Query parameters of the incidents API: times are RFC 3339 instants or a 400 naming the parameter. */
import { describe, expect, it } from 'vitest';
import { listIncidents } from '../../../shared/api/listIncidents';
import { parseInstant } from '../../../shared/api/queryParameters';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryEnrichmentStore } from '../../../shared/ports/InMemoryEnrichmentStore';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';

const deps = () => ({
    incidents: new InMemoryIncidentStore(),
    enrichmentStore: new InMemoryEnrichmentStore(),
    deadLetters: new InMemoryDeadLetterStore(),
});

describe('since and until', () => {
    it.each([
        ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.000Z'],
        ['2026-11-25t10:00:00.5z', '2026-11-25T10:00:00.500Z'],
        ['2026-11-25T11:30:00.123456789+01:30', '2026-11-25T10:00:00.123Z'],
        ['2024-02-29T23:59:59-00:00', '2024-02-29T23:59:59.000Z'],
    ])('%s is the instant %s', (value, expected) => {
        expect(parseInstant(value)).toBe(expected);
    });

    it.each([
        '1',
        '-1',
        '+275760-09-13T00:00:00.000Z',
        '2026-11-25',
        '2026-11-25T10:00Z',
        '2026-11-25T10:00:00',
        '2026-02-30T00:00:00Z',
        '2026-11-25T24:00:00Z',
        '2026-11-25T10:00:60Z',
        '2026-11-25T10:00:00+24:00',
        'Nov 25 2026 10:00:00 GMT',
        '2026-11-25T10:00:00.Z',
    ])('%s is refused with 400 invalid-time naming the parameter', async (value) => {
        expect(parseInstant(value)).toBeUndefined();
        for (const name of ['since', 'until']) {
            await expect(listIncidents(new URLSearchParams({ [name]: value }), deps())).rejects.toMatchObject({
                status: 400,
                code: 'invalid-time',
                field: name,
            });
        }
    });
});
