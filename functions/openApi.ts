/** GET /api/openapi.json: the OpenAPI 2.0 document a Logic Apps custom connector imports. */
import { app } from '@azure/functions';
import type { HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { json } from '../shared/api/http';
import { openApiDocument } from '../shared/api/openapi';
import { apiAuthLevel, httpAuthentication } from './composition';
import { assertCaller, respond } from './support/http';

export const openApi: HttpHandler = (request: HttpRequest, context: InvocationContext) =>
    respond(context, () => {
        assertCaller(request, httpAuthentication());
        const url = new URL(request.url);
        return Promise.resolve(
            json(200, openApiDocument(url.host, '/api', url.protocol === 'http:' ? 'http' : 'https')),
        );
    });

app.http('openApi', { methods: ['GET'], authLevel: apiAuthLevel(), route: 'openapi.json', handler: openApi });
