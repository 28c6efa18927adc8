/** GET /api/dead-letters: rejected inputs of a day and later (sinceDay, default the last 7 days), by reason; limit. */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { listDeadLetters as listDeadLettersCore } from '../shared/api/listDeadLetters';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { apiAuthLevel, getApiDependencies, httpAuthentication } from './composition';
import { assertCaller, respond } from './support/http';

export function listDeadLettersWith(dependencies: () => Promise<IncidentsApiDependencies>): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => {
            assertCaller(request, httpAuthentication());
            return listDeadLettersCore(request.query, await dependencies(), new Date());
        });
}

export const listDeadLetters = listDeadLettersWith(getApiDependencies);

app.http('listDeadLetters', {
    methods: ['GET'],
    authLevel: apiAuthLevel(),
    route: 'dead-letters',
    handler: listDeadLetters,
});
