/** POST /api/dead-letters/reprocess: runs rejected inputs (sinceDay, reason, limit) through stage 1 again. */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { reprocessDeadLettersRequest } from '../shared/api/reprocessDeadLettersRequest';
import type { IngestDependencies } from '../shared/ingest/ingestService';
import { apiAuthLevel, getIngestDependencies, httpAuthentication } from './composition';
import { assertCaller, respond } from './support/http';

export function reprocessDeadLettersWith(dependencies: () => Promise<IngestDependencies>): HttpHandler {
    return (request: HttpRequest, context: InvocationContext) =>
        respond(context, async () => {
            assertCaller(request, httpAuthentication());
            return reprocessDeadLettersRequest(request.query, await dependencies(), new Date());
        });
}

export const reprocessDeadLetters = reprocessDeadLettersWith(getIngestDependencies);

app.http('reprocessDeadLetters', {
    methods: ['POST'],
    authLevel: apiAuthLevel(),
    route: 'dead-letters/reprocess',
    handler: reprocessDeadLetters,
});
