/**
 * @module A fault-injecting proxy in front of a local Table endpoint (Azurite), for tests and `npm run bench:faults`.
 * It listens on loopback, reads each HTTP request whole, and at seeded rates answers 503 or resets the connection
 * either before forwarding (the write never happened) or after forwarding (the write was applied, the answer lost:
 * the case that turns an SDK retry into an ETag conflict), and adds latency. Faults are drawn per request from one
 * seeded generator, so a run with the same seed and the same request sequence injects the same faults.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from '../simulate/Rng';

export type Fault = '503-before' | 'reset-before' | '503-after' | 'reset-after';

export interface FaultRates {
    /** Probability per request of each fault (their sum at most 1). */
    '503-before'?: number;
    'reset-before'?: number;
    '503-after'?: number;
    'reset-after'?: number;
    /** Extra latency per request, uniform in [0, latencyMs). */
    latencyMs?: number;
}

export interface FaultProxy {
    /** `http://127.0.0.1:<port>`: use in place of the target's origin. */
    origin: string;
    /** Requests seen and faults injected, by kind. */
    readonly counts: Record<Fault | 'requests', number>;
    /** Changes the rates (e.g. none while tables are created). */
    setRates(rates: FaultRates): void;
    close(): Promise<void>;
}

const FAULTS: readonly Fault[] = ['503-before', 'reset-before', '503-after', 'reset-after'];

/** A 503 as the Table service words it (learn.microsoft.com, "Table service error codes": ServerBusy). */
function answer503(response: ServerResponse): void {
    const body = JSON.stringify({
        'odata.error': { code: 'ServerBusy', message: { lang: 'en-US', value: 'The server is busy (injected).' } },
    });
    response.writeHead(503, {
        'Content-Type': 'application/json;odata=minimalmetadata',
        'Content-Length': body.length,
    });
    response.end(body);
}

/** Starts the proxy in front of `target` (an http origin such as `http://127.0.0.1:10002`). */
export async function startFaultProxy(target: string, seed: number, initial: FaultRates = {}): Promise<FaultProxy> {
    const rng = new Rng(seed);
    const targetUrl = new URL(target);
    let rates = initial;
    const counts: Record<Fault | 'requests', number> = {
        requests: 0,
        '503-before': 0,
        'reset-before': 0,
        '503-after': 0,
        'reset-after': 0,
    };

    const draw = (): Fault | undefined => {
        let roll = rng.uint32() / 2 ** 32;
        for (const fault of FAULTS) {
            const rate = rates[fault] ?? 0;
            if (roll < rate) return fault;
            roll -= rate;
        }
        return undefined;
    };

    const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
            counts.requests++;
            const fault = draw();
            const delay = rates.latencyMs !== undefined ? (rng.uint32() / 2 ** 32) * rates.latencyMs : 0;
            if (fault !== undefined) counts[fault]++;
            const run = (): void => {
                if (fault === 'reset-before') return void incoming.socket.resetAndDestroy();
                if (fault === '503-before') return answer503(response);
                const upstream = httpRequest(
                    {
                        host: targetUrl.hostname,
                        port: targetUrl.port,
                        method: incoming.method,
                        path: incoming.url,
                        headers: incoming.headers,
                    },
                    (reply) => {
                        const body: Buffer[] = [];
                        reply.on('data', (chunk: Buffer) => body.push(chunk));
                        reply.on('end', () => {
                            if (fault === 'reset-after') return void incoming.socket.resetAndDestroy();
                            if (fault === '503-after') return answer503(response);
                            response.writeHead(reply.statusCode ?? 502, reply.headers);
                            response.end(Buffer.concat(body));
                        });
                    },
                );
                upstream.on('error', () => incoming.socket.resetAndDestroy());
                upstream.end(Buffer.concat(chunks));
            };
            if (delay > 0) setTimeout(run, delay);
            else run();
        });
    });
    // The SDK keeps connections alive; a reset must not take the proxy down.
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
        origin: `http://127.0.0.1:${String(port)}`,
        counts,
        setRates: (next) => {
            rates = next;
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
