/**
 * `enrichIncident` over an in-memory fake port: complete, partial (failed part, incomplete part, bad hash),
 * everything failed, not configured, invalid incident, and timeouts (a port that honours its abort signal and one
 * that ignores it).
 */
import { MAVINJECT_ENRICHMENT_INPUT, MAVINJECT_WORKSPACE_FACTS } from '../../helpers/enrichmentInput';
import { describe, expect, it } from 'vitest';

import { ABORT_GRACE_MS, enrichIncident, WorkspaceQueryError } from '../../../shared/enrich/enrichment';
import type { EnrichmentInput } from '../../../shared/enrich/enrichment';
import type { WorkspaceQuery, WorkspaceQueryResult } from '../../../shared/ports/workspaceQuery';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const OPTIONS = { timeoutMs: 2_000, now: NOW };

const INPUT: EnrichmentInput = MAVINJECT_ENRICHMENT_INPUT;

type Answer = WorkspaceQueryResult | Error | 'hang' | 'hang-until-aborted';

const { pairRarity, hashRarity, alertsOnHost, targetConnections } = MAVINJECT_WORKSPACE_FACTS;
const ANSWERS: Record<string, WorkspaceQueryResult> = {
    pairRarity: {
        status: 'success',
        tables: [{ columns: ['Occurrences', 'Hosts'], rows: [[pairRarity.occurrences, pairRarity.hosts]] }],
    },
    hashRarity: {
        status: 'success',
        tables: [{ columns: ['Occurrences', 'Hosts'], rows: [[hashRarity.occurrences, hashRarity.hosts]] }],
    },
    alertsOnHost: {
        status: 'success',
        tables: [{ columns: ['Alerts', 'AlertNames'], rows: [[alertsOnHost.count, alertsOnHost.names]] }],
    },
    targetConnections: {
        status: 'success',
        tables: [
            {
                columns: ['Connections', 'Destinations'],
                rows: [[targetConnections.count, targetConnections.destinations]],
            },
        ],
    },
};

/** The part name from the query's first line (`// hollowtrace enrichment: <name> ...`). */
function partOf(kql: string): string {
    return /^\/\/ hollowtrace enrichment: (\w+)/.exec(kql)?.[1] ?? 'unknown';
}

/** A port answering per part; records every call. */
function fakePort(
    overrides: Record<string, Answer> = {},
): WorkspaceQuery & { calls: { part: string; timeoutMs: number; signal?: AbortSignal }[] } {
    const calls: { part: string; timeoutMs: number; signal?: AbortSignal }[] = [];
    return {
        calls,
        query(kql, _timespan, options) {
            const part = partOf(kql);
            calls.push({
                part,
                timeoutMs: options.timeoutMs,
                ...(options.abortSignal && { signal: options.abortSignal }),
            });
            const answer = overrides[part] ?? ANSWERS[part];
            if (answer === undefined) return Promise.reject(new Error(`no answer for ${part}`));
            if (answer === 'hang') return new Promise<never>(() => undefined);
            if (answer === 'hang-until-aborted') {
                return new Promise<never>((_resolve, reject) => {
                    options.abortSignal?.addEventListener('abort', () =>
                        reject(
                            new WorkspaceQueryError(
                                'throttled',
                                'throttled by the workspace (HTTP 429, retry after 30 s)',
                                { httpStatus: 429, retryAfterSeconds: 30 },
                            ),
                        ),
                    );
                });
            }
            if (answer instanceof Error) return Promise.reject(answer);
            return Promise.resolve(answer);
        },
    };
}

describe('enrichIncident', () => {
    it('fills every part and reports complete', async () => {
        const port = fakePort();
        const enrichment = await enrichIncident(INPUT, port, OPTIONS);
        expect(enrichment).toEqual({
            status: 'complete',
            ...MAVINJECT_WORKSPACE_FACTS,
            retrievedAt: '2026-01-01T00:00:00.000Z',
        });
        expect(port.calls.map((c) => c.part).sort()).toEqual([
            'alertsOnHost',
            'hashRarity',
            'pairRarity',
            'targetConnections',
        ]);
        expect(port.calls.every((c) => c.timeoutMs === 2_000 && c.signal instanceof AbortSignal)).toBe(true);
    });

    it('reads empty summaries as zero and accepts numeric strings and JSON-string lists', async () => {
        const port = fakePort({
            pairRarity: { status: 'success', tables: [{ columns: ['Occurrences', 'Hosts'], rows: [[null, 0]] }] },
            hashRarity: { status: 'success', tables: [{ columns: ['Occurrences', 'Hosts'], rows: [] }] },
            alertsOnHost: {
                status: 'success',
                tables: [{ columns: ['Alerts', 'AlertNames'], rows: [['7', '["A","B"]']] }],
            },
        });
        const enrichment = await enrichIncident(INPUT, port, OPTIONS);
        expect(enrichment.status).toBe('complete');
        expect(enrichment.pairRarity).toEqual({ occurrences: 0, hosts: 0 });
        expect(enrichment.hashRarity).toEqual({ occurrences: 0, hosts: 0 });
        expect(enrichment.alertsOnHost).toEqual({ count: 7, names: ['A', 'B'] });
    });

    it('skips parts that do not apply without calling them failures', async () => {
        const { injectorSha256: _h, injectorImage: _i, ...rest } = INPUT;
        const port = fakePort();
        const enrichment = await enrichIncident(rest, port, OPTIONS);
        expect(enrichment.status).toBe('complete');
        expect(enrichment.pairRarity).toBeUndefined();
        expect(enrichment.hashRarity).toBeUndefined();
        expect(port.calls.map((c) => c.part).sort()).toEqual(['alertsOnHost', 'targetConnections']);
    });

    it('is partial, with a reason per failed part, when some queries fail', async () => {
        const port = fakePort({
            pairRarity: new WorkspaceQueryError(
                'throttled',
                'throttled by the workspace (HTTP 429, retry after 12 s)',
                { httpStatus: 429, retryAfterSeconds: 12 },
            ),
            targetConnections: new WorkspaceQueryError(
                'bad-query',
                'query rejected by the workspace (HTTP 400 BadArgumentError: bad)',
                { httpStatus: 400 },
            ),
        });
        const enrichment = await enrichIncident(INPUT, port, OPTIONS);
        expect(enrichment.status).toBe('partial');
        expect(enrichment.reason).toBe(
            'pairRarity: throttled by the workspace (HTTP 429, retry after 12 s); targetConnections: query rejected by the workspace (HTTP 400 BadArgumentError: bad)',
        );
        expect(enrichment.pairRarity).toBeUndefined();
        expect(enrichment.targetConnections).toBeUndefined();
        expect(enrichment.hashRarity).toEqual(hashRarity);
        expect(enrichment.alertsOnHost?.count).toBe(2);
    });

    it('keeps the values of an incomplete (partial) answer and says so', async () => {
        const port = fakePort({
            alertsOnHost: {
                ...ANSWERS.alertsOnHost!,
                status: 'partial',
                partialError: 'PartialError: query result truncated',
            },
        });
        const enrichment = await enrichIncident(INPUT, port, OPTIONS);
        expect(enrichment.status).toBe('partial');
        expect(enrichment.reason).toBe(
            'alertsOnHost: incomplete result from the workspace (PartialError: query result truncated)',
        );
        expect(enrichment.alertsOnHost?.count).toBe(2);
    });

    it('reports unexpected result shapes and plain errors of a port', async () => {
        const port = fakePort({
            pairRarity: { status: 'success', tables: [{ columns: ['Whatever'], rows: [[1]] }] },
            hashRarity: new TypeError('boom'),
        });
        const enrichment = await enrichIncident(INPUT, port, OPTIONS);
        expect(enrichment.status).toBe('partial');
        expect(enrichment.reason).toBe(
            'pairRarity: unexpected result: result has no column Occurrences; hashRarity: failed: boom',
        );
    });

    it('skips only the hash part when the hash is malformed', async () => {
        const port = fakePort();
        const enrichment = await enrichIncident({ ...INPUT, injectorSha256: 'not-a-hash' }, port, OPTIONS);
        expect(enrichment.status).toBe('partial');
        expect(enrichment.reason).toBe('hashRarity: skipped, injectorSha256 is not a SHA256 (64 hexadecimal digits)');
        expect(enrichment.pairRarity).toEqual(pairRarity);
        expect(port.calls.map((c) => c.part)).not.toContain('hashRarity');
    });

    it('is unavailable, with every reason, when every query fails', async () => {
        const denied = new WorkspaceQueryError('forbidden', 'access denied (HTTP 403 InsufficientAccessError: no)', {
            httpStatus: 403,
        });
        const port = fakePort({
            pairRarity: denied,
            hashRarity: denied,
            alertsOnHost: denied,
            targetConnections: denied,
        });
        const enrichment = await enrichIncident(INPUT, port, OPTIONS);
        expect(enrichment).toEqual({
            status: 'unavailable',
            reason:
                'every workspace query failed: pairRarity: access denied (HTTP 403 InsufficientAccessError: no); hashRarity: access denied (HTTP 403 InsufficientAccessError: no); ' +
                'alertsOnHost: access denied (HTTP 403 InsufficientAccessError: no); targetConnections: access denied (HTTP 403 InsufficientAccessError: no)',
            retrievedAt: '2026-01-01T00:00:00.000Z',
        });
    });

    it('is unavailable when no workspace is configured', async () => {
        expect(await enrichIncident(INPUT, undefined, OPTIONS)).toEqual({
            status: 'unavailable',
            reason: 'workspace not configured',
            retrievedAt: '2026-01-01T00:00:00.000Z',
        });
    });

    it('is unavailable, without querying, for an incident it cannot query', async () => {
        const port = fakePort();
        const enrichment = await enrichIncident({ ...INPUT, firstSeen: 'not a date' }, port, OPTIONS);
        expect(enrichment).toEqual({
            status: 'unavailable',
            reason: 'invalid incident for enrichment: firstSeen is not a date: "not a date"',
            retrievedAt: '2026-01-01T00:00:00.000Z',
        });
        expect(port.calls).toEqual([]);
    });

    it('gives up on a port that ignores its abort signal shortly after the deadline', async () => {
        const port = fakePort({ targetConnections: 'hang' });
        const started = performance.now();
        const enrichment = await enrichIncident(INPUT, port, { timeoutMs: 80, now: NOW });
        const elapsed = performance.now() - started;
        expect(enrichment.status).toBe('partial');
        expect(enrichment.reason).toBe('targetConnections: timed out after 80 ms');
        expect(enrichment.pairRarity).toEqual(pairRarity);
        expect(elapsed).toBeGreaterThanOrEqual(70);
        expect(elapsed).toBeLessThan(80 + ABORT_GRACE_MS + 400);
    });

    it("aborts the signal it passed at the deadline and keeps the port's own reason", async () => {
        const port = fakePort({
            pairRarity: 'hang-until-aborted',
            hashRarity: 'hang',
            alertsOnHost: 'hang',
            targetConnections: 'hang',
        });
        const enrichment = await enrichIncident(INPUT, port, { timeoutMs: 50, now: NOW });
        expect(port.calls.every((c) => c.signal?.aborted)).toBe(true);
        expect(enrichment).toEqual({
            status: 'unavailable',
            reason:
                'every workspace query failed: pairRarity: throttled by the workspace (HTTP 429, retry after 30 s); hashRarity: timed out after 50 ms; ' +
                'alertsOnHost: timed out after 50 ms; targetConnections: timed out after 50 ms',
            retrievedAt: '2026-01-01T00:00:00.000Z',
        });
    });

    it('turns a port that throws synchronously into a failed part', async () => {
        const port: WorkspaceQuery = {
            query: (kql) => {
                if (partOf(kql) === 'alertsOnHost') throw new Error('sync');
                return Promise.resolve(ANSWERS[partOf(kql)]!);
            },
        };
        const enrichment = await enrichIncident(INPUT, port, OPTIONS);
        expect(enrichment.status).toBe('partial');
        expect(enrichment.reason).toBe('alertsOnHost: failed: sync');
    });
});
