/**
 * Shared by the HTTP functions: reads the body within the size cap and turns the core's `HttpResult` (or a thrown
 * error, through the one error mapping) into the Functions response. Not a function itself (not matched by `main`).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ApiProblem, errorToHttp } from '../../shared/api/http';
import type { HttpResult } from '../../shared/api/http';
import { MAX_REQUEST_BYTES } from '../../shared/api/requestBody';

/** The body as text; refuses bodies over the cap before reading them when the client declares the length. */
export async function readBody(request: HttpRequest): Promise<string> {
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > MAX_REQUEST_BYTES)
        throw new ApiProblem(413, 'body-too-large', `request bodies are limited to ${MAX_REQUEST_BYTES} bytes`);
    const contentType = request.headers.get('content-type');
    if (
        contentType &&
        !/^application\/(?:[\w.+-]*\+)?json\b/i.test(contentType) &&
        !/^text\/plain\b/i.test(contentType)
    ) {
        throw new ApiProblem(415, 'unsupported-media-type', 'send the body as application/json', 'content-type');
    }
    return request.text();
}

/**
 * With Entra ID authentication the functions are anonymous and App Service authentication stands in front. It
 * passes the caller's identity in `x-ms-client-principal-id` and removes that header from outside requests
 * (learn.microsoft.com, "Work with user identities in Azure App Service authentication"), so a request without it
 * did not come through Easy Auth (for instance because Easy Auth was turned off): refuse it rather than serve the
 * API unauthenticated.
 */
export function assertCaller(request: HttpRequest, authentication: 'functionKey' | 'entraId'): void {
    if (authentication !== 'entraId') return; // the host checked the function key
    if (!request.headers.get('x-ms-client-principal-id'))
        throw new ApiProblem(
            401,
            'unauthenticated',
            'this API requires an Entra ID token checked by App Service authentication',
        );
}

/** Runs a use case and maps its result or error to a response; errors are logged, never returned. */
export async function respond(context: InvocationContext, run: () => Promise<HttpResult>): Promise<HttpResponseInit> {
    let result: HttpResult;
    try {
        result = await run();
    } catch (error) {
        result = errorToHttp(error, (message) => context.error(message));
    }
    return { status: result.status, headers: result.headers, body: result.body };
}
