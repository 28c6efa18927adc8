/**
 * @module Stage 3 use cases behind the HTTP functions: enrich a Sentinel incident, list and get incidents, list and
 * reprocess dead letters, health.
 * Inputs are plain values (body text, query parameters); outputs are `HttpResult`s, so the Functions adapters and the
 * local server share every rule, including the error mapping.
 */
import { decodeProcessAccess } from '../decode/accessMask';
import type { Technique } from '../correlate/evaluate';
import type { Incident } from '../correlate/incident';
import type { IncidentQuery, IncidentStore } from '../correlate/incidentStore';
import { deadLetterCursor } from '../ingest/deadLetter';
import type { DeadLetterQuery, DeadLetterStore } from '../ingest/deadLetter';
import type { IngestDependencies } from '../ingest/ingestService';
import { reprocessDeadLetters } from '../ingest/reprocessDeadLetters';
import { renderComment } from './comment';
import type { EnrichmentSummary } from './comment';
import type { EnrichmentStore } from './enrichmentStore';
import { ApiProblem, json } from './http';
import type { HttpResult } from './http';
import type { ProcessRef, SentinelEntities } from './sentinelEntities';
import { readSentinelEntities } from './sentinelEntities';

/** Request bodies above this are refused with 413: a Sentinel incident with its entities is a few KiB. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_MATCHED = 20;
const TECHNIQUES: readonly Technique[] = ['T1055', 'T1055.001', 'T1055.002', 'T1055.003', 'T1055.012', 'T1620'];
const INCIDENT_ID = /^hti-[0-9a-f]{14}$/;
const SEVERITY_ORDER = { High: 3, Medium: 2, Low: 1 } as const;

/** Enriches one incident from the Sentinel workspace; optional (the answer comes without it). */
export interface IncidentEnricher {
    enrich(incident: Incident, now: Date): Promise<unknown>;
    summarize(enrichment: unknown): EnrichmentSummary;
}

export interface IncidentsApiDependencies {
    incidents: IncidentStore;
    enrichmentStore: EnrichmentStore;
    enricher?: IncidentEnricher;
    /** Where stage 1 and stage 2 put rejected inputs; listed for operators. */
    deadLetters: DeadLetterStore;
}

function lower(text: string): string {
    return text.trim().toLowerCase();
}

function firstLabel(host: string): string {
    return lower(host).split('.')[0] ?? '';
}

/** Host names match case-insensitively; a bare name matches the first label of an FQDN (netBiosName vs FQDN). */
export function hostMatches(incidentHost: string, name: string): boolean {
    const a = lower(incidentHost);
    const b = lower(name);
    if (a === b) return true;
    return (!a.includes('.') || !b.includes('.')) && firstLabel(a) === firstLabel(b);
}

function baseName(path: string | undefined): string {
    return path ? lower(path.split(/[\\/]/).pop() ?? path) : '';
}

/** A process entity matches an incident's target or injector by PID (with creation time when given), command line, or image. */
function processMatches(incident: Incident, process: ProcessRef): boolean {
    if (process.hostNames.length > 0 && !process.hostNames.some((h) => hostMatches(incident.host, h))) return false;
    for (const side of [incident.target, incident.injector]) {
        if (process.processId !== undefined && side.processId === process.processId) {
            if (process.creationTimeUtc === undefined) return true;
            const created = Date.parse(process.creationTimeUtc);
            // A PID is reused after its process ends: the entity's process must exist by the end of the chain.
            if (!Number.isNaN(created) && created <= Date.parse(incident.lastSeen) + 60_000) return true;
        }
        if (
            process.commandLine !== undefined &&
            side.commandLine !== undefined &&
            lower(side.commandLine) === lower(process.commandLine)
        )
            return true;
        if (process.image !== undefined && side.image !== undefined && baseName(side.image) === baseName(process.image))
            return true;
    }
    return false;
}

async function incidentsForHosts(store: IncidentStore, names: readonly string[]): Promise<Incident[]> {
    const found = new Map<string, Incident>();
    for (const name of names) {
        for (const incident of (await store.query({ host: name, limit: 200 })).incidents)
            found.set(incident.id, incident);
        if (!name.includes('.')) {
            // A NetBIOS name: incidents are stored under the FQDN Sysmon reported, so filter by first label.
            let token: string | undefined;
            do {
                const page = await store.query({
                    limit: 500,
                    ...(token !== undefined && { continuationToken: token }),
                });
                for (const incident of page.incidents)
                    if (hostMatches(incident.host, name)) found.set(incident.id, incident);
                token = page.continuationToken;
            } while (token !== undefined);
        }
    }
    return [...found.values()];
}

/** Finds the stored incidents the entities point at. */
export async function matchIncidents(store: IncidentStore, entities: SentinelEntities): Promise<Incident[]> {
    const names = [
        ...new Set([...entities.hosts.flatMap((h) => h.names), ...entities.processes.flatMap((p) => p.hostNames)]),
    ];
    if (names.length === 0) return [];
    const candidates = await incidentsForHosts(store, names);
    const narrowed =
        entities.processes.length === 0 && entities.files.length === 0
            ? candidates
            : candidates.filter(
                  (incident) =>
                      entities.processes.some((p) => processMatches(incident, p)) ||
                      entities.files.some(
                          (f) => f === baseName(incident.target.image) || f === baseName(incident.injector.image),
                      ),
              );
    return narrowed
        .sort(
            (a, b) =>
                SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
                b.score - a.score ||
                a.id.localeCompare(b.id),
        )
        .slice(0, MAX_MATCHED);
}

/** The incident as the API returns it: with every process-access mask decoded. */
function withDecodedAccess(incident: Incident): Record<string, unknown> {
    return {
        ...incident,
        signals: incident.signals.map((s) => {
            if (s.grantedAccess === undefined) return s;
            const decoded = decodeProcessAccess(s.grantedAccess);
            return {
                ...s,
                access: {
                    mask: decoded.hex,
                    rights: decoded.rights,
                    allAccess: decoded.allAccess ?? null,
                    capabilities: decoded.capabilities.map((c) => c.explanation),
                },
            };
        }),
    };
}

function parseBody(bodyText: string): unknown {
    if (Buffer.byteLength(bodyText, 'utf8') > MAX_REQUEST_BYTES) {
        throw new ApiProblem(413, 'body-too-large', `request bodies are limited to ${MAX_REQUEST_BYTES} bytes`);
    }
    if (bodyText.trim() === '') throw new ApiProblem(400, 'missing-body', 'the request needs a JSON body', 'body');
    try {
        return JSON.parse(bodyText) as unknown;
    } catch {
        throw new ApiProblem(400, 'invalid-json', 'the body is not valid JSON', 'body');
    }
}

async function enrichmentFor(
    incident: Incident,
    deps: IncidentsApiDependencies,
    now: Date,
): Promise<EnrichmentSummary | undefined> {
    if (!deps.enricher) return undefined;
    const cached = await deps.enrichmentStore.get(incident.id, incident.version);
    let enrichment = cached?.enrichment;
    if (cached === undefined) {
        enrichment = await deps.enricher.enrich(incident, now);
        const status = (enrichment as { status?: string } | undefined)?.status;
        // An unavailable workspace is not cached: the next call may find it back.
        if (status !== 'unavailable')
            await deps.enrichmentStore.put({ incidentId: incident.id, incidentVersion: incident.version, enrichment });
    }
    return deps.enricher.summarize(enrichment);
}

/** POST /api/incidents/enrich */
export async function enrichSentinelIncident(
    bodyText: string,
    deps: IncidentsApiDependencies,
    now: Date,
): Promise<HttpResult> {
    const body = parseBody(bodyText);
    const entities = readSentinelEntities(body);
    if (!entities.ok) throw new ApiProblem(400, entities.problem.code, entities.problem.detail, entities.problem.field);
    const matched = await matchIncidents(deps.incidents, entities.value);
    const enriched: { incident: Incident; enrichment?: EnrichmentSummary }[] = [];
    for (const incident of matched) {
        const enrichment = await enrichmentFor(incident, deps, now);
        enriched.push({ incident, ...(enrichment && { enrichment }) });
    }
    const comment = renderComment(enriched);
    const tags = [
        ...new Set(
            matched.flatMap((i) => [
                'hollowtrace',
                i.technique,
                i.technique === 'T1055.012'
                    ? 'process-hollowing'
                    : i.technique === 'T1620'
                      ? 'reflective-code-loading'
                      : 'process-injection',
            ]),
        ),
    ];
    const severity =
        matched.length === 0
            ? null
            : matched.reduce(
                  (best, i) => (SEVERITY_ORDER[i.severity] > SEVERITY_ORDER[best] ? i.severity : best),
                  matched[0]!.severity,
              );
    return json(200, {
        incidentArmId: entities.value.incidentArmId ?? null,
        matched: enriched.map(({ incident, enrichment }) => ({
            ...withDecodedAccess(incident),
            enrichment: enrichment ?? null,
        })),
        comment,
        tags,
        severity,
    });
}

function queryParameter(params: URLSearchParams, name: string): string | undefined {
    const value = params.get(name);
    return value === null || value.trim() === '' ? undefined : value.trim();
}

function isoTime(params: URLSearchParams, name: string): string | undefined {
    const value = queryParameter(params, name);
    if (value === undefined) return undefined;
    const parsed = Date.parse(value);
    if (Number.isNaN(parsed)) throw new ApiProblem(400, 'invalid-time', `${name} must be an ISO 8601 time`, name);
    return new Date(parsed).toISOString();
}

function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
    const value = queryParameter(params, name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
        throw new ApiProblem(400, 'invalid-number', `${name} must be an integer from ${min} to ${max}`, name);
    }
    return Number(value);
}

/** GET /api/incidents?host&since&until&technique&minScore&limit&continuationToken */
export async function listIncidents(params: URLSearchParams, deps: IncidentsApiDependencies): Promise<HttpResult> {
    const query: IncidentQuery = {};
    const host = queryParameter(params, 'host');
    if (host !== undefined) {
        if (host.length > 255) throw new ApiProblem(400, 'invalid-host', 'host is at most 255 characters', 'host');
        query.host = host;
    }
    const since = isoTime(params, 'since');
    const until = isoTime(params, 'until');
    if (since !== undefined) query.since = since;
    if (until !== undefined) query.until = until;
    const technique = queryParameter(params, 'technique');
    if (technique !== undefined) {
        if (!TECHNIQUES.includes(technique as Technique))
            throw new ApiProblem(
                400,
                'invalid-technique',
                `technique must be one of ${TECHNIQUES.join(', ')}`,
                'technique',
            );
        query.technique = technique as Technique;
    }
    const minScore = integer(params, 'minScore', 0, 100);
    if (minScore !== undefined) query.minScore = minScore;
    query.limit = integer(params, 'limit', 1, 1000) ?? 100;
    const token = queryParameter(params, 'continuationToken');
    if (token !== undefined) {
        if (token.length > 4096)
            throw new ApiProblem(
                400,
                'invalid-continuation-token',
                'continuationToken is not one this API issued',
                'continuationToken',
            );
        query.continuationToken = token;
    }
    const page = await deps.incidents.query(query);
    return json(200, {
        incidents: page.incidents.map(withDecodedAccess),
        continuationToken: page.continuationToken ?? null,
    });
}

/** GET /api/incidents/{id} */
export async function getIncident(id: string | undefined, deps: IncidentsApiDependencies): Promise<HttpResult> {
    if (id === undefined || !INCIDENT_ID.test(id))
        throw new ApiProblem(400, 'invalid-id', 'id must look like hti-<14 hex digits>', 'id');
    const incident = await deps.incidents.get(id);
    if (!incident) throw new ApiProblem(404, 'incident-not-found', `no incident ${id}`, 'id');
    return json(200, withDecodedAccess(incident));
}

/** Dead letters per answer at most: each carries up to 30,000 characters of raw text (`MAX_DEAD_LETTER_RAW_CHARS`). */
export const MAX_DEAD_LETTERS_LISTED = 500;
/** Days listed when `sinceDay` is not given: today (UTC) and the six before. */
const DEFAULT_DEAD_LETTER_DAYS = 7;
/** `YYYY-MM-DD` naming a real day (not 2026-02-30). */
function isCalendarDay(text: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    const ms = Date.parse(`${text}T00:00:00Z`);
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}
const REASON_CODE = /^[a-z0-9-]{1,64}$/;

/**
 * GET /api/dead-letters?sinceDay&reason&limit&after: the rejected inputs (reason, detail, raw text, Event Hub coordinates) of
 * a UTC day (enqueued, else rejected) and later, newest day first. Days, not times: stores file letters by day.
 */
export async function listDeadLetters(
    params: URLSearchParams,
    deps: Pick<IncidentsApiDependencies, 'deadLetters'>,
    now: Date,
): Promise<HttpResult> {
    const query = deadLetterQuery(params, now);
    const deadLetters = await deps.deadLetters.list(query);
    const last = deadLetters[deadLetters.length - 1];
    const next = last !== undefined && deadLetters.length === query.limit ? deadLetterCursor(last) : null;
    return json(200, { sinceDay: query.sinceDay, deadLetters, next });
}

/**
 * POST /api/dead-letters/reprocess?sinceDay&reason&limit: runs the selected letters through stage 1 again (after a
 * limit was raised or an upgrade), forwarding what now reads; answers with what became of them. Call again while
 * `next` is not null, passing it as `after`.
 */
export async function reprocessDeadLettersRequest(
    params: URLSearchParams,
    deps: IngestDependencies,
    now: Date,
): Promise<HttpResult> {
    const query = deadLetterQuery(params, now);
    const { next, ...outcome } = await reprocessDeadLetters(query, deps, now);
    return json(200, { sinceDay: query.sinceDay, limit: query.limit, ...outcome, next: next ?? null });
}

/** The `sinceDay`, `reason`, `limit` and `after` parameters of the dead-letter endpoints, checked. */
function deadLetterQuery(params: URLSearchParams, now: Date): DeadLetterQuery & { sinceDay: string; limit: number } {
    const given = queryParameter(params, 'sinceDay');
    if (given !== undefined && !isCalendarDay(given))
        throw new ApiProblem(400, 'invalid-day', 'sinceDay must be a date YYYY-MM-DD', 'sinceDay');
    const sinceDay =
        given ?? new Date(now.getTime() - (DEFAULT_DEAD_LETTER_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const reason = queryParameter(params, 'reason');
    if (reason !== undefined && !REASON_CODE.test(reason)) {
        throw new ApiProblem(
            400,
            'invalid-reason',
            'reason is a code such as malformed-xml: lower-case letters, digits and dashes',
            'reason',
        );
    }
    const limit = integer(params, 'limit', 1, MAX_DEAD_LETTERS_LISTED) ?? 50;
    const after = queryParameter(params, 'after');
    if (
        after !== undefined &&
        (after.length > 2048 || !isCalendarDay(after.slice(0, 10)) || after.charAt(10) !== '/')
    ) {
        throw new ApiProblem(400, 'invalid-cursor', 'after is the next value of a previous answer', 'after');
    }
    return { sinceDay, limit, ...(reason !== undefined && { reason }), ...(after !== undefined && { after }) };
}

/** GET /api/health: whether storage answers (within the caller's time budget). */
export async function health(
    deps: Pick<IncidentsApiDependencies, 'incidents'>,
    timeoutMs = 5_000,
): Promise<HttpResult> {
    const started = Date.now();
    try {
        await Promise.race([
            deps.incidents.query({ limit: 1 }),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
        ]);
        return json(200, { status: 'ok', storage: 'ok', latencyMs: Date.now() - started });
    } catch {
        return json(503, { status: 'unavailable', storage: 'unavailable', latencyMs: Date.now() - started });
    }
}
