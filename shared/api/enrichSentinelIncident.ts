/** @module POST /api/incidents/enrich: the incidents a Sentinel incident points at, enriched, as a comment and tags. */
import type { Incident } from '../correlate/incident';
import { renderComment } from './comment';
import type { EnrichmentSummary } from './comment';
import { ApiProblem, json } from './http';
import type { HttpResult } from './http';
import type { IncidentsApiDependencies } from './incidentsApiDependencies';
import { matchIncidents, SEVERITY_ORDER } from './matchIncidents';
import { parseBody } from './requestBody';
import { readSentinelEntities } from './sentinelEntities';
import { withDecodedAccess } from './withDecodedAccess';

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
