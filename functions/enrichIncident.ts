/** POST /api/incidents/enrich: a Sentinel playbook posts its incident; the answer carries chains, comment, tags, severity. */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { enrichSentinelIncident } from '../shared/api/enrichSentinelIncident';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { apiAuthLevel, getApiDependencies, httpAuthentication } from './composition';
import { assertCaller, readBody, respond } from './support/http';

export function enrichIncidentWith(
    dependencies: () => Promise<IncidentsApiDependencies>,
    now: () => Date = () => new Date(),
): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => {
            assertCaller(request, httpAuthentication());
            return enrichSentinelIncident(await readBody(request), await dependencies(), now());
        });
}

export const enrichIncident = enrichIncidentWith(getApiDependencies);

app.http('enrichIncident', {
    methods: ['POST'],
    authLevel: apiAuthLevel(),
    route: 'incidents/enrich',
    handler: enrichIncident,
});
