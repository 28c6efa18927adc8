/** Use cases behind the HTTP functions, on in-memory stores: matching rules, validation, health. */
import { describe, expect, it } from 'vitest';
import { InMemoryEnrichmentStore } from '../../../shared/api/enrichmentStore';
import { errorToHttp } from '../../../shared/api/http';
import { enrichSentinelIncident, health, hostMatches, listIncidents } from '../../../shared/api/incidentsApi';
import { InMemoryIncidentStore } from '../../../shared/correlate/incidentStore';
import type { IncidentStore } from '../../../shared/correlate/incidentStore';
import { StorageUnavailableError } from '../../../shared/errors';

describe('incidents API', () => {
    it.each([
        ['ws01.contoso.local', 'WS01', true],
        ['ws01.contoso.local', 'ws01.contoso.local', true],
        ['ws01', 'WS01.contoso.local', true],
        ['ws01.contoso.local', 'ws01.fabrikam.local', false],
        ['ws01.contoso.local', 'ws011', false],
    ])('hostMatches(%s, %s) is %s', (incidentHost, name, expected) => {
        expect(hostMatches(incidentHost, name)).toBe(expected);
    });

    it('with no match the answer still comes: empty list, null severity, a comment saying so', async () => {
        const result = await enrichSentinelIncident(JSON.stringify([{ kind: 'Host', properties: { hostName: 'nowhere' } }]), { incidents: new InMemoryIncidentStore(), enrichmentStore: new InMemoryEnrichmentStore() }, new Date());
        expect(result.status).toBe(200);
        expect(JSON.parse(result.body)).toMatchObject({ matched: [], tags: [], severity: null });
    });

    it('health answers 503 when storage fails, without details', async () => {
        const broken: IncidentStore = {
            upsert: () => Promise.reject(new StorageUnavailableError('down')),
            get: () => Promise.reject(new StorageUnavailableError('down')),
            query: () => Promise.reject(new StorageUnavailableError('Could not read table x: HTTP 503')),
        };
        const result = await health({ incidents: broken });
        expect(result.status).toBe(503);
        expect(JSON.parse(result.body)).toMatchObject({ status: 'unavailable', storage: 'unavailable' });
        expect(result.body).not.toMatch(/table x/);
    });

    it('storage failures map to 503 problem+json with Retry-After and no internals; unknown errors to a generic 500', () => {
        const logged: string[] = [];
        const unavailable = errorToHttp(new StorageUnavailableError("Could not read table 'secret': HTTP 503"), (m) => logged.push(m));
        expect(unavailable.status).toBe(503);
        expect(unavailable.headers['retry-after']).toBe('5');
        expect(unavailable.body).not.toMatch(/secret/);
        const crash = errorToHttp(new TypeError('x is undefined at C:\\src\\file.ts:1'), (m) => logged.push(m));
        expect(crash.status).toBe(500);
        expect(crash.body).not.toMatch(/TypeError|file\.ts/);
        expect(logged).toHaveLength(2);
    });

    it('list validates its parameters', async () => {
        await expect(listIncidents(new URLSearchParams('limit=5000'), { incidents: new InMemoryIncidentStore(), enrichmentStore: new InMemoryEnrichmentStore() })).rejects.toMatchObject({ status: 400, field: 'limit' });
    });
});
