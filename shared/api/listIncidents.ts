import type { Technique } from '../correlate/evaluate';
import type { IncidentQuery } from '../ports/incidentStore';
import { ApiProblem, json } from './http';
import type { HttpResult } from './http';
import type { IncidentsApiDependencies } from './incidentsApiDependencies';
import { integer, isoTime, queryParameter } from './queryParameters';
import { withDecodedAccess } from './withDecodedAccess';

const TECHNIQUES: readonly Technique[] = ['T1055', 'T1055.001', 'T1055.002', 'T1055.003', 'T1055.012', 'T1620'];

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
