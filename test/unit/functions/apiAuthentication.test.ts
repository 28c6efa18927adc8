/** Entra ID mode: anonymous functions behind App Service authentication refuse requests that did not pass it. */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { apiAuthLevel } from '../../../functions/composition';
import { listIncidentsWith } from '../../../functions/listIncidents';
import { assertCaller } from '../../../functions/support/http';
import { ApiProblem } from '../../../shared/api/http';
import { loadConfig, readHttpAuthentication } from '../../../shared/config/loadConfig';
import { ConfigurationError } from '../../../shared/errors';

function request(headers: Record<string, string> = {}): HttpRequest {
    return new HttpRequest({ method: 'GET', url: 'https://fn.example/api/incidents', headers });
}

describe('HTTP API authentication', () => {
    const saved = process.env.HOLLOWTRACE_HTTP_AUTH;
    afterEach(() => {
        if (saved === undefined) delete process.env.HOLLOWTRACE_HTTP_AUTH;
        else process.env.HOLLOWTRACE_HTTP_AUTH = saved;
    });

    it('function keys by default; Entra ID makes the functions anonymous behind Easy Auth', () => {
        delete process.env.HOLLOWTRACE_HTTP_AUTH;
        expect(apiAuthLevel()).toBe('function');
        process.env.HOLLOWTRACE_HTTP_AUTH = 'entraId';
        expect(apiAuthLevel()).toBe('anonymous');
        expect(
            loadConfig({
                HOLLOWTRACE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
                HOLLOWTRACE_HTTP_AUTH: 'EntraID',
            }).httpAuthentication,
        ).toBe('entraId');
        expect(() => readHttpAuthentication({ HOLLOWTRACE_HTTP_AUTH: 'none' })).toThrow(ConfigurationError);
    });

    it('with Entra ID, a request without the Easy Auth principal header is refused; with it, it passes', () => {
        expect(() => assertCaller(request(), 'entraId')).toThrow(ApiProblem);
        expect(() => assertCaller(request({ 'x-ms-client-principal-id': 'playbook-oid' }), 'entraId')).not.toThrow();
        expect(() => assertCaller(request(), 'functionKey')).not.toThrow();
    });

    it('the handler answers 401 before touching storage when Easy Auth did not pass the request', async () => {
        process.env.HOLLOWTRACE_HTTP_AUTH = 'entraId';
        let used = false;
        const handler = listIncidentsWith(() => {
            used = true;
            return Promise.reject(new Error('not reached'));
        });
        const response = await handler(
            request(),
            new InvocationContext({ functionName: 'listIncidents', logHandler: () => undefined }),
        );
        expect(response.status).toBe(401);
        expect(used).toBe(false);
    });
});
