/**
 * @module Reads recordings from disk as Event Hub-like message batches, streaming: memory does not grow with file size.
 * Accepts `.jsonl` / `.jsonl.gz` / `.ndjson` (one message per line), `.xml` / `.xml.gz` (an `<Events>` list or
 * wevtutil's root-less run of `<Event>` elements; one message per event), Windows binary event logs `.evtx` (read a
 * 64 KiB chunk at a time, each record as its event XML: ./evtxReader.ts), and `.json` / `.json.gz`: JSON lines when
 * it is (Azure Monitor's storage exports, `PT1H.json`), else one document (a Log Analytics export `{"records":[...]}`,
 * a JSON array, or one event). Such a document is the one form read whole: it suits Event Hubs message bodies (1 MB
 * at most); whole logs come as JSON lines.
 * Directories are walked recursively, files in name order.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { IngestMessage } from '../../shared/ingest/ingestBatch';
import { readEvtxRecords } from './evtxReader';

const RECORDING_PATTERN = /\.(?:(?:jsonl|ndjson|json|xml)(?:\.gz)?|evtx)$/i;

/** True for a file name the reader understands; `hollowtrace simulate`'s ground-truth files are not recordings. */
export function isRecordingFile(name: string): boolean {
    return RECORDING_PATTERN.test(name) && !/\.attacks\.json$/i.test(name);
}

/**
 * Expands files and directories (recursively) into recording files, sorted for reproducible runs. A path that does not
 * exist may name a recording without its extension (`datasets/x/name` for `name.sysmon.jsonl.gz`, `name.evtx`, ...):
 * see `resolveRecordingStem`.
 */
export async function listRecordingFiles(paths: readonly string[]): Promise<string[]> {
    const files: string[] = [];
    for (const given of paths) {
        let path = given;
        let info;
        try {
            info = await stat(given);
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
            path = await resolveRecordingStem(given);
            info = await stat(path);
        }
        if (info.isDirectory()) {
            const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
            const nested = entries
                .filter((e) => e.isDirectory() || isRecordingFile(e.name))
                .map((e) => join(path, e.name));
            files.push(...(await listRecordingFiles(nested)));
        } else {
            files.push(path);
        }
    }
    return files;
}

/**
 * The recording file `stem` names: the one file `<stem>.<extension>` the reader understands or, when a recording comes
 * in several forms (the datasets keep `.sysmon.jsonl.gz`, `.raw.jsonl.gz` and `.evtx` copies), its flat
 * `.sysmon.jsonl.gz` form. Anything else fails with the candidates named.
 */
export async function resolveRecordingStem(stem: string): Promise<string> {
    const dir = dirname(stem);
    const prefix = `${basename(stem)}.`;
    let names: string[];
    try {
        names = await readdir(dir);
    } catch {
        names = [];
    }
    const candidates = names.filter((name) => name.startsWith(prefix) && isRecordingFile(name)).sort();
    const flat = candidates.find((name) => name === `${prefix}sysmon.jsonl.gz`);
    const chosen = candidates.length === 1 ? candidates[0] : flat;
    if (chosen !== undefined) return join(dir, chosen);
    if (candidates.length === 0)
        throw new Error(`${stem}: no such file or directory, and no recording ${prefix}<extension> beside it`);
    throw new Error(`${stem}: names ${candidates.length} recordings (${candidates.join(', ')}); give one of them`);
}

function openText(path: string): Readable {
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    return /\.gz$/i.test(path) ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
}

/**
 * The lines of a text stream, a chunk's worth at a time: one await per chunk, lines found on the bytes (0x0A never
 * occurs inside a multi-byte UTF-8 sequence) and each line decoded on its own. Decoding line by line matters: one
 * non-ASCII character makes V8 decode a whole 1 MiB chunk into a two-byte string, which on the datasets folder cost
 * five times the per-line decode (320 against 60 ms) and slowed `JSON.parse` of its lines by a tenth. readline's
 * per-line async iteration and a StringDecoder each cost more than parsing the lines.
 */
async function* lineChunks(input: Readable): AsyncGenerator<string[]> {
    // The start of a line that continues in a later chunk. Only that line is joined: concatenating the whole chunk to
    // it copied every byte of the input once more.
    let pending: Buffer[] = [];
    for await (const data of input) {
        const chunk = data as Buffer;
        const firstNewline = chunk.indexOf(10);
        if (firstNewline === -1) {
            pending.push(chunk);
            continue;
        }
        const lines: string[] = [];
        let start = 0;
        if (pending.length > 0) {
            pending.push(chunk.subarray(0, firstNewline + 1));
            const head = Buffer.concat(pending);
            pushLines(lines, head, 0, head.length);
            pending = [];
            start = firstNewline + 1;
        }
        const end = chunk.lastIndexOf(10) + 1;
        pushLines(lines, chunk, start, end);
        if (end < chunk.length) pending.push(Buffer.from(chunk.subarray(end)));
        yield lines;
    }
    if (pending.length > 0) {
        const tail = Buffer.concat(pending);
        const lines: string[] = [];
        pushLines(lines, tail, 0, tail.length);
        yield lines;
    }
}

/** Appends the lines in `buffer[start, end)`, each decoded as UTF-8, a trailing CR removed; a last line needs no newline. */
function pushLines(lines: string[], buffer: Buffer, start: number, end: number): void {
    while (start < end) {
        let newline = buffer.indexOf(10, start);
        if (newline === -1 || newline >= end) newline = end;
        const stop = newline > start && buffer[newline - 1] === 13 ? newline - 1 : newline;
        lines.push(buffer.toString('utf8', start, stop));
        start = newline + 1;
    }
}

/**
 * Longest `<Event>` the XML splitter buffers, in characters: four times the ingest core's 1 MiB message limit, so any
 * event the core could accept fits, and a runaway one (no end tag) cannot hold the whole file in memory.
 */
const MAX_XML_EVENT_CHARS = 4 * 1024 * 1024;
/** `<Event` or `<prefix:Event` followed by a tag delimiter (so `<Events>` and `<EventData>` do not match). */
const XML_EVENT_START = /<(?:[A-Za-z_][\w.-]*:)?Event(?=[\s>/])/g;
const XML_EVENT_END = /<\/(?:[A-Za-z_][\w.-]*:)?Event\s*>/g;
/** Characters kept from text that holds no event start yet, in case a start tag is split across reads. */
const START_TAG_OVERLAP = 256;

/**
 * The `<Event>` elements of an XML stream (an `<Events>` list, or wevtutil's root-less concatenation), a read's worth
 * at a time; memory holds one read plus at most one event. Nothing is dropped without a trace: an event cut off by
 * the end of the input, or longer than `maxEventChars`, is emitted as it stands for the ingest core to reject, and an
 * input with no event at all is emitted (its first `maxEventChars`) so the core says why.
 */
export async function* xmlEventChunks(input: AsyncIterable<unknown>, maxEventChars: number): AsyncGenerator<string[]> {
    const decoder = new StringDecoder('utf8');
    let text = '';
    let sawEvent = false;
    let head = ''; // the input's start, kept only until an event shows up
    const take = (final: boolean): string[] => {
        const events: string[] = [];
        let from = 0;
        for (;;) {
            XML_EVENT_START.lastIndex = from;
            const start = XML_EVENT_START.exec(text);
            if (start === null) {
                text = final ? '' : text.slice(Math.max(from, text.length - START_TAG_OVERLAP));
                return events;
            }
            sawEvent = true;
            const at = start.index;
            const tagEnd = text.indexOf('>', at);
            let end = -1;
            if (tagEnd !== -1 && text.charCodeAt(tagEnd - 1) === 47 /* / */) {
                end = tagEnd + 1; // <Event/>
            } else if (tagEnd !== -1) {
                XML_EVENT_END.lastIndex = tagEnd + 1;
                const close = XML_EVENT_END.exec(text);
                if (close !== null) end = close.index + close[0].length;
            }
            if (end !== -1 && end - at <= maxEventChars) {
                events.push(text.slice(at, end));
                from = end;
            } else if (end !== -1 || text.length - at > maxEventChars) {
                events.push(text.slice(at, at + maxEventChars + 1)); // over the limit: rejected as too large
                from = end !== -1 ? end : at + maxEventChars + 1;
            } else if (final) {
                events.push(text.slice(at)); // cut off by the end of the input: rejected as malformed
                text = '';
                return events;
            } else {
                text = text.slice(at); // wait for the rest of this event
                return events;
            }
        }
    };
    for await (const data of input) {
        const decoded = typeof data === 'string' ? data : decoder.write(data as Buffer);
        if (!sawEvent && head.length < maxEventChars) head += decoded.slice(0, maxEventChars - head.length);
        text += decoded;
        const events = take(false);
        if (events.length > 0) yield events;
    }
    const rest = decoder.end();
    if (!sawEvent && head.length < maxEventChars) head += rest.slice(0, maxEventChars - head.length);
    text += rest;
    const events = take(true);
    if (events.length > 0) yield events;
    else if (!sawEvent) yield [head];
}

/**
 * True when a `.json` file is JSON lines in fact: Azure Monitor writes to a storage account `PT1H.json` blobs with one
 * record per line, "no outer records array and no commas between JSON records" (learn.microsoft.com, azure-monitor
 * "resource-logs-blob-format"). Decided on the first line: a complete JSON object or array followed by more lines.
 * A pretty-printed or single-line document (an Event Hubs body saved to a file) is read whole as before.
 */
async function isJsonLines(path: string): Promise<boolean> {
    const seen: string[] = [];
    for await (const lines of lineChunks(openText(path))) {
        for (const line of lines) if (line.trim() !== '') seen.push(line);
        if (seen.length >= 2) break; // leaving the loop closes the stream
    }
    if (seen.length < 2) return false;
    try {
        const first: unknown = JSON.parse(seen[0] as string);
        return first !== null && typeof first === 'object';
    } catch {
        return false;
    }
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
export async function* readRecordingBatches(
    path: string,
    batchSize: number,
    partitionId: string,
): AsyncGenerator<IngestMessage[]> {
    let batch: IngestMessage[] = [];
    let sequenceNumber = 0;
    const push = (body: unknown, unreadable?: string): IngestMessage[] | undefined => {
        batch.push(
            unreadable === undefined
                ? { body, partitionId, sequenceNumber: sequenceNumber++ }
                : { body, unreadable, partitionId, sequenceNumber: sequenceNumber++ },
        );
        if (batch.length < batchSize) return undefined;
        const full = batch;
        batch = [];
        return full;
    };

    if (/\.evtx$/i.test(path)) {
        for await (const item of readEvtxRecords(path)) {
            const full = item.kind === 'record' ? push(item.xml) : push(item.bytes, item.detail);
            if (full) yield full;
        }
    } else if (/\.(jsonl|ndjson)(\.gz)?$/i.test(path) || (/\.json(\.gz)?$/i.test(path) && (await isJsonLines(path)))) {
        for await (const lines of lineChunks(openText(path))) {
            for (const line of lines) {
                if (line.trim() === '') continue;
                const full = push(line);
                if (full) yield full;
            }
        }
    } else if (/\.xml(\.gz)?$/i.test(path)) {
        // One message per <Event>: a recording may hold millions, more than one Event Hubs message would.
        for await (const events of xmlEventChunks(openText(path), MAX_XML_EVENT_CHARS)) {
            for (const body of events) {
                const full = push(body);
                if (full) yield full;
            }
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
                ? (parsed as { records: unknown[] }).records
                : Array.isArray(parsed)
                  ? parsed
                  : undefined;
        // A Log Analytics export or an array is split into one message per row; anything else goes in whole
        // (so broken JSON reaches the ingest core and is rejected there with a reason).
        for (const body of records
            ? records.map((row) => JSON.stringify(Array.isArray(parsed) ? row : { records: [row] }))
            : [text]) {
            const full = push(body);
            if (full) yield full;
        }
    }
    if (batch.length > 0) yield batch;
}
