/**
 * A local HTTPS stand-in of the Azure Monitor Logs Ingestion API on 127.0.0.1, for the tests and `npm run demo`:
 * the real `LogsIngestionClient` uploads to it. It answers as the service documents (learn.microsoft.com, "Logs
 * Ingestion API in Azure Monitor"): `POST /dataCollectionRules/{immutableId}/streams/{stream}?api-version=...` with
 * a bearer token and a (gzipped) JSON array; 204 when accepted, 401 without the expected token, 413 above the 1 MB
 * call limit. Tests replace answers (`respond`) to play 429 with Retry-After, 5xx or 403, and take the whole
 * endpoint down and up again (`stop` / `start`) to play an outage.
 *
 * TLS: the bearer-token policy of the Azure SDK refuses http:// endpoints, so the stand-in serves https with a
 * certificate openssl makes at start (valid one day, for 127.0.0.1 only) that clients trust through `tlsOptions.ca`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { makeLoopbackCertificate } from './loopbackCertificate';

/** Whether openssl (to make the stand-in's certificate) is on PATH. */
export function hasOpenssl(): boolean {
    return spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
}

/** The token the stand-in expects by default, and a credential that hands it out (never a real identity). */
export const STAND_IN_TOKEN = 'stand-in-token-not-a-secret';

export function standInCredential(token = STAND_IN_TOKEN, scopesSeen?: string[][]): TokenCredential {
    return {
        getToken(scopes): Promise<AccessToken> {
            scopesSeen?.push(Array.isArray(scopes) ? [...scopes] : [scopes]);
            return Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 });
        },
    };
}

export interface IngestionRequest {
    /** performance.now() when the body had arrived. */
    at: number;
    method: string;
    path: string;
    dcrImmutableId: string;
    stream: string;
    apiVersion: string | null;
    authorization: string | undefined;
    contentEncoding: string | undefined;
    /** Size of the JSON text after gunzip. */
    jsonBytes: number;
    rows: Record<string, unknown>[];
    /** Row properties the stream does not declare (the service drops them). */
    undeclared: string[];
    /** What the stand-in answered. */
    status: number;
}

export interface IngestionReply {
    status: number;
    headers?: Record<string, string>;
    body?: unknown;
}

/** Overrides the answer to a request (undefined: answer as the service would). */
export type IngestionBehaviour = (request: IngestionRequest, index: number) => IngestionReply | undefined;

export interface LogsIngestionStandInOptions {
    /** The DCR immutable id served; other ids get 404. */
    dcrImmutableId: string;
    /** Declared streams and their columns. */
    streams: Readonly<Record<string, readonly string[]>>;
    token?: string;
    /** Largest accepted JSON text; the service's limit is 1 MB (learn.microsoft.com, Azure Monitor service limits). */
    maxJsonBytes?: number;
}

export interface LogsIngestionStandIn {
    /** https://127.0.0.1:<port> */
    readonly endpoint: string;
    /** PEM of the self-signed certificate, for `tlsOptions.ca`. */
    readonly ca: string;
    readonly requests: IngestionRequest[];
    /** Rows of the requests answered 204, in arrival order. */
    accepted(): Record<string, unknown>[];
    respond(behaviour: IngestionBehaviour | undefined): void;
    /** Takes the endpoint down: open connections are cut, new ones refused. */
    stop(): Promise<void>;
    /** Brings it back on the same port. */
    start(): Promise<void>;
    close(): Promise<void>;
}

const SERVICE_LIMIT_BYTES = 1_048_576;

function serviceError(status: number, code: string, message: string, headers?: Record<string, string>): IngestionReply {
    return { status, body: { error: { code, message } }, ...(headers && { headers }) };
}

export async function startLogsIngestionStandIn(options: LogsIngestionStandInOptions): Promise<LogsIngestionStandIn> {
    const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-ingestion-'));
    const { key, cert } = makeLoopbackCertificate(dir);
    const token = options.token ?? STAND_IN_TOKEN;
    const maxJsonBytes = options.maxJsonBytes ?? SERVICE_LIMIT_BYTES;
    const requests: IngestionRequest[] = [];
    const sockets = new Set<Socket>();
    let behaviour: IngestionBehaviour | undefined;

    /** The body as rows, when it is a gzipped or plain JSON array; undefined otherwise. */
    const readRows = (body: Buffer, encoding: string | undefined): { json: number; rows?: unknown } => {
        try {
            const text = encoding === 'gzip' ? gunzipSync(body) : body;
            try {
                return { json: text.length, rows: JSON.parse(text.toString('utf8')) as unknown };
            } catch {
                return { json: text.length };
            }
        } catch {
            return { json: -1 };
        }
    };

    const serviceAnswer = (request: IngestionRequest, parsed: unknown): IngestionReply => {
        if (request.method !== 'POST') return serviceError(405, 'MethodNotAllowed', 'POST only');
        if (request.authorization !== `Bearer ${token}`)
            return serviceError(401, 'InvalidToken', 'The access token is missing or invalid.');
        if (request.dcrImmutableId !== options.dcrImmutableId)
            return serviceError(404, 'NotFound', `Data collection rule ${request.dcrImmutableId} not found.`);
        if (!options.streams[request.stream])
            return serviceError(400, 'InvalidStream', `Stream ${request.stream} is not declared.`);
        if (request.jsonBytes > maxJsonBytes)
            return serviceError(413, 'ContentLengthLimitExceeded', `The payload exceeds ${maxJsonBytes} bytes.`);
        if (!Array.isArray(parsed)) return serviceError(400, 'InvalidPayload', 'The body must be a JSON array.');
        return { status: 204 };
    };

    const handle = (req: IncomingMessage, res: ServerResponse): void => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
            const url = new URL(req.url ?? '/', 'https://stand-in');
            const match = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
            const encoding =
                typeof req.headers['content-encoding'] === 'string' ? req.headers['content-encoding'] : undefined;
            const { json, rows } = readRows(Buffer.concat(chunks), encoding);
            const stream = decodeURIComponent(match?.[2] ?? '');
            const list = Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
            const declared = new Set(options.streams[stream] ?? []);
            const request: IngestionRequest = {
                at: performance.now(),
                method: req.method ?? '',
                path: url.pathname,
                dcrImmutableId: decodeURIComponent(match?.[1] ?? ''),
                stream,
                apiVersion: url.searchParams.get('api-version'),
                authorization: req.headers.authorization,
                contentEncoding: encoding,
                jsonBytes: json,
                rows: list,
                undeclared: [...new Set(list.flatMap((row) => Object.keys(row)))].filter((name) => !declared.has(name)),
                status: 0,
            };
            const index = requests.length;
            requests.push(request);
            const reply = behaviour?.(request, index) ?? serviceAnswer(request, rows);
            request.status = reply.status;
            const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
            res.writeHead(reply.status, {
                ...(payload && { 'content-type': 'application/json; charset=utf-8' }),
                'x-ms-request-id': `stand-in-${index}`,
                ...reply.headers,
            });
            res.end(payload);
        });
    };

    let server: Server = createServer({ key, cert }, handle);
    const listen = (port: number): Promise<void> =>
        new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.on('connection', (socket: Socket) => {
                sockets.add(socket);
                socket.once('close', () => sockets.delete(socket));
            });
            server.listen(port, '127.0.0.1', () => {
                server.off('error', reject);
                resolve();
            });
        });
    await listen(0);
    const port = (server.address() as AddressInfo).port;
    let running = true;

    const stop = async (): Promise<void> => {
        if (!running) return;
        running = false;
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
    };

    return {
        endpoint: `https://127.0.0.1:${port}`,
        ca: cert,
        requests,
        accepted: () => requests.filter((r) => r.status === 204).flatMap((r) => r.rows),
        respond(next) {
            behaviour = next;
        },
        stop,
        async start() {
            if (running) return;
            server = createServer({ key, cert }, handle);
            await listen(port);
            running = true;
        },
        async close() {
            await stop();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
