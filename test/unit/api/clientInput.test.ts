/** Client input that once yielded 500 (or unbounded work) is answered with a 400 naming what is wrong. */
import { describe, expect, it } from 'vitest';
import { enrichSentinelIncident } from '../../../shared/api/enrichSentinelIncident';
import { errorToHttp } from '../../../shared/api/http';
import type { HttpResult } from '../../../shared/api/http';
import type { IncidentsApiDependencies } from '../../../shared/api/incidentsApiDependencies';
import { listIncidents } from '../../../shared/api/listIncidents';
import { MAX_ENTITIES, MAX_HOST_NAMES } from '../../../shared/api/sentinelEntities';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryEnrichmentStore } from '../../../shared/ports/InMemoryEnrichmentStore';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { incidentId, sampleIncident } from '../../helpers/incidents';

async function depsWith(count: number): Promise<IncidentsApiDependencies> {
    const incidents = new InMemoryIncidentStore();
    await incidents.upsert(Array.from({ length: count }, (_, i) => sampleIncident(incidentId(i))));
    return { incidents, enrichmentStore: new InMemoryEnrichmentStore(), deadLetters: new InMemoryDeadLetterStore() };
}

/** What the HTTP layer answers: the use case's result, or its error through the one mapping. */
async function answer(run: () => Promise<HttpResult>): Promise<{ status: number; body: Record<string, unknown> }> {
    let result: HttpResult;
    try {
        result = await run();
    } catch (error) {
        result = errorToHttp(error, () => undefined);
    }
    return { status: result.status, body: JSON.parse(result.body) as Record<string, unknown> };
}

describe('client input never yields 500', () => {
    it.each([
        ['random base64', Buffer.from('random bytes \u00ff\u0001').toString('base64')],
        ['JSON with wrong field types', Buffer.from(JSON.stringify({ after: 42 })).toString('base64url')],
        ['the SDK shape with wrong types', Buffer.from(JSON.stringify({ nextPartitionKey: [1] })).toString('base64')],
        ['a bare id', incidentId(1)],
    ])('a tampered continuationToken (%s) is 400 invalid-continuation-token', async (_, token) => {
        const deps = await depsWith(3);
        const { status, body } = await answer(() =>
            listIncidents(new URLSearchParams({ limit: '1', continuationToken: token }), deps),
        );
        expect(status).toBe(400);
        expect(body).toMatchObject({ code: 'invalid-continuation-token', field: 'continuationToken' });
    });

    it('a continuationToken the API issued still pages', async () => {
        const deps = await depsWith(3);
        const first = JSON.parse((await listIncidents(new URLSearchParams({ limit: '2' }), deps)).body) as {
            continuationToken: string;
        };
        const second = await answer(() =>
            listIncidents(new URLSearchParams({ limit: '2', continuationToken: first.continuationToken }), deps),
        );
        expect(second.status).toBe(200);
        expect(second.body.incidents).toHaveLength(1);
    });

    it.each([
        ['a lone low surrogate', '\udfff'],
        ['a lone high surrogate inside a name', 'ws01\ud800.contoso.local'],
    ])('a Host entity name holding %s is 400 invalid-host-name', async (_, hostName) => {
        const deps = await depsWith(1);
        const { status, body } = await answer(() =>
            enrichSentinelIncident(JSON.stringify([{ kind: 'Host', properties: { hostName } }]), deps, new Date()),
        );
        expect(status).toBe(400);
        expect(body).toMatchObject({ code: 'invalid-host-name' });
    });

    /** A body of `limit + 1` entities is refused with 400 `code`; one of exactly `limit` is answered. */
    async function expectCapped(entity: (i: number) => object, limit: number, code: string): Promise<void> {
        const deps = await depsWith(1);
        const body = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => entity(i)));
        const over = await answer(() => enrichSentinelIncident(body(limit + 1), deps, new Date()));
        expect(over.status).toBe(400);
        expect(over.body).toMatchObject({ code });
        expect((await answer(() => enrichSentinelIncident(body(limit), deps, new Date()))).status).toBe(200);
    }

    it(`more than ${MAX_ENTITIES} entities is 400 too-many-entities; exactly ${MAX_ENTITIES} is answered`, async () => {
        await expectCapped((i) => ({ kind: 'File', properties: { name: `f${i}` } }), MAX_ENTITIES, 'too-many-entities');
    });

    it(`more than ${MAX_HOST_NAMES} distinct host names is 400 too-many-host-names`, async () => {
        await expectCapped(
            (i) => ({ kind: 'Host', properties: { hostName: `h${i}` } }),
            MAX_HOST_NAMES,
            'too-many-host-names',
        );
    });
});
