/** GET /api/incidents/{id} */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { getIncident as getIncidentCore } from '../shared/api/getIncident';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { apiAuthLevel, getApiDependencies, httpAuthentication } from './composition';
import { assertCaller, respond } from './support/http';

export function getIncidentWith(dependencies: () => Promise<IncidentsApiDependencies>): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => {
            assertCaller(request, httpAuthentication());
            return getIncidentCore(request.params.id, await dependencies());
        });
}

export const getIncident = getIncidentWith(getApiDependencies);

app.http('getIncident', { methods: ['GET'], authLevel: apiAuthLevel(), route: 'incidents/{id}', handler: getIncident });
