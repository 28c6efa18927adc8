/** GET /api/incidents/{id} */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { getIncident as getIncidentCore } from '../shared/api/getIncident';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { getApiDependencies } from './composition';
import { respond } from './support/http';

export function getIncidentWith(dependencies: () => Promise<IncidentsApiDependencies>): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => getIncidentCore(request.params.id, await dependencies()));
}

export const getIncident = getIncidentWith(getApiDependencies);

app.http('getIncident', { methods: ['GET'], authLevel: 'function', route: 'incidents/{id}', handler: getIncident });
