/**
 * @module Reads recordings from disk as Event Hub-like message batches, streaming: memory does not grow with file size.
 * Accepts `.jsonl` / `.jsonl.gz` / `.ndjson` (one message per line), `.json` / `.json.gz` (a Log Analytics export
 * `{"records":[...]}`, a JSON array, or one event), and `.xml` / `.xml.gz` (one `<Event>` or an `<Events>` list).
 * Directories are walked recursively, files in name order.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { IngestMessage } from '../ingest/ingestBatch';

const RECORDING_PATTERN = /\.(jsonl|ndjson|json|xml)(\.gz)?$/i;

/** True for a file name the reader understands; `hollowtrace simulate`'s ground-truth files are not recordings. */
export function isRecordingFile(name: string): boolean {
    return RECORDING_PATTERN.test(name) && !/\.attacks\.json$/i.test(name);
}

/** Expands files and directories (recursively) into recording files, sorted for reproducible runs. */
export async function listRecordingFiles(paths: readonly string[]): Promise<string[]> {
    const files: string[] = [];
    for (const path of paths) {
        const info = await stat(path);
        if (info.isDirectory()) {
            const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
            const nested = entries.filter((e) => e.isDirectory() || isRecordingFile(e.name)).map((e) => join(path, e.name));
            files.push(...(await listRecordingFiles(nested)));
        } else {
            files.push(path);
        }
    }
    return files;
}

function openText(path: string): Readable {
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    return /\.gz$/i.test(path) ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
}

/**
 * The lines of a text stream, a chunk's worth at a time: one await and one UTF-8 decode per chunk, split at the last
 * newline byte (0x0A never occurs inside a multi-byte UTF-8 sequence, so the split is safe). readline's per-line
 * async iteration and a StringDecoder each cost more than parsing the lines in `npm run bench:correlate`.
 */
async function* lineChunks(input: Readable): AsyncGenerator<string[]> {
    let pending: Buffer | undefined;
    for await (const chunk of input) {
        const buffer: Buffer = pending ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
        const lastNewline = buffer.lastIndexOf(10);
        if (lastNewline === -1) {
            pending = buffer;
            continue;
        }
        pending = lastNewline + 1 < buffer.length ? Buffer.from(buffer.subarray(lastNewline + 1)) : undefined;
        yield splitLines(buffer.toString('utf8', 0, lastNewline));
    }
    if (pending && pending.length > 0) yield splitLines(pending.toString('utf8'));
}

function splitLines(text: string): string[] {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string;
        if (line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
    }
    return lines;
}

async function readWhole(path: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of openText(path)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
}

/**
 * Yields the messages of one recording in batches of at most `batchSize` (the Functions host delivers batches too).
 * Each message carries `partitionId` = the file's index in the run and a running `sequenceNumber`, so dead letters
 * and evidence can point back at the input line.
 */
export async function* readRecordingBatches(path: string, batchSize: number, partitionId: string): AsyncGenerator<IngestMessage[]> {
    let batch: IngestMessage[] = [];
    let sequenceNumber = 0;
    const push = (body: unknown): IngestMessage[] | undefined => {
        batch.push({ body, partitionId, sequenceNumber: sequenceNumber++ });
        if (batch.length < batchSize) return undefined;
        const full = batch;
        batch = [];
        return full;
    };

    if (/\.(jsonl|ndjson)(\.gz)?$/i.test(path)) {
        for await (const lines of lineChunks(openText(path))) {
            for (const line of lines) {
                if (line.trim() === '') continue;
                const full = push(line);
                if (full) yield full;
            }
        }
    } else if (/\.xml(\.gz)?$/i.test(path)) {
        // One message per <Event>: a recording may hold millions, more than one Event Hubs message would.
        const text = await readWhole(path);
        const events = text.match(/<(?:\w+:)?Event[\s>][\s\S]*?<\/(?:\w+:)?Event>/g);
        for (const body of events ?? [text]) {
            const full = push(body);
            if (full) yield full;
        }
    } else {
        const text = await readWhole(path);
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            parsed = undefined;
        }
        const records =
            parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { records?: unknown }).records)
                ? ((parsed as { records: unknown[] }).records)
                : Array.isArray(parsed)
                  ? parsed
                  : undefined;
        // A Log Analytics export or an array is split into one message per row; anything else goes in whole
        // (so broken JSON reaches the ingest core and is rejected there with a reason).
        for (const body of records ? records.map((row) => JSON.stringify(Array.isArray(parsed) ? row : { records: [row] })) : [text]) {
            const full = push(body);
            if (full) yield full;
        }
    }
    if (batch.length > 0) yield batch;
}
