/**
 * A small stand-in for `func start`'s HTTP front: serves the HTTP functions' own handlers (the exported `...With`
 * factories of functions/*.ts, given this server's dependencies) on a node:http server, building the
 * `@azure/functions` HttpRequest and InvocationContext objects the host would. Routes, methods and auth levels come
 * from the functions' own `app.http` registrations (captured by ./functionsRegistry), so they cannot drift from what
 * Azure serves. With `functionKey` set it also checks the key like Azure does for `authLevel: 'function'` (header
 * `x-functions-key` or query `code`); anonymous functions (health) stay open.
 */
// First: the registrations are captured only if the stand-in is in place before any functions/ module registers.
import { registeredHttpFunctions } from './functionsRegistry';
import type { RegisteredHttpFunction } from './functionsRegistry';
import { createHash, timingSafeEqual } from 'node:crypto';
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

export interface Route {
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

/** Every route is below this prefix, host.json's `extensions.http.routePrefix` default. */
const ROUTE_PREFIX = 'api';

/**
 * The handler of each registered HTTP function, built on this server's dependencies rather than the Function App's
 * configuration. `undefined`: not served with these options (stage 1 is optional, so reprocess answers 404 without
 * it). A registered HTTP function missing here stops the server from starting (see {@link routesFrom}).
 */
function handlersFor(
    deps: IncidentsApiDependencies,
    ingest: IngestDependencies | undefined,
): Record<string, HttpHandler | undefined> {
    const get = (): Promise<IncidentsApiDependencies> => Promise.resolve(deps);
    return {
        enrichIncident: enrichIncidentWith(get),
        listIncidents: listIncidentsWith(get),
        getIncident: getIncidentWith(get),
        listDeadLetters: listDeadLettersWith(get),
        reprocessDeadLetters: ingest && reprocessDeadLettersWith(() => Promise.resolve(ingest)),
        health: healthWith(get),
        openApi,
    };
}

/**
 * The pattern of a route template (`incidents/{id}`): each `{name}` (or `{name:constraint}`) matches one path
 * segment into the group `name`. Optional and catch-all parameters are not used by our functions and refused.
 */
export function routePattern(route: string): RegExp {
    const parts = route.split('/').map((segment) => {
        const parameter = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}?*]+)?\}$/.exec(segment);
        if (parameter) return `(?<${parameter[1]!}>[^/]+)`;
        if (/[{}]/.test(segment)) throw new Error(`route segment '${segment}' is not supported by the local server`);
        return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    });
    return new RegExp(`^/${ROUTE_PREFIX}/${parts.join('/')}$`);
}

/**
 * The route table: one entry per method of each registered HTTP function that has a handler here, literal routes
 * before parameterised ones (as the host's routing prefers `incidents/enrich` to `incidents/{id}`).
 */
export function routesFrom(
    functions: readonly RegisteredHttpFunction[],
    handlers: Record<string, HttpHandler | undefined>,
): Route[] {
    if (functions.length === 0)
        throw new Error('no HTTP function registrations were captured: import ./functionsRegistry before functions/');
    const unknown = functions.filter((fn) => !(fn.name in handlers)).map((fn) => fn.name);
    if (unknown.length > 0) throw new Error(`the local server has no handler for ${unknown.join(', ')}`);
    const parameters = (route: string): number => (route.match(/\{/g) ?? []).length;
    return [...functions]
        .sort((a, b) => parameters(a.route) - parameters(b.route))
        .flatMap((fn) => {
            const handler = handlers[fn.name];
            if (handler === undefined) return [];
            const pattern = routePattern(fn.route);
            return fn.methods.map((method) => ({
                method: method.toUpperCase(),
                pattern,
                name: fn.name,
                handler,
                anonymous: fn.authLevel === 'anonymous',
            }));
        });
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

/**
 * A Host header as RFC 9110 §7.2 allows it: a DNS name, IPv4 address or bracketed IPv6 address, and an optional
 * port. Anything else (spaces, `@`, a path, an empty port) is refused before it reaches a URL parser.
 */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** Compares a presented key with the configured one in time independent of where they differ (hashes: equal lengths). */
function keyMatches(presented: string | undefined, expected: string): boolean {
    if (presented === undefined) return false;
    const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
    return timingSafeEqual(digest(presented), digest(expected));
}

function sendProblem(response: ServerResponse, status: number, code: string, detail: string, field?: string): void {
    const result = problem(status, code, detail, field);
    send(response, { status: result.status, headers: result.headers, body: result.body });
}

/** Route parameters decoded; undefined when one holds malformed percent-encoding (`%`, `%zz`, a lone surrogate). */
function decodeParams(groups: Record<string, string>): Record<string, string> | undefined {
    try {
        return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, decodeURIComponent(v)]));
    } catch {
        return undefined;
    }
}

function send(response: ServerResponse, init: HttpResponseInit): void {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[key] = value;
    response.writeHead(init.status ?? 200, headers);
    response.end(typeof init.body === 'string' ? init.body : init.body === undefined ? '' : JSON.stringify(init.body));
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
    const table = routesFrom(registeredHttpFunctions(), handlersFor(options.dependencies, options.ingest));
    const log = options.log ?? (() => undefined);
    let base = 'http://127.0.0.1';
    const server: Server = createServer((request, response) => {
        void (async () => {
            const host = request.headers.host;
            if (host !== undefined && !HOST_HEADER.test(host)) {
                sendProblem(
                    response,
                    400,
                    'invalid-host-header',
                    'the Host header is not a host name and port',
                    'host',
                );
                return;
            }
            // The URL is resolved against the server's own address: the Host header never decides what is parsed.
            let url: URL;
            try {
                url = new URL(request.url ?? '/', base);
            } catch {
                sendProblem(response, 400, 'invalid-url', 'the request target is not a valid path');
                return;
            }
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
                const header = request.headers['x-functions-key'];
                const key = typeof header === 'string' ? header : (url.searchParams.get('code') ?? undefined);
                if (!keyMatches(key, options.functionKey)) {
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
            const params = decodeParams(route.pattern.exec(url.pathname)?.groups ?? {});
            if (params === undefined) {
                sendProblem(response, 400, 'invalid-path', 'the path holds malformed percent-encoding');
                return;
            }
            const httpRequest = new HttpRequest({
                method: request.method ?? 'GET',
                url: url.toString(),
                headers,
                params,
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
    await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) => {
            reject(
                error.code === 'EADDRINUSE'
                    ? new Error(
                          `port ${options.port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --port`,
                      )
                    : error,
            );
        });
        server.listen(options.port, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    return {
        url: `http://127.0.0.1:${port}/api`,
        close: () =>
            new Promise<void>((resolve, reject) => {
                server.closeAllConnections();
                server.close((error) => (error ? reject(error) : resolve()));
            }),
    };
}
