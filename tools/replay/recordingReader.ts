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
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { IngestMessage } from '../../shared/ingest/ingestBatch';
import { EvtxFormatError, readEvtxRecords } from './evtxReader';

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
export async function listRecordingFiles(
    paths: readonly string[],
    onSkip?: (path: string, why: string) => void,
): Promise<string[]> {
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
            files.push(...(await listRecordingFiles(nested, onSkip)));
        } else if (info.isFile()) {
            files.push(path);
        } else {
            // A FIFO or device never ends (or blocks until a writer comes): reading it would hang the replay.
            onSkip?.(path, `not a regular file (${fileKind(info)}), skipped`);
        }
    }
    return files;
}

function fileKind(info: Stats): string {
    if (info.isFIFO()) return 'a FIFO';
    if (info.isCharacterDevice()) return 'a character device';
    if (info.isBlockDevice()) return 'a block device';
    if (info.isSocket()) return 'a socket';
    return 'not a file';
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

function gunzipped(path: string): Readable {
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    raw.on('error', (error) => gunzip.destroy(error)); // pipe() does not pass a read error on: the reader would wait
    return raw.pipe(gunzip);
}

/**
 * The file's bytes, inflated when it is gzip'd. A gzip stream that fails (cut short, corrupt) gives every reader the
 * same bytes before the error, however fast it read: a failing stream drops what it had inflated but not yet handed
 * over (up to a few MiB: its chunks are 1 MiB), so on an error the file is inflated again, without back-pressure,
 * and what the first pass had not handed over comes out before the error. One thread and each stripe of a parallel
 * replay (./parallelIngest.ts) then agree on where the file breaks.
 */
async function* openText(path: string): AsyncGenerator<Buffer> {
    if (!/\.gz$/i.test(path)) {
        for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
        return;
    }
    let delivered = 0;
    try {
        for await (const chunk of gunzipped(path)) {
            delivered += (chunk as Buffer).length;
            yield chunk as Buffer;
        }
    } catch {
        const again = await inflateAfter(path, delivered);
        yield* again.rest;
        if (again.error !== undefined) throw again.error;
    }
}

/** Inflates `path` in flowing mode (nothing is dropped before an error) and keeps what comes after `skip` bytes. */
function inflateAfter(path: string, skip: number): Promise<{ rest: Buffer[]; error?: Error }> {
    return new Promise((resolve) => {
        const rest: Buffer[] = [];
        let seen = 0;
        const stream = gunzipped(path);
        stream.on('data', (chunk: Buffer) => {
            if (seen + chunk.length > skip) rest.push(seen >= skip ? chunk : chunk.subarray(skip - seen));
            seen += chunk.length;
        });
        stream.on('error', (error) => resolve({ rest, error }));
        stream.on('end', () => resolve({ rest }));
    });
}

/** A line longer than the limit: only its start is kept, the rest skipped as it streams past. */
export interface OversizeLine {
    /** Length of the whole line in bytes. */
    bytes: number;
    /** Its first bytes (at most `OVERSIZE_HEAD_BYTES`), for the dead letter. */
    head: Buffer;
}

/** Bytes kept of a line over the limit: enough for a dead letter's raw text (30,000 characters by default). */
const OVERSIZE_HEAD_BYTES = 64 * 1024;

function oversizeStart(parts: readonly Buffer[], bytes: number): OversizeLine {
    const head = Buffer.concat(parts, Math.min(bytes, OVERSIZE_HEAD_BYTES));
    return { bytes, head };
}

/**
 * The lines of a text stream, a chunk's worth at a time: one await per chunk, lines found on the bytes (0x0A never
 * occurs inside a multi-byte UTF-8 sequence) and each line decoded on its own. Decoding line by line matters: one
 * non-ASCII character makes V8 decode a whole 1 MiB chunk into a two-byte string, which costs far more than decoding
 * the lines and slows `JSON.parse` of them; readline's per-line async iteration and a StringDecoder each cost more than
 * parsing the lines (docs/performance.md, "Measurements behind choices in the code").
 * A line longer than `maxLineBytes` is not buffered: its start is kept, the rest counted and dropped until its end,
 * and it comes out as an `OversizeLine`. Memory holds one chunk plus at most `maxLineBytes` whatever the input.
 */
export async function* lineChunks(
    input: AsyncIterable<unknown>,
    maxLineBytes = Number.POSITIVE_INFINITY,
): AsyncGenerator<(string | OversizeLine)[]> {
    // The start of a line that continues in a later chunk. Only that line is joined: concatenating the whole chunk to
    // it copied every byte of the input once more.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let oversize: OversizeLine | undefined; // the line being skipped past the limit
    const keepRest = (rest: Buffer): void => {
        if (rest.length > maxLineBytes) oversize = oversizeStart([rest], rest.length);
        else if (rest.length > 0) {
            pending.push(Buffer.from(rest)); // a copy: the chunk itself can go
            pendingBytes = rest.length;
        }
    };
    for await (const data of input) {
        const chunk = data as Buffer;
        const firstNewline = chunk.indexOf(10);
        if (firstNewline === -1) {
            if (oversize !== undefined) {
                oversize.bytes += chunk.length;
                continue;
            }
            pending.push(chunk);
            pendingBytes += chunk.length;
            if (pendingBytes > maxLineBytes) {
                oversize = oversizeStart(pending, pendingBytes);
                pending = [];
                pendingBytes = 0;
            }
            continue;
        }
        const lines: (string | OversizeLine)[] = [];
        let start = 0;
        if (oversize !== undefined) {
            oversize.bytes += firstNewline;
            lines.push(oversize);
            oversize = undefined;
            start = firstNewline + 1;
        } else if (pending.length > 0) {
            if (pendingBytes + firstNewline > maxLineBytes) {
                pending.push(chunk.subarray(0, firstNewline));
                lines.push(oversizeStart(pending, pendingBytes + firstNewline));
            } else {
                pending.push(chunk.subarray(0, firstNewline + 1));
                const head = Buffer.concat(pending);
                pushLines(lines, head, 0, head.length, maxLineBytes);
            }
            pending = [];
            pendingBytes = 0;
            start = firstNewline + 1;
        }
        const end = chunk.lastIndexOf(10) + 1;
        pushLines(lines, chunk, start, end, maxLineBytes);
        keepRest(chunk.subarray(end));
        yield lines;
    }
    if (oversize !== undefined) {
        yield [oversize];
    } else if (pending.length > 0) {
        const tail = Buffer.concat(pending);
        const lines: (string | OversizeLine)[] = [];
        pushLines(lines, tail, 0, tail.length, maxLineBytes);
        yield lines;
    }
}

/**
 * Appends the lines in `buffer[start, end)`, each decoded as UTF-8, a trailing CR removed; a last line needs no
 * newline. A line over `maxLineBytes` is appended as an `OversizeLine`.
 */
function pushLines(
    lines: (string | OversizeLine)[],
    buffer: Buffer,
    start: number,
    end: number,
    maxLineBytes: number,
): void {
    while (start < end) {
        let newline = buffer.indexOf(10, start);
        if (newline === -1 || newline >= end) newline = end;
        const stop = newline > start && buffer[newline - 1] === 13 ? newline - 1 : newline;
        if (stop - start > maxLineBytes) lines.push(oversizeStart([buffer.subarray(start, stop)], stop - start));
        else lines.push(buffer.toString('utf8', start, stop));
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
async function isJsonLines(path: string, maxLineBytes: number): Promise<boolean> {
    const seen: (string | OversizeLine)[] = [];
    for await (const lines of lineChunks(openText(path), maxLineBytes)) {
        for (const line of lines) if (typeof line !== 'string' || line.trim() !== '') seen.push(line);
        if (seen.length >= 2) break; // leaving the loop closes the stream
    }
    if (seen.length < 2) return false;
    const firstLine = seen[0];
    if (typeof firstLine !== 'string') return true; // a first line over the limit: read line by line, never whole
    try {
        const first: unknown = JSON.parse(firstLine);
        return first !== null && typeof first === 'object';
    } catch {
        return false;
    }
}

async function readWhole(path: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of openText(path)) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
}

/**
 * The rejection for a file that cannot be read to its end, or undefined for an error that is not about the file (a
 * bug): a gzip stream that stops early (`Z_BUF_ERROR`, zlib's "unexpected end of file"), other zlib and file-system
 * errors, and an EVTX file that is not one.
 */
function readFailure(path: string, error: unknown): Pick<IngestMessage, 'unreadable' | 'unreadableReason'> | undefined {
    if (!(error instanceof Error)) return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    const name = basename(path);
    if (code === 'Z_BUF_ERROR')
        return {
            unreadableReason: 'truncated-gzip',
            unreadable: `${name}: the gzip stream ends early (${error.message}); what came before was read`,
        };
    if ((typeof code === 'string' && /^(?:Z_|E[A-Z])/.test(code)) || error instanceof EvtxFormatError)
        return { unreadableReason: 'unreadable-file', unreadable: `${name}: ${error.message}` };
    return undefined;
}

/**
 * Yields the messages of one recording in batches of at most `batchSize` (the Functions host delivers batches too).
 * Each message carries `partitionId` = the file's index in the run and a running `sequenceNumber`, so dead letters
 * and evidence can point back at the input line.
 * The run goes on past a broken file: a line over `maxLineBytes` becomes one `too-large` message (its start kept), and
 * a file that cannot be read to its end (truncated or corrupt gzip, I/O error) ends with one `truncated-gzip` or
 * `unreadable-file` message naming it, after the messages read before the failure.
 */
export async function* readRecordingBatches(
    path: string,
    batchSize: number,
    partitionId: string,
    maxLineBytes = Number.POSITIVE_INFINITY,
): AsyncGenerator<IngestMessage[]> {
    let batch: IngestMessage[] = [];
    let sequenceNumber = 0;
    const flush = (): IngestMessage[] | undefined => {
        if (batch.length < batchSize) return undefined;
        const full = batch;
        batch = [];
        return full;
    };
    const push = (body: unknown, unreadable?: string): IngestMessage[] | undefined => {
        batch.push(
            unreadable === undefined
                ? { body, partitionId, sequenceNumber: sequenceNumber++ }
                : { body, unreadable, partitionId, sequenceNumber: sequenceNumber++ },
        );
        return flush();
    };
    const pushLine = (line: string | OversizeLine): IngestMessage[] | undefined => {
        if (typeof line === 'string') return push(line);
        batch.push({
            body: line.head,
            unreadable: `line is ${line.bytes} bytes, over the limit of ${maxLineBytes}; not read further`,
            unreadableReason: 'too-large',
            unreadableBytes: line.bytes,
            partitionId,
            sequenceNumber: sequenceNumber++,
        });
        return flush();
    };

    try {
        if (/\.evtx$/i.test(path)) {
            for await (const item of readEvtxRecords(path)) {
                const full = item.kind === 'record' ? push(item.xml) : push(item.bytes, item.detail);
                if (full) yield full;
            }
        } else if (
            /\.(jsonl|ndjson)(\.gz)?$/i.test(path) ||
            (/\.json(\.gz)?$/i.test(path) && (await isJsonLines(path, maxLineBytes)))
        ) {
            for await (const lines of lineChunks(openText(path), maxLineBytes)) {
                for (const line of lines) {
                    if (typeof line === 'string' && line.trim() === '') continue;
                    const full = pushLine(line);
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
                parsed !== null &&
                typeof parsed === 'object' &&
                Array.isArray((parsed as { records?: unknown }).records)
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
    } catch (error) {
        const failure = readFailure(path, error);
        if (failure === undefined) throw error;
        batch.push({ body: Buffer.alloc(0), ...failure, partitionId, sequenceNumber: sequenceNumber++ });
    }
    if (batch.length > 0) yield batch;
}
