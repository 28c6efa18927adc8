/** GET /api/incidents: filters host, since, until, technique, minScore; continuation-token paging. */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { listIncidents as listIncidentsCore } from '../shared/api/listIncidents';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { apiAuthLevel, getApiDependencies, httpAuthentication } from './composition';
import { assertCaller, respond } from './support/http';

export function listIncidentsWith(dependencies: () => Promise<IncidentsApiDependencies>): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => {
            assertCaller(request, httpAuthentication());
            return listIncidentsCore(request.query, await dependencies());
        });
}

export const listIncidents = listIncidentsWith(getApiDependencies);

app.http('listIncidents', { methods: ['GET'], authLevel: apiAuthLevel(), route: 'incidents', handler: listIncidents });
