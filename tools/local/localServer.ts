/**
 * A small stand-in for `func start`'s HTTP front: serves the HTTP functions' own handlers (the exported `...With`
 * factories of functions/*.ts) on a node:http server, building the `@azure/functions` HttpRequest and
 * InvocationContext objects the host would. With `functionKey` set it also checks the key like Azure does for
 * `authLevel: 'function'` (header `x-functions-key` or query `code`); health stays anonymous.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { enrichIncidentWith } from '../../functions/enrichIncident';
import { getIncidentWith } from '../../functions/getIncident';
import { healthWith } from '../../functions/health';
import { listDeadLettersWith } from '../../functions/listDeadLetters';
import { listIncidentsWith } from '../../functions/listIncidents';
import { reprocessDeadLettersWith } from '../../functions/reprocessDeadLetters';
import { openApi } from '../../functions/openApi';
import { ApiProblem, errorToHttp, problem } from '../../shared/api/http';
import type { IncidentsApiDependencies } from '../../shared/api/incidentsApiDependencies';
import { MAX_REQUEST_BYTES } from '../../shared/api/requestBody';
import type { IngestDependencies } from '../../shared/ingest/ingestService';

interface Route {
    method: string;
    pattern: RegExp;
    name: string;
    handler: HttpHandler;
    anonymous: boolean;
}

export interface LocalServer {
    url: string;
    close(): Promise<void>;
}

export interface LocalServerOptions {
    port: number;
    dependencies: IncidentsApiDependencies;
    /** Stage 1, for `POST /api/dead-letters/reprocess`; that route answers 404 without it. */
    ingest?: IngestDependencies;
    functionKey?: string;
    log?: (line: string) => void;
}

function routes(deps: IncidentsApiDependencies, ingest: IngestDependencies | undefined): Route[] {
    const get = (): Promise<IncidentsApiDependencies> => Promise.resolve(deps);
    const stage1 =
        ingest === undefined
            ? []
            : [
                  {
                      method: 'POST',
                      pattern: /^\/api\/dead-letters\/reprocess$/,
                      name: 'reprocessDeadLetters',
                      handler: reprocessDeadLettersWith(() => Promise.resolve(ingest)),
                      anonymous: false,
                  },
              ];
    return [
        ...stage1,
        {
            method: 'POST',
            pattern: /^\/api\/incidents\/enrich$/,
            name: 'enrichIncident',
            handler: enrichIncidentWith(get),
            anonymous: false,
        },
        {
            method: 'GET',
            pattern: /^\/api\/incidents$/,
            name: 'listIncidents',
            handler: listIncidentsWith(get),
            anonymous: false,
        },
        {
            method: 'GET',
            pattern: /^\/api\/incidents\/(?<id>[^/]+)$/,
            name: 'getIncident',
            handler: getIncidentWith(get),
            anonymous: false,
        },
        {
            method: 'GET',
            pattern: /^\/api\/dead-letters$/,
            name: 'listDeadLetters',
            handler: listDeadLettersWith(get),
            anonymous: false,
        },
        { method: 'GET', pattern: /^\/api\/health$/, name: 'health', handler: healthWith(get), anonymous: true },
        { method: 'GET', pattern: /^\/api\/openapi\.json$/, name: 'openApi', handler: openApi, anonymous: false },
    ];
}

/** Reads at most `limit` bytes; returns undefined when the body is larger (the rest is drained, not kept). */
async function readCapped(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > limit) tooLarge = true;
        else chunks.push(chunk as Buffer);
    }
    return tooLarge ? undefined : Buffer.concat(chunks);
}

function send(response: ServerResponse, init: HttpResponseInit): void {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[key] = value;
    response.writeHead(init.status ?? 200, headers);
    response.end(typeof init.body === 'string' ? init.body : init.body === undefined ? '' : JSON.stringify(init.body));
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
    const table = routes(options.dependencies, options.ingest);
    const log = options.log ?? (() => undefined);
    const server: Server = createServer((request, response) => {
        void (async () => {
            const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
            const candidates = table.filter((r) => r.pattern.test(url.pathname));
            const route = candidates.find((r) => r.method === request.method);
            if (!route) {
                const result =
                    candidates.length > 0
                        ? problem(405, 'method-not-allowed', `${request.method ?? ''} is not allowed here`)
                        : problem(404, 'not-found', `no function at ${url.pathname}`);
                send(response, { status: result.status, headers: result.headers, body: result.body });
                return;
            }
            if (!route.anonymous && options.functionKey !== undefined) {
                const key = request.headers['x-functions-key'] ?? url.searchParams.get('code');
                if (key !== options.functionKey) {
                    response.writeHead(401).end(); // Azure answers 401 without a body for a missing or wrong key
                    return;
                }
            }
            const body = await readCapped(request, MAX_REQUEST_BYTES);
            if (body === undefined) {
                const result = errorToHttp(
                    new ApiProblem(413, 'body-too-large', `request bodies are limited to ${MAX_REQUEST_BYTES} bytes`),
                    log,
                );
                send(response, { status: result.status, headers: result.headers, body: result.body });
                return;
            }
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(request.headers))
                if (typeof value === 'string') headers[name] = value;
            const params = route.pattern.exec(url.pathname)?.groups ?? {};
            const httpRequest = new HttpRequest({
                method: request.method ?? 'GET',
                url: url.toString(),
                headers,
                params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, decodeURIComponent(v)])),
                ...(body.length > 0 && { body: { bytes: new Uint8Array(body) } }),
            });
            const context = new InvocationContext({
                functionName: route.name,
                logHandler: (level, ...args) => log(`[${route.name}] ${level}: ${args.map(String).join(' ')}`),
            });
            send(response, await route.handler(httpRequest, context));
        })().catch((error: unknown) => {
            const result = errorToHttp(error, log);
            if (!response.headersSent)
                send(response, { status: result.status, headers: result.headers, body: result.body });
        });
    });
    await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/api`,
        close: () =>
            new Promise<void>((resolve, reject) => {
                server.closeAllConnections();
                server.close((error) => (error ? reject(error) : resolve()));
            }),
    };
}
