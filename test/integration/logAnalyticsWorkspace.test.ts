/**
 * Drives the REAL `LogsQueryClient` (@azure/monitor-query-logs 1.0.0) through `createWorkspaceQuery` and
 * `enrichIncident` against a local HTTPS stand-in of the Logs query API on 127.0.0.1 (port 0), with a self-signed
 * certificate made by openssl at start and trusted through `tlsOptions.ca` only. The endpoint is always set
 * explicitly, and the credential is a fake returning a static token: nothing leaves loopback, and no
 * DefaultAzureCredential is ever built (its managed-identity probe would leave loopback: docs/architecture.md).
 */
import { MAVINJECT_ENRICHMENT_INPUT, MAVINJECT_WORKSPACE_FACTS } from '../helpers/enrichmentInput';
import { makeLoopbackCertificate } from '../../tools/local/loopbackCertificate';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createWorkspaceQuery, LOG_ANALYTICS_DEFAULT_SCOPE } from '../../shared/clients/LogAnalyticsWorkspaceQuery';
import type { WorkspaceQueryOptions } from '../../shared/clients/LogAnalyticsWorkspaceQuery';
import { ConfigurationError } from '../../shared/errors';
import { enrichIncident, WorkspaceQueryError } from '../../shared/enrich/enrichment';
import type { EnrichmentInput } from '../../shared/enrich/enrichment';
import { enrichSentinelIncident } from '../../shared/api/enrichSentinelIncident';
import type { IncidentsApiDependencies } from '../../shared/api/incidentsApiDependencies';
import { WorkspaceIncidentEnricher } from '../../shared/api/WorkspaceIncidentEnricher';
import { InMemoryDeadLetterStore } from '../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryEnrichmentStore } from '../../shared/ports/InMemoryEnrichmentStore';
import { InMemoryIncidentStore } from '../../shared/ports/InMemoryIncidentStore';
import { incidentId, sampleIncident } from '../helpers/incidents';

const OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const HAS_OPENSSL = OPENSSL.status === 0;

const WORKSPACE_ID = '11111111-2222-3333-4444-555555555555';
const FAKE_TOKEN = 'fake-loopback-token-7f3a';
const NOW = new Date('2026-01-01T00:00:00.000Z');

const INPUT: EnrichmentInput = MAVINJECT_ENRICHMENT_INPUT;

// ---------------------------------------------------------------------------------------------------------------
// Playbook calls (POST /api/incidents/enrich) whose incidents are enriched through the stand-in
// ---------------------------------------------------------------------------------------------------------------

/** pairRarity, alertsOnHost, targetConnections: an incident carries no hash, so hashRarity does not apply. */
const QUERIES_PER_INCIDENT = 3;

const PLAYBOOK_BODY = JSON.stringify([{ kind: 'Host', properties: { hostName: 'WORKSTATION5' } }]);

async function playbookIncidents(count: number): Promise<InMemoryIncidentStore> {
    const store = new InMemoryIncidentStore();
    await store.upsert(
        Array.from({ length: count }, (_, i) =>
            sampleIncident(incidentId(i + 1), { host: 'workstation5.contoso.local', score: 90 - i }),
        ),
    );
    return store;
}

function deps(incidents: InMemoryIncidentStore, enricher: WorkspaceIncidentEnricher): IncidentsApiDependencies {
    return {
        incidents,
        enrichmentStore: new InMemoryEnrichmentStore(),
        deadLetters: new InMemoryDeadLetterStore(),
        enricher,
    };
}

/** Held ('hang') responses answered so far by {@link answerHeld}. */
let answered = 0;

/** Answers every held response with its part's success, in arrival order. */
function answerHeld(): void {
    const held = requests.slice(answered);
    const open = [...openResponses].slice(0, held.length);
    open.forEach((res, i) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(SUCCESS[held[i]!.part]));
        openResponses.delete(res);
    });
    answered += open.length;
}

// ---------------------------------------------------------------------------------------------------------------
// The stand-in
// ---------------------------------------------------------------------------------------------------------------

interface Recorded {
    at: number;
    method: string;
    path: string;
    headers: IncomingHttpHeaders;
    body: { query?: unknown; timespan?: unknown };
    part: string;
    closed: Promise<number>;
}

/** What the stand-in does for one request: a JSON answer, or nothing at all ('hang'). */
type Reply = { status: number; body: unknown; headers?: Record<string, string> } | 'hang';
type Behaviour = (part: string, attempt: number) => Reply;

function table(columns: [string, string][], rows: unknown[][]): unknown {
    return { name: 'PrimaryResult', columns: columns.map(([name, type]) => ({ name, type })), rows };
}

const { pairRarity, hashRarity, alertsOnHost, targetConnections } = MAVINJECT_WORKSPACE_FACTS;

/** The service's answers per part, in the wire format (`dynamic` values are JSON text, as the service sends them). */
const SUCCESS: Record<string, unknown> = {
    pairRarity: {
        tables: [
            table(
                [
                    ['Occurrences', 'long'],
                    ['Hosts', 'long'],
                ],
                [[pairRarity.occurrences, pairRarity.hosts]],
            ),
        ],
    },
    hashRarity: {
        tables: [
            table(
                [
                    ['Occurrences', 'long'],
                    ['Hosts', 'long'],
                ],
                [[hashRarity.occurrences, hashRarity.hosts]],
            ),
        ],
    },
    alertsOnHost: {
        tables: [
            table(
                [
                    ['Alerts', 'long'],
                    ['AlertNames', 'dynamic'],
                ],
                [[alertsOnHost.count, JSON.stringify(alertsOnHost.names)]],
            ),
        ],
    },
    targetConnections: {
        tables: [
            table(
                [
                    ['Connections', 'long'],
                    ['Destinations', 'dynamic'],
                ],
                [[targetConnections.count, JSON.stringify(targetConnections.destinations)]],
            ),
        ],
    },
};

/** A 429 as the service sends it, with the given Retry-After header. */
function throttled(headers: Record<string, string>): Reply {
    return { status: 429, headers, body: { error: { code: 'ThrottledError', message: 'Too many requests' } } };
}

const BAD_ARGUMENT = {
    error: {
        message: 'The request had some invalid properties',
        code: 'BadArgumentError',
        correlationId: '00000000-0000-0000-0000-000000000001',
        innererror: {
            code: 'SyntaxError',
            message: 'A recognition error occurred in the query.',
            innererror: {
                code: 'SYN0002',
                message: "Query could not be parsed at '|' on line [1,5]",
                line: 1,
                pos: 5,
                token: '|',
            },
        },
    },
};

function success(part: string): Reply {
    return { status: 200, body: SUCCESS[part] };
}

let server: Server | undefined;
let endpoint = '';
let ca = '';
let tempDir = '';
let behaviour: Behaviour = success;
let requests: Recorded[] = [];
let scopesSeen: string[][] = [];
const openResponses = new Set<ServerResponse>();

function partOf(query: unknown): string {
    return typeof query === 'string'
        ? (/^\/\/ hollowtrace enrichment: (\w+)/.exec(query)?.[1] ?? 'unknown')
        : 'unknown';
}

const credential: TokenCredential = {
    getToken(scopes): Promise<AccessToken> {
        scopesSeen.push(Array.isArray(scopes) ? [...scopes] : [scopes]);
        return Promise.resolve({ token: FAKE_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 });
    },
};

function client(overrides: Partial<WorkspaceQueryOptions> = {}): ReturnType<typeof createWorkspaceQuery> {
    return createWorkspaceQuery({
        workspaceId: WORKSPACE_ID,
        endpoint,
        credential,
        tlsCa: ca,
        retryOptions: { maxRetries: 0 },
        ...overrides,
    });
}

function requestsFor(part: string): Recorded[] {
    return requests.filter((r) => r.part === part);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
        () => undefined,
        (e: unknown) => e,
    );
}

describe.skipIf(!HAS_OPENSSL)(
    `LogsQueryClient against a local HTTPS stand-in${HAS_OPENSSL ? '' : ' (skipped: openssl not found on PATH)'}`,
    () => {
        beforeAll(async () => {
            tempDir = mkdtempSync(join(tmpdir(), 'hollowtrace-la-'));
            const { key, cert } = makeLoopbackCertificate(tempDir);
            ca = cert;

            const https = createServer({ key, cert: ca }, (req, res) => {
                const chunks: Buffer[] = [];
                req.on('data', (chunk: Buffer) => chunks.push(chunk));
                req.on('end', () => {
                    let body: Recorded['body'] = {};
                    try {
                        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Recorded['body'];
                    } catch {
                        // recorded as {}; the test's assertions report it
                    }
                    const part = partOf(body.query);
                    const closed = new Promise<number>((resolve) => res.on('close', () => resolve(performance.now())));
                    const record: Recorded = {
                        at: performance.now(),
                        method: req.method ?? '',
                        path: req.url ?? '',
                        headers: req.headers,
                        body,
                        part,
                        closed,
                    };
                    requests.push(record);
                    const reply = behaviour(part, requestsFor(part).length);
                    if (reply === 'hang') {
                        openResponses.add(res); // answered never; destroyed in afterAll if the client did not hang up
                        return;
                    }
                    res.writeHead(reply.status, {
                        'content-type': 'application/json; charset=utf-8',
                        ...reply.headers,
                    });
                    res.end(JSON.stringify(reply.body));
                });
            });
            await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
            server = https;
            endpoint = `https://127.0.0.1:${(https.address() as AddressInfo).port}/v1`;
        });

        afterAll(async () => {
            for (const res of openResponses) res.destroy();
            if (server) {
                server.closeAllConnections();
                await new Promise<void>((resolve) => server!.close(() => resolve()));
            }
            if (tempDir) rmSync(tempDir, { recursive: true, force: true });
        });

        beforeEach(() => {
            behaviour = success;
            answered = 0;
            // Earlier tests' hung responses, long given up by their clients: gone, so held ones line up with `requests`.
            for (const res of openResponses) res.destroy();
            openResponses.clear();
            requests = [];
            scopesSeen = [];
        });

        it('sends what the Logs query API expects and reports a complete enrichment', async () => {
            const enrichment = await enrichIncident(INPUT, client(), { timeoutMs: 5_000, now: NOW });

            expect(enrichment).toEqual({
                status: 'complete',
                ...MAVINJECT_WORKSPACE_FACTS,
                retrievedAt: '2026-01-01T00:00:00.000Z',
            });
            expect(requests.map((r) => r.part).sort()).toEqual([
                'alertsOnHost',
                'hashRarity',
                'pairRarity',
                'targetConnections',
            ]);
            for (const r of requests) {
                expect(r.method).toBe('POST');
                expect(r.path).toBe(`/v1/workspaces/${WORKSPACE_ID}/query`);
                expect(r.headers.authorization).toBe(`Bearer ${FAKE_TOKEN}`);
                expect(r.headers['content-type']).toMatch(/^application\/json/);
                expect(r.headers.prefer).toBe('wait=5'); // serverTimeoutInSeconds from the 5 s budget
                expect(r.headers['x-hollowtrace-call-id']).toBeUndefined(); // the internal header never leaves the process
                expect(r.headers['user-agent']).toMatch(/^hollowtrace /);
                expect(typeof r.body.query).toBe('string');
            }
            expect(requestsFor('pairRarity')[0]!.body.timespan).toBe(
                '2020-09-22T01:40:56.444Z/2020-10-22T02:41:02.517Z',
            );
            expect(requestsFor('targetConnections')[0]!.body.timespan).toBe(
                '2020-10-22T01:40:56.444Z/2020-10-23T01:40:56.444Z',
            );
            expect(requestsFor('alertsOnHost')[0]!.body.query).toContain('let hostName = "WORKSTATION5";');
            expect(scopesSeen.every((s) => s.length === 1 && s[0] === LOG_ANALYTICS_DEFAULT_SCOPE)).toBe(true);
        });

        it('keeps the tables of a partial failure and reports the error beside them', async () => {
            const error = {
                code: 'PartialError',
                message: 'There were some errors when processing your query.',
                innererror: {
                    code: 'EngineError',
                    message: 'Query result set has exceeded the internal data size limit',
                },
            };
            behaviour = (part) =>
                part === 'alertsOnHost'
                    ? { status: 200, body: { ...(SUCCESS.alertsOnHost as object), error } }
                    : success(part);
            const enrichment = await enrichIncident(INPUT, client(), { timeoutMs: 5_000, now: NOW });

            expect(enrichment.status).toBe('partial');
            expect(enrichment.reason).toBe(
                'alertsOnHost: incomplete result from the workspace (PartialError: There were some errors when processing your query. (Query result set has exceeded the internal data size limit))',
            );
            expect(enrichment.alertsOnHost).toEqual(alertsOnHost);
            expect(enrichment.pairRarity).toEqual(pairRarity);
        });

        it('honours Retry-After on 429, then reports throttling', async () => {
            behaviour = (part) => (part === 'pairRarity' ? throttled({ 'retry-after': '1' }) : success(part));
            const enrichment = await enrichIncident(INPUT, client({ retryOptions: { maxRetries: 1 } }), {
                timeoutMs: 5_000,
                now: NOW,
            });

            expect(enrichment.status).toBe('partial');
            expect(enrichment.reason).toBe('pairRarity: throttled by the workspace (HTTP 429, retry after 1 s)');
            expect(enrichment.hashRarity).toEqual(hashRarity);
            const attempts = requestsFor('pairRarity');
            expect(attempts).toHaveLength(2); // the SDK retried once, as configured
            expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900); // ... after the Retry-After second
        });

        it('cuts a long Retry-After sleep at the deadline and still says "throttled"', async () => {
            behaviour = (part) => (part === 'pairRarity' ? throttled({ 'retry-after': '120' }) : success(part));
            const started = performance.now();
            const enrichment = await enrichIncident(INPUT, client({ retryOptions: { maxRetries: 2 } }), {
                timeoutMs: 1_000,
                now: NOW,
            });
            const elapsed = performance.now() - started;

            expect(enrichment.status).toBe('partial');
            expect(enrichment.reason).toBe(
                'pairRarity: throttled by the workspace (HTTP 429, retry after 120 s) and no retry fitted in the 1000 ms budget',
            );
            expect(requestsFor('pairRarity')).toHaveLength(1);
            expect(elapsed).toBeLessThan(2_000); // not 120 s: the SDK's sleep was aborted
        });

        it('stops the SDK from retrying after the deadline (its Retry-After sleep is aborted, not just abandoned)', async () => {
            behaviour = () => throttled({ 'retry-after-ms': '400' });
            const started = performance.now();
            const error = await rejection(
                client({ retryOptions: { maxRetries: 2 } }).query(
                    'print 1',
                    { startTime: NOW, endTime: NOW },
                    { timeoutMs: 200 },
                ),
            );
            expect(error).toMatchObject({
                kind: 'throttled',
                retryAfterSeconds: 1,
                message:
                    'throttled by the workspace (HTTP 429, retry after 1 s) and no retry fitted in the 200 ms budget',
            });
            await new Promise((resolve) => setTimeout(resolve, 700 - (performance.now() - started)));
            expect(requests).toHaveLength(1); // the SDK would have sent its retry at 400 ms
        });

        it("reports a 400 BadArgumentError with the service's explanation", async () => {
            behaviour = (part) => (part === 'targetConnections' ? { status: 400, body: BAD_ARGUMENT } : success(part));
            const enrichment = await enrichIncident(INPUT, client(), { timeoutMs: 5_000, now: NOW });

            expect(enrichment.status).toBe('partial');
            expect(enrichment.reason).toBe(
                "targetConnections: query rejected by the workspace (HTTP 400 BadArgumentError: The request had some invalid properties (Query could not be parsed at '|' on line [1,5]))",
            );
            expect(enrichment.alertsOnHost?.count).toBe(2);
        });

        it('times out a hung response after 1 s and really hangs up', async () => {
            behaviour = (part) => (part === 'targetConnections' ? 'hang' : success(part));
            const started = performance.now();
            const enrichment = await enrichIncident(INPUT, client(), { timeoutMs: 1_000, now: NOW });
            const elapsed = performance.now() - started;

            expect(enrichment.status).toBe('partial');
            expect(enrichment.reason).toBe('targetConnections: timed out after 1000 ms');
            expect(enrichment.pairRarity).toEqual(pairRarity);
            expect(elapsed).toBeGreaterThanOrEqual(950);
            expect(elapsed).toBeLessThan(1_600);
            // The client closed the connection (LogsQueryClient 1.0.0 drops `abortSignal`; the adapter's policy attaches it).
            const hung = requestsFor('targetConnections')[0]!;
            const closedAt = await Promise.race([
                hung.closed,
                new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 1_000)),
            ]);
            expect(closedAt - started).toBeLessThan(1_600);
        });

        it('is unavailable when every query fails, and never leaks the token', async () => {
            behaviour = () => ({
                status: 403,
                body: {
                    error: {
                        code: 'InsufficientAccessError',
                        message: 'The provided credentials have insufficient access to perform the requested operation',
                    },
                },
            });
            const enrichment = await enrichIncident(INPUT, client(), { timeoutMs: 5_000, now: NOW });

            expect(enrichment.status).toBe('unavailable');
            expect(enrichment.reason).toMatch(
                /^every workspace query failed: pairRarity: access denied \(HTTP 403 InsufficientAccessError: /,
            );
            expect(enrichment.reason?.match(/access denied/g)).toHaveLength(4);
            expect(JSON.stringify(enrichment)).not.toContain(FAKE_TOKEN);
        });

        it.each([
            [500, 'service-unavailable', 'workspace service error (HTTP 500 InternalServerError: boom)'],
            [503, 'service-unavailable', 'workspace service error (HTTP 503 ServiceUnavailable: boom)'],
            [504, 'timeout', 'the workspace gave up on the query (HTTP 504 GatewayTimeout: boom)'],
            [401, 'unauthenticated', 'token refused by the workspace (HTTP 401 InvalidTokenError: boom)'],
            [404, 'not-found', 'workspace not found (HTTP 404 WorkspaceNotFoundError: boom)'],
        ])('maps HTTP %i to a typed error (%s)', async (status, kind, message) => {
            const codes: Record<number, string> = {
                500: 'InternalServerError',
                503: 'ServiceUnavailable',
                504: 'GatewayTimeout',
                401: 'InvalidTokenError',
                404: 'WorkspaceNotFoundError',
            };
            behaviour = () => ({ status, body: { error: { code: codes[status], message: 'boom' } } });
            const error = await rejection(
                client().query(
                    '// hollowtrace enrichment: probe\nprint 1',
                    { startTime: NOW, endTime: NOW },
                    { timeoutMs: 5_000 },
                ),
            );

            expect(error).toBeInstanceOf(WorkspaceQueryError);
            expect(error).toMatchObject({ kind, httpStatus: status, message, serviceCode: codes[status] });
            expect(inspect(error)).not.toContain(FAKE_TOKEN);
            expect(requests).toHaveLength(1); // maxRetries 0 in these tests
        });

        it('retries a 503 within the bounded retry options', async () => {
            behaviour = (_part, attempt) =>
                attempt === 1
                    ? { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'later' } } }
                    : success('pairRarity');
            const result = await client({
                retryOptions: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
            }).query(
                '// hollowtrace enrichment: probe\nprint 1',
                { startTime: NOW, endTime: NOW },
                { timeoutMs: 5_000 },
            );
            expect(result.status).toBe('success');
            expect(result.tables[0]).toEqual({ columns: ['Occurrences', 'Hosts'], rows: [[3, 2]] });
            expect(requests).toHaveLength(2);
        });

        it('maps an unreachable endpoint to a network error', async () => {
            const unreachable = createWorkspaceQuery({
                workspaceId: WORKSPACE_ID,
                endpoint: 'https://127.0.0.1:1/v1',
                credential,
                tlsCa: ca,
                retryOptions: { maxRetries: 0 },
            });
            const error = await rejection(
                unreachable.query('print 1', { startTime: NOW, endTime: NOW }, { timeoutMs: 5_000 }),
            );
            expect(error).toMatchObject({ kind: 'network' });
            expect((error as Error).message).toMatch(/^workspace unreachable: ECONNREFUSED/);
        });

        it('maps a TLS failure (untrusted certificate) to a network error', async () => {
            const untrusted = createWorkspaceQuery({
                workspaceId: WORKSPACE_ID,
                endpoint,
                credential,
                retryOptions: { maxRetries: 0 },
            });
            const error = await rejection(
                untrusted.query('print 1', { startTime: NOW, endTime: NOW }, { timeoutMs: 5_000 }),
            );
            expect(error).toMatchObject({ kind: 'network' });
            expect(requests).toHaveLength(0);
        });

        it('maps a credential failure to unauthenticated without sending anything', async () => {
            const failing: TokenCredential = {
                getToken: () =>
                    Promise.reject(
                        Object.assign(new Error('ManagedIdentityCredential: no identity endpoint'), {
                            name: 'CredentialUnavailableError',
                        }),
                    ),
            };
            const error = await rejection(
                client({ credential: failing }).query(
                    'print 1',
                    { startTime: NOW, endTime: NOW },
                    { timeoutMs: 5_000 },
                ),
            );
            expect(error).toMatchObject({ kind: 'unauthenticated' });
            expect((error as Error).message).toBe(
                'could not get a token for the workspace: CredentialUnavailableError: ManagedIdentityCredential: no identity endpoint',
            );
            expect(requests).toHaveLength(0);
        });

        it("cancels on the caller's abort signal", async () => {
            behaviour = () => 'hang';
            const controller = new AbortController();
            setTimeout(() => controller.abort(), 50);
            const error = await rejection(
                client().query(
                    'print 1',
                    { startTime: NOW, endTime: NOW },
                    { timeoutMs: 5_000, abortSignal: controller.signal },
                ),
            );
            expect(error).toMatchObject({ kind: 'aborted', message: 'cancelled by the caller' });
        });

        it('maps a 200 without a result body to an unexpected error', async () => {
            behaviour = () => ({ status: 200, body: { nothing: 'here' } });
            const error = await rejection(
                client().query('print 1', { startTime: NOW, endTime: NOW }, { timeoutMs: 5_000 }),
            );
            expect(error).toMatchObject({ kind: 'unexpected' });
            expect((error as Error).message).toMatch(/^query failed: TypeError: /); // the SDK's deserialiser itself throws
        });

        it('asks for the configured scopes (sovereign clouds)', async () => {
            behaviour = () => success('pairRarity');
            await client({ scopes: ['https://api.loganalytics.azure.cn/.default'] }).query(
                'print 1',
                { startTime: NOW, endTime: NOW },
                { timeoutMs: 5_000 },
            );
            expect(scopesSeen).toEqual([['https://api.loganalytics.azure.cn/.default']]);
        });

        it('refuses a non-https endpoint or an empty workspace id at construction', () => {
            expect(() =>
                createWorkspaceQuery({ workspaceId: WORKSPACE_ID, endpoint: 'http://127.0.0.1:1/v1', credential }),
            ).toThrow(ConfigurationError);
            expect(() => createWorkspaceQuery({ workspaceId: ' ', credential })).toThrow(ConfigurationError);
        });

        it('enriches the matched incidents of one playbook call concurrently: every query is in flight at once', async () => {
            const incidents = await playbookIncidents(3);
            // Held until all of them have arrived: one incident after another would never get there and run out of budget.
            const expected = 3 * QUERIES_PER_INCIDENT;
            let maxInFlight = 0;
            behaviour = () => {
                const inFlight = requests.length - answered;
                maxInFlight = Math.max(maxInFlight, inFlight);
                if (inFlight === expected) setImmediate(answerHeld);
                return 'hang';
            };
            const enricher = new WorkspaceIncidentEnricher(client(), 20_000, { totalMs: 60_000, concurrency: 5 });
            const answer = await enrichSentinelIncident(PLAYBOOK_BODY, deps(incidents, enricher), NOW);

            const matched = (JSON.parse(answer.body) as { matched: { id: string; enrichment: { status: string } }[] })
                .matched;
            expect(matched.map((m) => m.enrichment.status)).toStrictEqual(['complete', 'complete', 'complete']);
            expect(requests).toHaveLength(expected);
            expect(maxInFlight).toBe(expected);
        });

        it('runs out of its one budget with "enrichment unavailable, and why" for every incident it could not cover', async () => {
            const incidents = await playbookIncidents(3);
            behaviour = () => 'hang';
            // One incident at a time: the first one's queries hang until the whole budget is spent.
            const enricher = new WorkspaceIncidentEnricher(client(), 20_000, { totalMs: 300, concurrency: 1 });
            const answer = await enrichSentinelIncident(PLAYBOOK_BODY, deps(incidents, enricher), NOW);

            const matched = (
                JSON.parse(answer.body) as { matched: { enrichment: { status: string; lines: string[] } }[] }
            ).matched;
            expect(answer.status).toBe(200);
            expect(matched.map((m) => m.enrichment.status)).toStrictEqual([
                'unavailable',
                'unavailable',
                'unavailable',
            ]);
            expect(matched[0]!.enrichment.lines.join()).toMatch(
                /^not available: every workspace query failed: .*timed out after \d+ ms/,
            );
            for (const later of matched.slice(1))
                expect(later.enrichment.lines).toStrictEqual([
                    "not available: the enrichment budget of 300 ms for this request ran out before this incident's turn",
                ]);
            expect(requests).toHaveLength(QUERIES_PER_INCIDENT); // the later incidents never reached the workspace
            // Not cached: the next playbook call asks the workspace again.
            behaviour = success;
            const again = await enrichSentinelIncident(PLAYBOOK_BODY, deps(incidents, enricher), NOW);
            expect(JSON.parse(again.body)).toMatchObject({ matched: [{ enrichment: { status: 'complete' } }, {}, {}] });
        });
    },
);
