/** @module POST /api/incidents/enrich: the incidents a Sentinel incident points at, enriched, as a comment and tags. */
import type { Incident } from '../correlate/incident';
import { incidentTags } from '../correlate/incident';
import { renderComment } from './comment';
import type { EnrichmentSummary } from './comment';
import { ApiProblem, json } from './http';
import type { HttpResult } from './http';
import type { IncidentsApiDependencies } from './incidentsApiDependencies';
import { matchIncidents, SEVERITY_ORDER } from './matchIncidents';
import { parseBody } from './requestBody';
import { readSentinelEntities } from './sentinelEntities';
import { withDecodedAccess } from './withDecodedAccess';
import { mapConcurrently } from './boundedConcurrency';

/** Storage requests for the enrichment cache in flight at once. */
const CACHE_CONCURRENCY = 8;

/**
 * The enrichment of each matched incident: from the cache when this version was enriched before, otherwise from
 * the workspace, all missing ones at once under the enricher's one budget.
 */
async function enrichmentsFor(
    matched: readonly Incident[],
    deps: IncidentsApiDependencies,
    now: Date,
): Promise<(EnrichmentSummary | undefined)[]> {
    const enricher = deps.enricher;
    if (!enricher) return matched.map(() => undefined);
    const cached = await mapConcurrently(matched, CACHE_CONCURRENCY, (i) => deps.enrichmentStore.get(i.id, i.version));
    const missing = matched.filter((_, k) => cached[k] === undefined);
    const fresh = await enricher.enrichAll(missing, now);
    // An unavailable workspace is not cached: the next call may find it back.
    await mapConcurrently(missing, CACHE_CONCURRENCY, async (incident, k) => {
        const enrichment = fresh[k];
        if ((enrichment as { status?: string } | undefined)?.status !== 'unavailable')
            await deps.enrichmentStore.put({ incidentId: incident.id, incidentVersion: incident.version, enrichment });
    });
    let next = 0;
    return cached.map((entry) => enricher.summarize(entry !== undefined ? entry.enrichment : fresh[next++]));
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
    const enrichments = await enrichmentsFor(matched, deps, now);
    const enriched = matched.map((incident, k) => {
        const enrichment = enrichments[k];
        return { incident, ...(enrichment && { enrichment }) };
    });
    const comment = renderComment(enriched);
    const tags = [...new Set(matched.flatMap(incidentTags))];
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
