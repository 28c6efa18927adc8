/** Use cases behind the HTTP functions, on in-memory stores: matching rules, validation, health. */
import { describe, expect, it } from 'vitest';
import { InMemoryEnrichmentStore } from '../../../shared/ports/InMemoryEnrichmentStore';
import { errorToHttp } from '../../../shared/api/http';
import { enrichSentinelIncident } from '../../../shared/api/enrichSentinelIncident';
import { health } from '../../../shared/api/health';
import { hostMatches } from '../../../shared/api/matchIncidents';
import { listDeadLetters } from '../../../shared/api/listDeadLetters';
import { listIncidents } from '../../../shared/api/listIncidents';
import { MAX_DEAD_LETTERS_LISTED } from '../../../shared/api/deadLetterQuery';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import type { IncidentStore } from '../../../shared/ports/incidentStore';
import { StorageUnavailableError } from '../../../shared/errors';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import type { DeadLetter } from '../../../shared/ingest/deadLetter';

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
        const result = await enrichSentinelIncident(
            JSON.stringify([{ kind: 'Host', properties: { hostName: 'nowhere' } }]),
            {
                incidents: new InMemoryIncidentStore(),
                enrichmentStore: new InMemoryEnrichmentStore(),
                deadLetters: new InMemoryDeadLetterStore(),
            },
            new Date(),
        );
        expect(result.status).toBe(200);
        expect(JSON.parse(result.body)).toMatchObject({ matched: [], tags: [], severity: null });
    });

    it('health answers 503 when storage fails, without details', async () => {
        const broken: IncidentStore = {
            upsert: () => Promise.reject(new StorageUnavailableError('down')),
            get: () => Promise.reject(new StorageUnavailableError('down')),
            query: () => Promise.reject(new StorageUnavailableError('Could not read table x: HTTP 503')),
            hostsByShortName: () => Promise.reject(new StorageUnavailableError('down')),
        };
        const result = await health({ incidents: broken });
        expect(result.status).toBe(503);
        expect(JSON.parse(result.body)).toMatchObject({ status: 'unavailable', storage: 'unavailable' });
        expect(result.body).not.toMatch(/table x/);
    });

    it('storage failures map to 503 problem+json with Retry-After and no internals; unknown errors to a generic 500', () => {
        const logged: string[] = [];
        const unavailable = errorToHttp(new StorageUnavailableError("Could not read table 'secret': HTTP 503"), (m) =>
            logged.push(m),
        );
        expect(unavailable.status).toBe(503);
        expect(unavailable.headers['retry-after']).toBe('5');
        expect(unavailable.body).not.toMatch(/secret/);
        const crash = errorToHttp(new TypeError('x is undefined at C:\\src\\file.ts:1'), (m) => logged.push(m));
        expect(crash.status).toBe(500);
        expect(crash.body).not.toMatch(/TypeError|file\.ts/);
        expect(logged).toHaveLength(2);
    });

    it('list validates its parameters', async () => {
        await expect(
            listIncidents(new URLSearchParams('limit=5000'), {
                incidents: new InMemoryIncidentStore(),
                enrichmentStore: new InMemoryEnrichmentStore(),
                deadLetters: new InMemoryDeadLetterStore(),
            }),
        ).rejects.toMatchObject({ status: 400, field: 'limit' });
    });

    it('workspace enrichment runs once per incident version: a second playbook call is answered from the cache', async () => {
        const incidents = new InMemoryIncidentStore();
        const incident = {
            id: 'hti-00000000000001',
            version: 1,
            host: 'ws01.contoso.local',
            technique: 'T1055.002' as const,
            techniqueName: 'Process Injection: Portable Executable Injection',
            score: 60,
            severity: 'Medium' as const,
            injector: { processGuid: 'a', image: 'C:\\x\\m.exe' },
            target: { processGuid: 'b', image: 'C:\\Windows\\explorer.exe' },
            firstSeen: '2024-05-01T10:15:00.000Z',
            lastSeen: '2024-05-01T10:15:00.000Z',
            signals: [],
            contributions: [],
            explanation: 'x',
            createdAt: '2024-05-01T10:15:00.000Z',
            updatedAt: '2024-05-01T10:15:00.000Z',
        };
        await incidents.upsert([incident]);
        let calls = 0;
        const deps = {
            incidents,
            enrichmentStore: new InMemoryEnrichmentStore(),
            deadLetters: new InMemoryDeadLetterStore(),
            enricher: {
                enrichAll: (list: readonly unknown[]) => {
                    calls += list.length;
                    return Promise.resolve(
                        list.map(() => ({ status: 'complete', pairRarity: { occurrences: 1, hosts: 1 } })),
                    );
                },
                summarize: (e: unknown) => ({ status: (e as { status: string }).status, lines: ['pair seen once'] }),
            },
        };
        const body = JSON.stringify([{ kind: 'Host', properties: { hostName: 'WS01' } }]);
        const first = JSON.parse((await enrichSentinelIncident(body, deps, new Date())).body) as {
            matched: { enrichment: unknown }[];
            comment: { html: string };
        };
        await enrichSentinelIncident(body, deps, new Date());
        expect(calls).toBe(1);
        expect(first.matched[0]!.enrichment).toEqual({ status: 'complete', lines: ['pair seen once'] });
        expect(first.comment.html).toContain('pair seen once');
        await incidents.upsert([{ ...incident, version: 2 }]);
        await enrichSentinelIncident(body, deps, new Date());
        expect(calls).toBe(2); // a new version is enriched again
    });
});

describe('dead letters API', () => {
    const NOW = new Date('2026-11-26T08:00:00.000Z');

    function letter(id: string, day: string, reason = 'malformed-json'): DeadLetter {
        return {
            id,
            reason,
            detail: 'message is not valid JSON',
            raw: '{"EventID": 1,',
            rawTruncated: false,
            rawBytes: 14,
            messageIndex: 0,
            recordIndex: 0,
            rejectedAt: `${day}T07:00:00.000Z`,
        };
    }

    async function store(): Promise<InMemoryDeadLetterStore> {
        const deadLetters = new InMemoryDeadLetterStore();
        await deadLetters.putMany([
            letter('today', '2026-11-26'),
            letter('week-edge', '2026-11-20', 'malformed-xml'),
            letter('too-old', '2026-11-19'),
        ]);
        return deadLetters;
    }

    async function listed(
        query: string,
    ): Promise<{ sinceDay: string; deadLetters: DeadLetter[]; next: string | null }> {
        const result = await listDeadLetters(new URLSearchParams(query), { deadLetters: await store() }, NOW);
        expect(result.status).toBe(200);
        return JSON.parse(result.body) as { sinceDay: string; deadLetters: DeadLetter[]; next: string | null };
    }

    it('lists the last 7 UTC days (today and the six before) by default, newest first, whole letters', async () => {
        const answer = await listed('');
        expect(answer.sinceDay).toBe('2026-11-20');
        expect(answer.deadLetters).toEqual([
            letter('today', '2026-11-26'),
            letter('week-edge', '2026-11-20', 'malformed-xml'),
        ]);
    });

    it('filters by sinceDay, reason and limit', async () => {
        expect((await listed('sinceDay=2026-11-01')).deadLetters.map((l) => l.id)).toEqual([
            'today',
            'week-edge',
            'too-old',
        ]);
        expect((await listed('sinceDay=2026-11-01&reason=malformed-json')).deadLetters.map((l) => l.id)).toEqual([
            'today',
            'too-old',
        ]);
        expect((await listed('sinceDay=2026-11-01&limit=1')).deadLetters.map((l) => l.id)).toEqual(['today']);
    });

    it('pages with next / after', async () => {
        const first = await listed('sinceDay=2026-11-01&limit=2');
        expect([first.deadLetters.map((l) => l.id), first.next]).toEqual([
            ['today', 'week-edge'],
            '2026-11-20/week-edge',
        ]);
        const second = await listed(`sinceDay=2026-11-01&limit=2&after=${encodeURIComponent(first.next ?? '')}`);
        expect([second.deadLetters.map((l) => l.id), second.next]).toEqual([['too-old'], null]);
    });

    it.each([
        ['after=yesterday/x', 'after'],
        ['after=2026-11-20', 'after'],
        ['sinceDay=2026-02-30', 'sinceDay'],
        ['sinceDay=yesterday', 'sinceDay'],
        ["sinceDay=2026-11-01' or 'a' eq 'a", 'sinceDay'],
        ["reason=x' or PartitionKey ne '", 'reason'],
        ['reason=Malformed-JSON', 'reason'],
        [`limit=${MAX_DEAD_LETTERS_LISTED + 1}`, 'limit'],
        ['limit=0', 'limit'],
    ])('refuses %s with 400 naming %s', async (query, field) => {
        await expect(
            listDeadLetters(new URLSearchParams(query), { deadLetters: await store() }, NOW),
        ).rejects.toMatchObject({ status: 400, field });
    });
});
