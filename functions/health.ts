/** GET /api/health: anonymous, says whether storage answers (for probes; reveals nothing else). */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { health as healthCore } from '../shared/api/health';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { getApiDependencies } from './composition';
import { respond } from './support/http';

export function healthWith(dependencies: () => Promise<IncidentsApiDependencies>): HttpHandler {
    return (_request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => healthCore(await dependencies()));
}

export const health = healthWith(getApiDependencies);

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
