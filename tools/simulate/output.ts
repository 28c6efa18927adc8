/**
 * @module Writers for a simulated stream: JSON lines to a `Writable` (stdout) or a file (gzip when the name ends in
 * `.gz`), as fast as the destination takes them; or batches of lines to an `EventSink` port (Event Hubs:
 * tools/eventHub/EventHubSink.ts), optionally paced so each event leaves at its simulated time.
 */
import { createWriteStream } from 'node:fs';
import { finished, pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import type { FlatSysmonEvent } from './types';

/** Where lines go when they are not written to a stream: one call per batch of JSON lines (no newlines). */
export interface EventSink {
    send(lines: string[]): Promise<void>;
}

/** Totals of one write or send. */
export interface WriteSummary {
    events: number;
    /** UTF-8 bytes written or sent, newlines included for streams. */
    bytes: number;
    /** Calls to `EventSink.send` (0 for stream writers). */
    sends: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** Resolves on 'drain'; rejects on 'error', or when the stream closes first (it would never drain). */
function drained(out: Writable): Promise<void> {
    return new Promise((resolve, reject) => {
        const cleanup = (): void => {
            out.off('drain', onDrain);
            out.off('error', onError);
            out.off('close', onClose);
        };
        const onDrain = (): void => {
            cleanup();
            resolve();
        };
        const onError = (error: unknown): void => {
            cleanup();
            reject(error instanceof Error ? error : new Error(String(error)));
        };
        const onClose = (): void => {
            cleanup();
            reject(new Error('the output stream closed before the stream was written'));
        };
        out.on('drain', onDrain);
        out.on('error', onError);
        out.on('close', onClose);
    });
}

/**
 * Writes one JSON line per event to `out`, in chunks, waiting for 'drain' when the destination is full. Does not end
 * `out` (stdout stays open). Rejects with the stream's error if it fails.
 */
export async function writeJsonLines(
    events: Iterable<FlatSysmonEvent>,
    out: Writable,
    options: { chunkBytes?: number } = {},
): Promise<WriteSummary> {
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const summary: WriteSummary = { events: 0, bytes: 0, sends: 0 };
    // An error can arrive while no write is pending (EPIPE on a closed pipe): remember it and stop at the next chunk.
    const state: { failure?: Error } = {};
    const onError = (error: unknown): void => {
        state.failure ??= error instanceof Error ? error : new Error(String(error));
    };
    // A call, not a property read: TypeScript would keep the first check's narrowing across the await.
    const check = (): void => {
        if (state.failure) throw state.failure;
    };
    out.on('error', onError);
    try {
        let parts: string[] = [];
        let size = 0;
        const flush = async (): Promise<void> => {
            const chunk = parts.join('');
            parts = [];
            size = 0;
            check();
            summary.bytes += Buffer.byteLength(chunk, 'utf8');
            if (!out.write(chunk)) await drained(out);
            check();
        };
        for (const event of events) {
            const line = `${JSON.stringify(event)}\n`;
            parts.push(line);
            size += line.length;
            summary.events++;
            if (size >= chunkBytes) await flush();
        }
        if (parts.length > 0) await flush();
        return summary;
    } finally {
        out.off('error', onError);
    }
}

/** Writes the stream to a file (gzip-compressed when `path` ends in `.gz`), closes it, and returns the totals. */
export async function writeJsonLinesToFile(events: Iterable<FlatSysmonEvent>, path: string): Promise<WriteSummary> {
    const file = createWriteStream(path);
    const gzip = /\.gz$/i.test(path) ? createGzip() : undefined;
    const head: Writable = gzip ?? file;
    const done = gzip ? pipeline(gzip, file) : finished(file);
    // Observed now so an early failure (the folder does not exist) is not reported as unhandled; awaited below.
    done.catch(() => undefined);
    try {
        const summary = await writeJsonLines(events, head);
        head.end();
        await done;
        return summary;
    } catch (error) {
        head.destroy();
        await done.catch(() => undefined);
        throw error;
    }
}

/** How `sendToSink` batches and paces. */
export interface SendOptions {
    /**
     * Real-time pacing: an event is sent once the wall clock has advanced, since the first event, as far as its
     * `UtcTime` is past the first event's (at most `flushIntervalMs` later). Without it, as fast as the sink takes them.
     */
    paced?: boolean;
    /** Most lines per `send`; the Event Hubs sink splits further by host and batch size. */
    maxLinesPerSend?: number;
    /** Paced only: events due within this window go out together in one send. */
    flushIntervalMs?: number;
    /** Clock and sleep, for tests. */
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    onProgress?: (summary: WriteSummary) => void;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC) to epoch ms. */
function utcMs(utcTime: string): number {
    return Date.parse(`${utcTime.slice(0, 10)}T${utcTime.slice(11)}Z`);
}

/** Sends the stream to a sink in batches of JSON lines, paced or not; a failed send rejects (nothing is retried here). */
export async function sendToSink(
    events: Iterable<FlatSysmonEvent>,
    sink: EventSink,
    options: SendOptions = {},
): Promise<WriteSummary> {
    const maxLines = options.maxLinesPerSend ?? 500;
    const flushIntervalMs = options.flushIntervalMs ?? 250;
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? ((ms: number): Promise<void> => delay(ms));
    const summary: WriteSummary = { events: 0, bytes: 0, sends: 0 };
    let buffer: string[] = [];
    let firstSimMs: number | undefined;
    let wallStartMs = 0;
    let windowStartMs = 0;
    let lastDueMs = 0;

    const flush = async (): Promise<void> => {
        if (buffer.length === 0) return;
        if (options.paced) {
            // Wait for the latest buffered event's time: an event is never sent before it happened.
            const wait = lastDueMs - now();
            if (wait > 0) await sleep(wait);
        }
        const lines = buffer;
        buffer = [];
        await sink.send(lines);
        summary.sends++;
        for (const line of lines) summary.bytes += Buffer.byteLength(line, 'utf8');
        options.onProgress?.(summary);
    };

    for (const event of events) {
        const line = JSON.stringify(event);
        if (options.paced) {
            const simMs = utcMs(event.UtcTime);
            if (firstSimMs === undefined) {
                firstSimMs = simMs;
                wallStartMs = now();
            }
            const due = wallStartMs + (simMs - firstSimMs);
            if (buffer.length > 0 && due - windowStartMs >= flushIntervalMs) await flush();
            if (buffer.length === 0) windowStartMs = due;
            lastDueMs = due;
        }
        buffer.push(line);
        summary.events++;
        if (buffer.length >= maxLines) await flush();
    }
    await flush();
    return summary;
}

/** True when `error` is a closed pipe on the reading side (`hollowtrace simulate | head`): a normal way to stop. */
export function isBrokenPipe(error: unknown): boolean {
    return error instanceof Error && (error as NodeJS.ErrnoException).code === 'EPIPE';
}
