/** GET /api/dead-letters: rejected inputs of a day and later (sinceDay, default the last 7 days), by reason; limit. */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { listDeadLetters as listDeadLettersCore } from '../shared/api/listDeadLetters';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { getApiDependencies } from './composition';
import { respond } from './support/http';

export function listDeadLettersWith(dependencies: () => Promise<IncidentsApiDependencies>): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => listDeadLettersCore(request.query, await dependencies(), new Date()));
}

export const listDeadLetters = listDeadLettersWith(getApiDependencies);

app.http('listDeadLetters', {
    methods: ['GET'],
    authLevel: 'function',
    route: 'dead-letters',
    handler: listDeadLetters,
});
