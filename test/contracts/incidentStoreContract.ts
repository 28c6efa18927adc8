/**
 * @module Behaviour every `IncidentStore` must show, run against each implementation
 * (test/unit/ports/inMemoryStores.test.ts, test/integration/tableStores.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../shared/correlate/incident';
import { InvalidContinuationTokenError } from '../../shared/errors';
import type { IncidentQuery, IncidentStore } from '../../shared/ports/incidentStore';
import { sampleIncident } from '../helpers/sampleIncident';

/**
 * The shared sample with the edge values a store must keep exactly: a target command line with quotes, non-ASCII and a
 * line separator, and a signal with Event Hub coordinates at the largest safe sequence number.
 */
function incident(id: string, overrides: Partial<Incident> = {}): Incident {
    const sample = sampleIncident(id);
    return {
        ...sample,
        target: { ...sample.target, commandLine: 'svchost.exe -k "netsvcs" \'x\' 漢字😀 \u2028' },
        signals: [
            ...sample.signals,
            {
                name: 'image-replaced',
                eventId: 25,
                time: '2026-11-25T10:00:05.000Z',
                detail: 'Image is replaced',
                points: 60,
                partitionId: '3',
                sequenceNumber: Number.MAX_SAFE_INTEGER,
            },
        ],
        ...overrides,
    };
}

function ids(incidents: readonly Incident[]): string[] {
    return incidents.map((i) => i.id).sort();
}

/** Every incident matching `query`, following continuation tokens; fails on a runaway loop. */
async function queryAll(store: IncidentStore, query: IncidentQuery): Promise<Incident[]> {
    const all: Incident[] = [];
    let continuationToken: string | undefined;
    for (let page = 0; page < 50; page++) {
        const result = await store.query({
            ...query,
            ...(continuationToken !== undefined ? { continuationToken } : {}),
        });
        all.push(...result.incidents);
        continuationToken = result.continuationToken;
        if (continuationToken === undefined) return all;
    }
    throw new Error('query kept returning continuation tokens');
}

/** Six incidents over two hosts, three times, two techniques and four scores, for the filter cases. */
const FILTER_SET: readonly Incident[] = [
    incident('hti-a1', { host: 'WS-01', lastSeen: '2026-11-24T23:59:59.999Z', technique: 'T1055.012', score: 95 }),
    incident('hti-a2', { host: 'ws-01', lastSeen: '2026-11-25T10:00:00.000Z', technique: 'T1055', score: 60 }),
    incident('hti-a3', { host: 'Ws-01', lastSeen: '2026-11-25T12:00:00.000Z', technique: 'T1055.012', score: 70 }),
    incident('hti-b1', { host: 'WS-02', lastSeen: '2026-11-25T10:00:00.000Z', technique: 'T1055.012', score: 60 }),
    incident('hti-b2', { host: 'WS-02', lastSeen: '2026-11-25T23:00:00.000Z', technique: 'T1055', score: 100 }),
    incident('hti-b3', { host: 'WS-02', lastSeen: '2026-11-26T00:00:00.000Z', technique: 'T1055.012', score: 59 }),
];

/**
 * Declares the incident-store contract for one implementation.
 * @param name - Shown in the test report.
 * @param makeStore - Returns a fresh, empty store for each case.
 */
export function incidentStoreContract(name: string, makeStore: () => Promise<IncidentStore>): void {
    describe(`IncidentStore contract: ${name}`, () => {
        it('round-trips an incident exactly through upsert and get', async () => {
            const store = await makeStore();
            const minimal = incident('hti-minimal', {
                injector: { processGuid: 'g1' },
                target: { processGuid: 'g2' },
                signals: [],
                contributions: [],
                explanation: '',
            });
            await store.upsert([incident('hti-full'), minimal]);
            await expect(store.get('hti-full')).resolves.toStrictEqual(incident('hti-full'));
            await expect(store.get('hti-minimal')).resolves.toStrictEqual(minimal);
            await expect(store.get('hti-unknown')).resolves.toBeUndefined();
        });

        it('accepts an empty batch', async () => {
            const store = await makeStore();
            await store.upsert([]);
            await expect(store.query({})).resolves.toStrictEqual({ incidents: [] });
        });

        it('never replaces a newer version with an older one, and replaces an older one with a newer one', async () => {
            const store = await makeStore();
            await store.upsert([incident('hti-v', { version: 2, score: 70 })]);
            await store.upsert([incident('hti-v', { version: 1, score: 10 })]);
            await expect(store.get('hti-v')).resolves.toStrictEqual(incident('hti-v', { version: 2, score: 70 }));
            await store.upsert([incident('hti-v', { version: 3, score: 90 })]);
            await expect(store.get('hti-v')).resolves.toStrictEqual(incident('hti-v', { version: 3, score: 90 }));
            // Within one call too, whatever the order.
            await store.upsert([
                incident('hti-v', { version: 5, score: 95 }),
                incident('hti-v', { version: 4, score: 40 }),
            ]);
            await expect(store.get('hti-v')).resolves.toStrictEqual(incident('hti-v', { version: 5, score: 95 }));
            await expect(queryAll(store, {})).resolves.toHaveLength(1);
        });

        it('filters by host, case-insensitively', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            expect(ids(await queryAll(store, { host: 'ws-01' }))).toStrictEqual(['hti-a1', 'hti-a2', 'hti-a3']);
            expect(ids(await queryAll(store, { host: 'WS-02' }))).toStrictEqual(['hti-b1', 'hti-b2', 'hti-b3']);
            expect(ids(await queryAll(store, { host: 'ws-03' }))).toStrictEqual([]);
            // Each incident comes back as stored, host casing included.
            const one = await queryAll(store, { host: 'WS-01' });
            expect(one.find((i) => i.id === 'hti-a3')).toStrictEqual(FILTER_SET[2]);
        });

        it('filters by lastSeen, since and until inclusive', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            expect(ids(await queryAll(store, { since: '2026-11-25T10:00:00.000Z' }))).toStrictEqual([
                'hti-a2',
                'hti-a3',
                'hti-b1',
                'hti-b2',
                'hti-b3',
            ]);
            expect(ids(await queryAll(store, { until: '2026-11-25T10:00:00.000Z' }))).toStrictEqual([
                'hti-a1',
                'hti-a2',
                'hti-b1',
            ]);
            expect(
                ids(await queryAll(store, { since: '2026-11-25T00:00:00.000Z', until: '2026-11-25T23:59:59.999Z' })),
            ).toStrictEqual(['hti-a2', 'hti-a3', 'hti-b1', 'hti-b2']);
        });

        it('filters by technique', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            expect(ids(await queryAll(store, { technique: 'T1055' }))).toStrictEqual(['hti-a2', 'hti-b2']);
            expect(ids(await queryAll(store, { technique: 'T1055.001' }))).toStrictEqual([]);
        });

        it('filters by minimum score, inclusive', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            expect(ids(await queryAll(store, { minScore: 60 }))).toStrictEqual([
                'hti-a1',
                'hti-a2',
                'hti-a3',
                'hti-b1',
                'hti-b2',
            ]);
            expect(ids(await queryAll(store, { minScore: 95 }))).toStrictEqual(['hti-a1', 'hti-b2']);
            expect(ids(await queryAll(store, { minScore: 69.5 }))).toStrictEqual(['hti-a1', 'hti-a3', 'hti-b2']);
            expect(ids(await queryAll(store, { minScore: 0 }))).toHaveLength(6);
        });

        it('combines filters', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            const query: IncidentQuery = {
                host: 'wS-02',
                since: '2026-11-25T00:00:00.000Z',
                technique: 'T1055.012',
                minScore: 60,
            };
            expect(ids(await queryAll(store, query))).toStrictEqual(['hti-b1']);
            expect(ids(await queryAll(store, { ...query, minScore: 61 }))).toStrictEqual([]);
            expect(
                ids(await queryAll(store, { host: 'ws-01', until: '2026-11-25T10:00:00.000Z', minScore: 90 })),
            ).toStrictEqual(['hti-a1']);
        });

        it('stores and finds a host whose name holds \' and "', async () => {
            const store = await makeStore();
            const odd = incident('hti-odd', { host: 'O\'Brien "PC"/#1' });
            const plain = incident('hti-plain', { host: 'O' });
            await store.upsert([odd, plain]);
            await expect(store.get('hti-odd')).resolves.toStrictEqual(odd);
            expect(await queryAll(store, { host: 'o\'brien "pc"/#1' })).toStrictEqual([odd]);
            // Quoting must not let the value escape into the filter: these match nothing.
            expect(await queryAll(store, { host: "o' or PartitionKey ne '" })).toStrictEqual([]);
            expect(await queryAll(store, { host: "o'brien" })).toStrictEqual([]);
        });

        it('pages with a continuation token, returning every incident exactly once', async () => {
            const store = await makeStore();
            const five = Array.from({ length: 5 }, (_, i) =>
                incident(`hti-page-${String(i)}`, { host: i % 2 === 0 ? 'ws-even' : 'ws-odd' }),
            );
            await store.upsert(five);
            const seen: string[] = [];
            let continuationToken: string | undefined;
            let pages = 0;
            do {
                const page = await store.query({
                    limit: 2,
                    ...(continuationToken !== undefined ? { continuationToken } : {}),
                });
                expect(page.incidents.length).toBeLessThanOrEqual(2);
                seen.push(...page.incidents.map((i) => i.id));
                continuationToken = page.continuationToken;
                pages++;
            } while (continuationToken !== undefined && pages < 10);
            expect(continuationToken).toBeUndefined();
            expect(pages).toBeGreaterThanOrEqual(3);
            expect(seen).toHaveLength(5);
            expect([...seen].sort()).toStrictEqual(ids(five));
        });

        it('honours limit, returning the rest through the continuation token', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            const first = await store.query({ host: 'ws-02', limit: 1 });
            expect(first.incidents).toHaveLength(1);
            expect(first.continuationToken).toBeDefined();
            const rest = await queryAll(store, {
                host: 'ws-02',
                limit: 1000,
                ...(first.continuationToken !== undefined ? { continuationToken: first.continuationToken } : {}),
            });
            expect(ids([...first.incidents, ...rest])).toStrictEqual(['hti-b1', 'hti-b2', 'hti-b3']);
        });

        it('lists the hosts sharing a short host name, lower-cased and sorted, whatever the casing asked', async () => {
            const store = await makeStore();
            await store.upsert([
                incident('hti-s1', { host: 'WS01.contoso.local' }),
                incident('hti-s2', { host: 'ws01.Fabrikam.local' }),
                incident('hti-s3', { host: 'WS01' }),
                incident('hti-s4', { host: 'ws01.contoso.local' }),
                incident('hti-s5', { host: 'ws011.contoso.local' }),
                incident('hti-s6', { host: 'Ünï-PC.contoso.local' }),
            ]);
            await expect(store.hostsByShortName('ws01')).resolves.toStrictEqual([
                'ws01',
                'ws01.contoso.local',
                'ws01.fabrikam.local',
            ]);
            await expect(store.hostsByShortName('WS01')).resolves.toHaveLength(3);
            await expect(store.hostsByShortName('ünï-pc')).resolves.toStrictEqual(['ünï-pc.contoso.local']);
            await expect(store.hostsByShortName('ws02')).resolves.toStrictEqual([]);
            await expect(store.hostsByShortName('ws01.contoso.local')).resolves.toStrictEqual([]);
            await expect(store.hostsByShortName('\udfff')).resolves.toStrictEqual([]);
        });

        it('refuses a continuation token it did not issue with InvalidContinuationTokenError', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            const issued = (await store.query({ limit: 1 })).continuationToken;
            expect(issued).toBeDefined();
            const tampered = [
                '',
                'not base64 at all %%%',
                Buffer.from('{"nextPartitionKey":').toString('base64'),
                Buffer.from(JSON.stringify({ nextPartitionKey: 42, nextRowKey: ['x'] })).toString('base64'),
                Buffer.from(JSON.stringify({ pk: { a: 1 }, rk: 7, after: null })).toString('base64url'),
                Buffer.from(JSON.stringify(['hti-a1'])).toString('base64url'),
                Buffer.from('\u0000\u00ff\ud800').toString('base64'),
                'hti-a1',
                `${issued!}x`,
            ];
            for (const continuationToken of tampered) {
                await expect(store.query({ limit: 1, continuationToken }), continuationToken).rejects.toBeInstanceOf(
                    InvalidContinuationTokenError,
                );
            }
        });

        it('matches nothing for a host name holding a lone surrogate', async () => {
            const store = await makeStore();
            await store.upsert(FILTER_SET);
            await expect(store.query({ host: 'ws-01\udfff' })).resolves.toStrictEqual({ incidents: [] });
            await expect(store.get('hti-a1\ud800')).resolves.toBeUndefined();
        });

        it('pages across hosts with non-ASCII names, every incident exactly once', async () => {
            const store = await makeStore();
            const hosts = ['Ünï-01', 'ünï-02', '漢字-03', 'ws-04'];
            const all = hosts.flatMap((host, h) =>
                [0, 1].map((i) => incident(`hti-u${String(h)}${String(i)}`, { host })),
            );
            await store.upsert(all);
            const seen: string[] = [];
            let continuationToken: string | undefined;
            for (let pages = 0; pages < 20; pages++) {
                const page = await store.query({
                    limit: 3,
                    ...(continuationToken !== undefined ? { continuationToken } : {}),
                });
                seen.push(...page.incidents.map((i) => i.id));
                continuationToken = page.continuationToken;
                if (continuationToken === undefined) break;
            }
            expect(continuationToken).toBeUndefined();
            expect([...seen].sort()).toStrictEqual(ids(all));
        });
    });
}
