/** GET /api/incidents: filters host, since, until, technique, minScore; continuation-token paging. */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { listIncidents as listIncidentsCore } from '../shared/api/listIncidents';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { getApiDependencies } from './composition';
import { respond } from './support/http';

export function listIncidentsWith(dependencies: () => Promise<IncidentsApiDependencies>): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => listIncidentsCore(request.query, await dependencies()));
}

export const listIncidents = listIncidentsWith(getApiDependencies);

app.http('listIncidents', { methods: ['GET'], authLevel: 'function', route: 'incidents', handler: listIncidents });
