/**
 * @module Enriches an incident from the Microsoft Sentinel (Log Analytics) workspace: image-pair and hash rarity,
 * other alerts on the host, and the target's network connections. Pure orchestration over `WorkspaceQuery`
 * (the Log Analytics adapter is shared/clients/LogAnalyticsWorkspaceQuery.ts). Enrichment never throws: every failure
 * becomes a `status` and a `reason`, because an incident must reach the playbook with or without its context.
 */
import { HollowtraceError } from '../errors';
import type { WorkspaceQuery, WorkspaceQueryResult } from '../ports/workspaceQuery';
import type { EnrichmentInput, EnrichmentQuery, EnrichmentQueryName } from './kql';
import { buildEnrichmentQueries, InvalidEnrichmentInputError, MAX_LISTED } from './kql';

export type { EnrichmentInput } from './kql';

/** Why a workspace query failed; the adapter maps HTTP statuses and transport errors onto these. */
export type WorkspaceQueryErrorKind =
    | 'throttled' // HTTP 429
    | 'timeout' // the time budget ran out (client side), or the service gave up (408 / 504)
    | 'aborted' // the caller cancelled
    | 'unauthenticated' // no token, or HTTP 401
    | 'forbidden' // HTTP 403: the identity may not read the workspace
    | 'bad-query' // HTTP 400: the service rejected the query
    | 'not-found' // HTTP 404: no such workspace
    | 'service-unavailable' // HTTP 5xx
    | 'network' // no HTTP response (connection refused, DNS, TLS)
    | 'unexpected';

/**
 * A workspace query failed. `message` is written to be shown as is (it never contains a token); the fields make
 * it machine-readable. Caught inside `enrichIncident`, never thrown out of it.
 */
export class WorkspaceQueryError extends HollowtraceError {
    readonly code = 'workspace-query-failed';
    readonly kind: WorkspaceQueryErrorKind;
    readonly httpStatus: number | undefined;
    readonly serviceCode: string | undefined;
    readonly retryAfterSeconds: number | undefined;

    constructor(
        kind: WorkspaceQueryErrorKind,
        message: string,
        details: { httpStatus?: number; serviceCode?: string; retryAfterSeconds?: number } = {},
    ) {
        super(message);
        this.kind = kind;
        this.httpStatus = details.httpStatus;
        this.serviceCode = details.serviceCode;
        this.retryAfterSeconds = details.retryAfterSeconds;
    }
}

/** Counts over the rarity window (30 days): how often, and on how many distinct hosts. */
export interface Rarity {
    occurrences: number;
    hosts: number;
}

/**
 * What the workspace says about an incident.
 * - `complete`: every applicable part answered in full. A part is absent when it does not apply: `pairRarity`
 *   without both images, `hashRarity` without `injectorSha256`.
 * - `partial`: some parts failed or came back incomplete; `reason` names each (`part: why`), the rest is filled in.
 * - `unavailable`: nothing could be retrieved; `reason` says why (e.g. "workspace not configured").
 */
export interface Enrichment {
    status: 'complete' | 'partial' | 'unavailable';
    reason?: string;
    pairRarity?: Rarity;
    hashRarity?: Rarity;
    alertsOnHost?: { count: number; names: string[] };
    targetConnections?: { count: number; destinations: string[] };
    retrievedAt: string;
}

/** Options of {@link enrichIncident}: `timeoutMs` (1 ms .. 10 min) bounds the whole enrichment; the queries run concurrently. */
export interface EnrichOptions {
    timeoutMs: number;
    now: Date;
}

type PartValues = Pick<Enrichment, 'pairRarity' | 'hashRarity' | 'alertsOnHost' | 'targetConnections'>;

type PartOutcome = { ok: true; apply: (values: PartValues) => void; warning?: string } | { ok: false; why: string };

/** A result that does not have the columns the query projects (a changed query, or a proxy answering garbage). */
class UnexpectedResultError extends Error {}

function firstRow(result: WorkspaceQueryResult, columns: readonly string[]): unknown[] | undefined {
    const table = result.tables[0];
    if (!table) return undefined;
    for (const column of columns) {
        if (!table.columns.includes(column)) throw new UnexpectedResultError(`result has no column ${column}`);
    }
    const row = table.rows[0];
    return row ? columns.map((column) => row[table.columns.indexOf(column)]) : undefined;
}

/** A count: `summarize` over no rows yields null sums, and `long` may arrive as a number or a numeric string. */
function count(value: unknown): number {
    if (value === null || value === undefined || value === '') return 0;
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || n < 0) throw new UnexpectedResultError(`not a count: ${JSON.stringify(value)}`);
    return Math.trunc(n);
}

/** A `make_set` result: the SDK converts `dynamic` to an array; a raw JSON string is accepted too. */
function strings(value: unknown, max: number): string[] {
    let list: unknown = value;
    if (typeof list === 'string') {
        try {
            list = JSON.parse(list) as unknown;
        } catch {
            throw new UnexpectedResultError('list column is not JSON');
        }
    }
    if (list === null || list === undefined) return [];
    if (!Array.isArray(list)) throw new UnexpectedResultError('list column is not an array');
    return list.filter((item): item is string => typeof item === 'string' && item !== '').slice(0, max);
}

function readPart(name: EnrichmentQueryName, result: WorkspaceQueryResult): (values: PartValues) => void {
    switch (name) {
        case 'pairRarity':
        case 'hashRarity': {
            const [occurrences, hosts] = firstRow(result, ['Occurrences', 'Hosts']) ?? [];
            const rarity = { occurrences: count(occurrences), hosts: count(hosts) };
            return (values) => {
                values[name] = rarity;
            };
        }
        case 'alertsOnHost': {
            const [alerts, names] = firstRow(result, ['Alerts', 'AlertNames']) ?? [];
            const value = { count: count(alerts), names: strings(names, MAX_LISTED) };
            return (values) => {
                values.alertsOnHost = value;
            };
        }
        case 'targetConnections': {
            const [connections, destinations] = firstRow(result, ['Connections', 'Destinations']) ?? [];
            const value = { count: count(connections), destinations: strings(destinations, MAX_LISTED) };
            return (values) => {
                values.targetConnections = value;
            };
        }
    }
}

function describeFailure(error: unknown, timeoutMs: number, deadline: AbortSignal): string {
    if (error instanceof WorkspaceQueryError) return error.message;
    if (deadline.aborted) return `timed out after ${timeoutMs} ms`;
    if (error instanceof UnexpectedResultError) return `unexpected result: ${error.message}`;
    return `failed: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * After the deadline fires, a port that honours its abort signal gets this long to report its own, more precise
 * failure (e.g. "throttled" rather than "timed out"); a port that ignores the signal is cut off then.
 */
export const ABORT_GRACE_MS = 100;

/**
 * Settles with `promise`, or rejects `ABORT_GRACE_MS` after `signal` aborts, so that a port that ignores its abort
 * signal still cannot hold the enrichment past its deadline. A late settlement of `promise` is absorbed.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => {
            timer = setTimeout(() => reject(signal.reason as Error), ABORT_GRACE_MS);
        };
        const settle = (): void => {
            signal.removeEventListener('abort', onAbort);
            if (timer !== undefined) clearTimeout(timer);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        void promise.finally(settle).then(resolve, reject);
    });
}

async function runPart(
    query: EnrichmentQuery,
    port: WorkspaceQuery,
    timeoutMs: number,
    deadline: AbortSignal,
): Promise<PartOutcome> {
    try {
        const call = Promise.resolve().then(() =>
            port.query(query.kql, query.timespan, { timeoutMs, abortSignal: deadline }),
        );
        const result = await untilAborted(call, deadline);
        const apply = readPart(query.name, result);
        if (result.status === 'partial') {
            return {
                ok: true,
                apply,
                warning: `incomplete result from the workspace (${result.partialError ?? 'no detail given'})`,
            };
        }
        return { ok: true, apply };
    } catch (error) {
        return { ok: false, why: describeFailure(error, timeoutMs, deadline) };
    }
}

/**
 * Enriches one incident. Never throws and never takes longer than `options.timeoutMs` + `ABORT_GRACE_MS`: the queries run
 * concurrently (4 at most, within the 5 concurrent queries a caller may run: learn.microsoft.com, "Azure Monitor
 * service limits", Log queries, user query throttling) under one `AbortSignal.timeout` deadline.
 * @param port undefined when no workspace is configured: the answer is then `unavailable`, "workspace not configured".
 * @example await enrichIncident({ host, injectorImage, targetImage, targetProcessGuid, firstSeen, lastSeen }, port, { timeoutMs: 20_000, now: new Date() })
 */
export async function enrichIncident(
    input: EnrichmentInput,
    port: WorkspaceQuery | undefined,
    options: EnrichOptions,
): Promise<Enrichment> {
    const retrievedAt = options.now.toISOString();
    if (port === undefined) return { status: 'unavailable', reason: 'workspace not configured', retrievedAt };

    const problems: string[] = [];
    let effective = input;
    // A malformed hash costs only its own part; everything else about the incident is still worth querying.
    if (input.injectorSha256 !== undefined && !/^[0-9a-f]{64}$/i.test(input.injectorSha256.trim())) {
        const { injectorSha256: _dropped, ...rest } = input;
        effective = rest;
        problems.push('hashRarity: skipped, injectorSha256 is not a SHA256 (64 hexadecimal digits)');
    }
    let queries: EnrichmentQuery[];
    try {
        queries = buildEnrichmentQueries(effective);
    } catch (error) {
        const why = error instanceof InvalidEnrichmentInputError ? error.message : String(error);
        return { status: 'unavailable', reason: `invalid incident for enrichment: ${why}`, retrievedAt };
    }

    // 10 min is the longest the service itself will work on a query (learn.microsoft.com, Log Analytics API "Timeouts").
    const timeoutMs = Number.isNaN(options.timeoutMs)
        ? 1
        : Math.min(600_000, Math.max(1, Math.floor(options.timeoutMs)));
    const deadline = AbortSignal.timeout(timeoutMs);
    const outcomes = await Promise.all(queries.map((query) => runPart(query, port, timeoutMs, deadline)));

    const values: PartValues = {};
    let answered = 0;
    outcomes.forEach((outcome, index) => {
        const name = queries[index]?.name ?? 'query';
        if (outcome.ok) {
            answered++;
            outcome.apply(values);
            if (outcome.warning !== undefined) problems.push(`${name}: ${outcome.warning}`);
        } else {
            problems.push(`${name}: ${outcome.why}`);
        }
    });

    if (answered === 0) {
        return { status: 'unavailable', reason: `every workspace query failed: ${problems.join('; ')}`, retrievedAt };
    }
    if (problems.length > 0) return { status: 'partial', reason: problems.join('; '), ...values, retrievedAt };
    return { status: 'complete', ...values, retrievedAt };
}
