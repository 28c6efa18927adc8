/**
 * Ingest benchmark (not a test: it never fails on a target, only on a broken parser).
 *
 * Loads the 49,695 Sysmon events of ../shared/datasets (`*.sysmon.jsonl.gz`), rebuilds them in memory as three
 * Event Hub envelopes, and measures `ingestBatch` on each in batches of 256 string bodies, single-threaded:
 *   (a) flat JSON lines, the file lines as they are;
 *   (b) Log Analytics export rows of `Type` `Event`, one `{"records":[row]}` per message, `EventData` the
 *       `<DataItem><EventData>` XML string (docs/architecture.md, "Feed shapes");
 *   (c) raw `<Event>` XML documents with a System block;
 * and, for information (no target), the events of (c) as (d) EVTX libraries and (e) Windows itself render them.
 * Baselines in the same run: `JSON.parse` of the same strings ((c)-(e) use (a)'s strings), timed back to back with ingest
 * in every round (the ratio is the median of the rounds' ratios), and fast-xml-parser 5
 * on the XML of (b)-(e). Then streams 1,000,000 flat and 1,000,000 LA events
 * through `ingestBatch` and samples memory every 100,000 events.
 *
 * Run: `npm run bench:ingest`. Writes bench/results/ingest-latest.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { scanEventXml } from '../shared/ingest/eventXml';
import { projectRoot } from './projectRoot';
import { ingestBatch, DEFAULT_INGEST_LIMITS } from '../shared/ingest/ingestBatch';
import type { IngestMessage } from '../shared/ingest/ingestBatch';

const BATCH_SIZE = 256;
const WARMUP_ROUNDS = 1;
/** Eleven rather than seven: on this noisy VM single rounds of the flat ratio ranged 0.36-0.75, and the median of more rounds moves less. */
const TIMED_ROUNDS = 11;
const FXP_TIMED_ROUNDS = 3;
const STREAM_EVENTS = 1_000_000;
const SAMPLE_EVERY = 100_000;
/** Post-GC heap growth between the 200k sample and the end that still counts as flat. */
const FLAT_HEAP_TOLERANCE_MB = 4;

const TARGET_FLAT_RATIO = 0.5;
const TARGET_XML_EVENTS_PER_S = 250_000;

const NOW = new Date('2026-01-01T00:00:00.000Z');
const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';
const SYSMON_PROVIDER_GUID = '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}';
const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';
const HEALTH_SERVICE_ID = '7A1A9B3C-55D2-4E0B-8F0A-2C1D3E4F5A6B';
/** Keys of the flat shape that belong to the envelope (System block / row columns), not to `<Data>`. */
const ENVELOPE_KEYS = new Set(['EventID', 'Channel', 'Computer', 'TimeCreated', 'EventRecordID']);

type FlatEvent = Record<string, unknown>;
type Batch = IngestMessage[];

interface Envelope {
    key: 'flat' | 'la-event' | 'raw-xml' | 'raw-xml-rendered' | 'raw-xml-windows';
    /** Shown for information only: not one of the issue's envelopes, so not judged against a target. */
    informational?: boolean;
    label: string;
    bodies: string[];
    /** Strings the JSON.parse baseline parses (for raw XML: the flat lines). */
    baselineBodies: string[];
    baselineNote: string;
    /** How fast-xml-parser reads one body, when the envelope carries XML. */
    fxp?: (parser: XMLParser, body: string) => unknown;
    /** How our scanner alone (no normalization) reads one body: the like-for-like comparison with fast-xml-parser. */
    scan?: (body: string) => unknown;
}

interface Stats {
    medianMs: number;
    roundsMs: number[];
    eventsPerSecond: number;
}

// ---------------------------------------------------------------------------------------------- loading

function findDatasetFiles(dir: string): string[] {
    const found: string[] = [];
    const walk = (at: string): void => {
        for (const entry of readdirSync(at, { withFileTypes: true })) {
            const path = join(at, entry.name);
            if (entry.isDirectory()) walk(path);
            else if (entry.isFile() && entry.name.endsWith('.sysmon.jsonl.gz')) found.push(path);
        }
    };
    walk(dir);
    return found.sort();
}

function loadFlatLines(files: readonly string[]): string[] {
    const lines: string[] = [];
    for (const file of files) {
        const text = gunzipSync(readFileSync(file)).toString('utf8');
        for (const line of text.split('\n')) {
            const trimmed = line.trim();
            if (trimmed !== '') lines.push(trimmed);
        }
    }
    return lines;
}

// ---------------------------------------------------------------------------------------------- envelopes

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const XML_SPECIAL = /[&<>"']/;
const XML_SPECIAL_GLOBAL = /[&<>"']/g;

function xmlEscape(text: string): string {
    return XML_SPECIAL.test(text) ? text.replace(XML_SPECIAL_GLOBAL, (c) => XML_ESCAPES[c] ?? c) : text;
}

function asText(value: unknown): string {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** ISO time for `TimeGenerated` / `SystemTime`: the flat `TimeCreated`, else `UtcTime` made ISO. */
function isoTime(event: FlatEvent): string {
    if (typeof event.TimeCreated === 'string' && event.TimeCreated !== '') return event.TimeCreated;
    if (typeof event.UtcTime === 'string' && event.UtcTime !== '') return `${event.UtcTime.replace(' ', 'T')}Z`;
    return NOW.toISOString();
}

/** The `<Data>` elements of an event, names in double quotes or, as Windows writes them, single. */
function dataElements(event: FlatEvent, quote: '"' | "'" = '"'): string {
    let out = '';
    for (const [name, value] of Object.entries(event)) {
        if (ENVELOPE_KEYS.has(name)) continue;
        const text = asText(value);
        const named = `<Data Name=${quote}${xmlEscape(name)}${quote}`;
        out += text === '' ? `${named}/>` : `${named}>${xmlEscape(text)}</Data>`;
    }
    return out;
}

function laEventRow(event: FlatEvent): string {
    const time = isoTime(event);
    const eventData =
        `<DataItem type="System.XmlData" time="${xmlEscape(time)}" sourceHealthServiceId="${HEALTH_SERVICE_ID}">` +
        `<EventData xmlns="${EVENT_NS}">${dataElements(event)}</EventData></DataItem>`;
    const row = {
        TimeGenerated: time,
        Source: SYSMON_PROVIDER,
        EventLog: SYSMON_CHANNEL,
        Computer: event.Computer,
        EventID: event.EventID,
        Type: 'Event',
        EventData: eventData,
    };
    return JSON.stringify({ records: [row] });
}

function rawEventXml(event: FlatEvent): string {
    let system = `<Provider Name="${SYSMON_PROVIDER}" Guid="${SYSMON_PROVIDER_GUID}"/>`;
    system += `<EventID>${xmlEscape(asText(event.EventID))}</EventID>`;
    system += `<TimeCreated SystemTime="${xmlEscape(isoTime(event))}"/>`;
    if (event.EventRecordID !== null && event.EventRecordID !== undefined) {
        system += `<EventRecordID>${xmlEscape(asText(event.EventRecordID))}</EventRecordID>`;
    }
    system += `<Channel>${xmlEscape(asText(event.Channel ?? SYSMON_CHANNEL))}</Channel>`;
    system += `<Computer>${xmlEscape(asText(event.Computer))}</Computer>`;
    return `<Event xmlns="${EVENT_NS}"><System>${system}</System><EventData>${dataElements(event)}</EventData></Event>`;
}

/**
 * The same event as an EVTX library renders it (python-evtx, @ts-evtx, which `replay` reads `.evtx` logs with): empty
 * elements opened and closed, `EventID` with a `Qualifiers` attribute, the System children Windows records, and
 * quotes in text escaped as `&quot;` (the datasets' own `.evtx` renderings, e.g. Defense_Evasion__sysmon_10_1_ppid_spoofing).
 */
function renderedEventXml(event: FlatEvent): string {
    let system = `<Provider Name="${SYSMON_PROVIDER}" Guid="${SYSMON_PROVIDER_GUID}"></Provider>`;
    system += `<EventID Qualifiers="">${xmlEscape(asText(event.EventID))}</EventID><Version>5</Version><Level>4</Level>`;
    system += `<TimeCreated SystemTime="${xmlEscape(isoTime(event))}"></TimeCreated>`;
    if (event.EventRecordID !== null && event.EventRecordID !== undefined) {
        system += `<EventRecordID>${xmlEscape(asText(event.EventRecordID))}</EventRecordID>`;
    }
    system +=
        '<Correlation ActivityID="" RelatedActivityID=""></Correlation><Execution ProcessID="1912" ThreadID="996"></Execution>';
    system += `<Channel>${xmlEscape(asText(event.Channel ?? SYSMON_CHANNEL))}</Channel>`;
    system += `<Computer>${xmlEscape(asText(event.Computer))}</Computer><Security UserID="S-1-5-18"></Security>`;
    return `<Event xmlns="${EVENT_NS}">\n  <System>\n    ${system}\n  </System>\n  <EventData>\n    ${dataElements(event)}\n  </EventData>\n</Event>`;
}

/**
 * The same event as Windows renders it (EvtRender: Get-WinEvent's ToXml, wevtutil, forwarded events): single quotes
 * throughout and the whole System block, as in the Windows renderings shown in public Sysmon material.
 */
function windowsEventXml(event: FlatEvent): string {
    let system = `<Provider Name='${SYSMON_PROVIDER}' Guid='${SYSMON_PROVIDER_GUID}'/>`;
    system += `<EventID>${xmlEscape(asText(event.EventID))}</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode>`;
    system += `<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='${xmlEscape(isoTime(event))}'/>`;
    if (event.EventRecordID !== null && event.EventRecordID !== undefined) {
        system += `<EventRecordID>${xmlEscape(asText(event.EventRecordID))}</EventRecordID>`;
    }
    system += `<Correlation/><Execution ProcessID='1912' ThreadID='996'/><Channel>${xmlEscape(asText(event.Channel ?? SYSMON_CHANNEL))}</Channel>`;
    system += `<Computer>${xmlEscape(asText(event.Computer))}</Computer><Security UserID='S-1-5-18'/>`;
    return `<Event xmlns='${EVENT_NS}'><System>${system}</System><EventData>${dataElements(event, "'")}</EventData></Event>`;
}

function toBatches(bodies: readonly string[]): Batch[] {
    const batches: Batch[] = [];
    for (let start = 0; start < bodies.length; start += BATCH_SIZE) {
        const batch: Batch = [];
        for (let i = start; i < Math.min(start + BATCH_SIZE, bodies.length); i++) {
            batch.push({ body: bodies[i], partitionId: '0', sequenceNumber: i });
        }
        batches.push(batch);
    }
    return batches;
}

// ---------------------------------------------------------------------------------------------- timing

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function stats(roundsMs: number[], events: number): Stats {
    const medianMs = median(roundsMs);
    return { medianMs, roundsMs, eventsPerSecond: events / (medianMs / 1000) };
}

interface Counts {
    received: number;
    accepted: number;
    ignored: number;
    rejected: number;
    rejectedByReason: Record<string, number>;
}

function runIngest(batches: readonly Batch[]): { ms: number; counts: Counts } {
    const counts: Counts = { received: 0, accepted: 0, ignored: 0, rejected: 0, rejectedByReason: {} };
    const start = performance.now();
    for (const batch of batches) {
        const { report } = ingestBatch(batch, NOW);
        counts.received += report.received;
        counts.accepted += report.accepted;
        counts.ignored += report.ignored;
        counts.rejected += report.rejected;
        if (report.rejected > 0) {
            for (const [reason, n] of Object.entries(report.rejectedByReason)) {
                counts.rejectedByReason[reason] = (counts.rejectedByReason[reason] ?? 0) + (n ?? 0);
            }
        }
    }
    return { ms: performance.now() - start, counts };
}

let blackhole = 0;

function runJsonParse(batches: readonly Batch[]): number {
    const start = performance.now();
    for (const batch of batches) {
        for (const message of batch) {
            const value: unknown = JSON.parse(message.body as string);
            if (value !== null) blackhole++;
        }
    }
    return performance.now() - start;
}

function runFxp(
    batches: readonly Batch[],
    parser: XMLParser,
    read: (parser: XMLParser, body: string) => unknown,
): number {
    const start = performance.now();
    for (const batch of batches) {
        for (const message of batch) {
            if (read(parser, message.body as string) !== undefined) blackhole++;
        }
    }
    return performance.now() - start;
}

function runScan(batches: readonly Batch[], read: (body: string) => unknown): number {
    const start = performance.now();
    for (const batch of batches) {
        for (const message of batch) {
            if (read(message.body as string) !== undefined) blackhole++;
        }
    }
    return performance.now() - start;
}

const SCAN_LIMITS = { maxDepth: DEFAULT_INGEST_LIMITS.maxDepth };

function scanLaRow(body: string): unknown {
    const parsed = JSON.parse(body) as { records: { EventData: string }[] };
    const row = parsed.records[0];
    return row === undefined ? undefined : scanEventXml(row.EventData, SCAN_LIMITS);
}

function scanRawXml(body: string): unknown {
    return scanEventXml(body, SCAN_LIMITS);
}

function fxpLaRow(parser: XMLParser, body: string): unknown {
    const parsed = JSON.parse(body) as { records: { EventData: string }[] };
    const row = parsed.records[0];
    return row === undefined ? undefined : (parser.parse(row.EventData) as unknown);
}

function fxpRawXml(parser: XMLParser, body: string): unknown {
    return parser.parse(body) as unknown;
}

// ---------------------------------------------------------------------------------------------- memory

function acquireGc(): { gc: (() => void) | undefined; how: string } {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (typeof existing === 'function') return { gc: existing, how: 'global.gc (node started with --expose-gc)' };
    try {
        v8.setFlagsFromString('--expose-gc');
        const fn = vm.runInNewContext('gc') as unknown;
        if (typeof fn === 'function') {
            return {
                gc: fn as () => void,
                how: 'tsx runs without --expose-gc; gc() obtained via v8.setFlagsFromString("--expose-gc") + vm.runInNewContext("gc")',
            };
        }
    } catch {
        // fall through
    }
    return { gc: undefined, how: 'no gc() available: heap figures include uncollected garbage' };
}

const MB = 1024 * 1024;
const toMb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

interface MemorySample {
    events: number;
    rssMb: number;
    heapUsedMb: number;
    heapUsedAfterGcMb?: number;
}

interface StreamResult {
    feed: string;
    events: number;
    seconds: number;
    eventsPerSecond: number;
    samples: MemorySample[];
    peakRssMb: number;
    peakHeapUsedMb: number;
    heapAt200kMb: number;
    heapAtEndMb: number;
    heapGrowthMb: number;
    rssAt200kMb: number;
    rssAtEndMb: number;
    flat: boolean;
    rejected: number;
}

function streamMemory(feed: string, bodies: readonly string[], gc: (() => void) | undefined): StreamResult {
    gc?.();
    const samples: MemorySample[] = [];
    const sample = (events: number): void => {
        const before = process.memoryUsage();
        const s: MemorySample = { events, rssMb: toMb(before.rss), heapUsedMb: toMb(before.heapUsed) };
        if (gc) {
            gc();
            s.heapUsedAfterGcMb = toMb(process.memoryUsage().heapUsed);
        }
        samples.push(s);
    };
    sample(0);
    let peakRss = 0;
    let peakHeap = 0;
    let rejected = 0;
    let nextSample = SAMPLE_EVERY;
    let cursor = 0;
    let sent = 0;
    const n = bodies.length;
    const start = performance.now();
    while (sent < STREAM_EVENTS) {
        // A batch ends on each sampling mark (the host also delivers partial batches), so marks fall on exact counts.
        const size = Math.min(BATCH_SIZE, STREAM_EVENTS - sent, nextSample - sent);
        const batch: Batch = new Array<IngestMessage>(size);
        for (let i = 0; i < size; i++) {
            batch[i] = { body: bodies[cursor], partitionId: '0', sequenceNumber: sent + i };
            cursor = cursor + 1 === n ? 0 : cursor + 1;
        }
        rejected += ingestBatch(batch, NOW).report.rejected; // results discarded
        sent += size;
        const usage = process.memoryUsage();
        if (usage.rss > peakRss) peakRss = usage.rss;
        if (usage.heapUsed > peakHeap) peakHeap = usage.heapUsed;
        if (sent >= nextSample) {
            sample(sent);
            nextSample += SAMPLE_EVERY;
        }
    }
    const seconds = (performance.now() - start) / 1000;
    const heapOf = (s: MemorySample | undefined): number => s?.heapUsedAfterGcMb ?? s?.heapUsedMb ?? 0;
    const at200k = samples.find((s) => s.events >= 2 * SAMPLE_EVERY);
    const atEnd = samples[samples.length - 1];
    const growth = Math.round((heapOf(atEnd) - heapOf(at200k)) * 10) / 10;
    return {
        feed,
        events: sent,
        seconds: Math.round(seconds * 100) / 100,
        eventsPerSecond: Math.round(sent / seconds),
        samples,
        peakRssMb: toMb(peakRss),
        peakHeapUsedMb: toMb(peakHeap),
        heapAt200kMb: heapOf(at200k),
        heapAtEndMb: heapOf(atEnd),
        heapGrowthMb: growth,
        rssAt200kMb: at200k?.rssMb ?? 0,
        rssAtEndMb: atEnd?.rssMb ?? 0,
        flat: growth <= FLAT_HEAP_TOLERANCE_MB,
        rejected,
    };
}

// ---------------------------------------------------------------------------------------------- output helpers

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtRatio = (n: number): string => n.toFixed(2);
const pad = (text: string, width: number): string => text.padStart(width);
const padEnd = (text: string, width: number): string => text.padEnd(width);
const mark = (ok: boolean): string => (ok ? 'MET' : 'MISSED');

// ---------------------------------------------------------------------------------------------- main

/** In a function of its own, so the parsed flat objects are garbage before the memory stream starts. */
function buildEnvelopes(files: readonly string[]): {
    flatLines: string[];
    laRows: string[];
    rawXml: string[];
    renderedXml: string[];
    windowsXml: string[];
} {
    const flatLines = loadFlatLines(files);
    const flatEvents = flatLines.map((line) => JSON.parse(line) as FlatEvent);
    // Built strings are V8 cons-strings; a body the Functions host decodes from bytes is flat. Flatten them here, or
    // the first read inside the timed loop pays for the flattening and the benchmark charges it to the parser.
    const asReceived = (body: string): string => Buffer.from(body, 'utf8').toString('utf8');
    return {
        flatLines,
        laRows: flatEvents.map(laEventRow).map(asReceived),
        rawXml: flatEvents.map(rawEventXml).map(asReceived),
        renderedXml: flatEvents.map(renderedEventXml).map(asReceived),
        windowsXml: flatEvents.map(windowsEventXml).map(asReceived),
    };
}

interface EnvelopeResult {
    key: string;
    label: string;
    events: number;
    avgBytesPerMessage: number;
    counts: Counts;
    ingest: Stats;
    baseline: Stats & { note: string };
    ratioToBaseline: number;
    fastXmlParser?: Stats & { ourRatio: number };
    scannerOnly?: Stats & { ratioToFastXmlParser: number };
    target?: { description: string; met: boolean };
}

function main(): void {
    const root = projectRoot(__dirname);
    const datasetsDir = resolve(root, '..', 'shared', 'datasets');
    if (!existsSync(datasetsDir)) {
        console.log(`ingest bench: dataset directory ${datasetsDir} not found; nothing to measure (skipping).`);
        return;
    }
    const files = findDatasetFiles(datasetsDir);
    if (files.length === 0) {
        console.log(`ingest bench: no *.sysmon.jsonl.gz under ${datasetsDir}; nothing to measure (skipping).`);
        return;
    }

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log('hollowtrace ingest benchmark');
    console.log(`node ${process.version} | ${cpu} | ${os.cpus().length} logical CPUs | single-threaded`);
    console.log(
        `batches of ${BATCH_SIZE} string bodies | ${WARMUP_ROUNDS} warm-up round discarded, median of ${TIMED_ROUNDS} timed rounds (fast-xml-parser: ${FXP_TIMED_ROUNDS})`,
    );

    const loadStart = performance.now();
    const { flatLines, laRows, rawXml, renderedXml, windowsXml } = buildEnvelopes(files);
    const n = flatLines.length;
    console.log(
        `loaded ${fmtInt(n)} events from ${files.length} files under ${relative(root, datasetsDir)} and built 5 envelopes in ${fmtInt(performance.now() - loadStart)} ms`,
    );

    const envelopes: Envelope[] = [
        {
            key: 'flat',
            label: '(a) flat JSON lines',
            bodies: flatLines,
            baselineBodies: flatLines,
            baselineNote: 'JSON.parse of the same strings',
        },
        {
            key: 'la-event',
            label: '(b) LA export, Type Event',
            bodies: laRows,
            baselineBodies: laRows,
            baselineNote: 'JSON.parse of the same strings (EventData XML left unparsed)',
            fxp: fxpLaRow,
            scan: scanLaRow,
        },
        {
            key: 'raw-xml',
            label: '(c) raw <Event> XML',
            bodies: rawXml,
            baselineBodies: flatLines,
            baselineNote: "JSON.parse of (a)'s flat strings (the same events; XML has no JSON.parse)",
            fxp: fxpRawXml,
            scan: scanRawXml,
        },
        {
            key: 'raw-xml-rendered',
            label: '(d) raw XML, EVTX style',
            informational: true,
            bodies: renderedXml,
            baselineBodies: flatLines,
            baselineNote: "JSON.parse of (a)'s flat strings; (c)'s events as EVTX libraries render them",
            fxp: fxpRawXml,
            scan: scanRawXml,
        },
        {
            key: 'raw-xml-windows',
            label: '(e) raw XML, Windows style',
            informational: true,
            bodies: windowsXml,
            baselineBodies: flatLines,
            baselineNote: "JSON.parse of (a)'s flat strings; (c)'s events as Windows renders them",
            fxp: fxpRawXml,
            scan: scanRawXml,
        },
    ];

    const parser = new XMLParser({ ignoreAttributes: false, processEntities: true });
    const results: EnvelopeResult[] = [];
    const timingGc = acquireGc().gc;

    for (const envelope of envelopes) {
        const batches = toBatches(envelope.bodies);
        const baselineBatches = toBatches(envelope.baselineBodies);
        const avgBytes = Math.round(
            envelope.bodies.reduce((sum, body) => sum + Buffer.byteLength(body, 'utf8'), 0) / n,
        );
        console.log(
            `\n${envelope.label}: ${fmtInt(n)} messages, ${fmtInt(avgBytes)} bytes/message on average, ${batches.length} batches`,
        );

        const ingestMs: number[] = [];
        const baselineMs: number[] = [];
        const scanMs: number[] = [];
        let counts: Counts | undefined;
        // Each timed run starts on a collected heap: otherwise whichever runs second pays for the garbage the
        // first left behind (the baseline's 49,695 parsed objects, or ingest's events), which skews the ratio.
        const settle = (): void => timingGc?.();
        for (let round = 0; round < WARMUP_ROUNDS + TIMED_ROUNDS; round++) {
            settle();
            const baseline = runJsonParse(baselineBatches);
            settle();
            const ingest = runIngest(batches);
            settle();
            const scan = envelope.scan ? runScan(batches, envelope.scan) : 0;
            counts ??= ingest.counts;
            if (ingest.counts.accepted + ingest.counts.ignored !== n || ingest.counts.rejected !== 0) {
                console.error(
                    `ERROR ${envelope.label}: sanity check failed in round ${round}: accepted ${ingest.counts.accepted} + ignored ${ingest.counts.ignored} ` +
                        `!= ${n} or rejected ${ingest.counts.rejected} != 0 (rejected by reason: ${JSON.stringify(ingest.counts.rejectedByReason)}). ` +
                        'A broken parser does not get a benchmark figure.',
                );
                process.exitCode = 1;
                return;
            }
            if (round >= WARMUP_ROUNDS) {
                ingestMs.push(ingest.ms);
                baselineMs.push(baseline);
                scanMs.push(scan);
            }
        }
        const c = counts as Counts;
        console.log(
            `  sanity: received ${fmtInt(c.received)} = accepted ${fmtInt(c.accepted)} + ignored ${fmtInt(c.ignored)}, rejected ${c.rejected}: OK`,
        );
        const ingest = stats(ingestMs, n);
        const baseline = stats(baselineMs, n);
        // Each round times the baseline and ingest back to back, so the ratio is taken per round and then the median:
        // on a noisy VM a slow spell then lowers both sides of one ratio instead of one side of the medians' ratio.
        const roundRatios = ingestMs.map((ms, i) => (baselineMs[i] as number) / ms);
        const ratio = median(roundRatios);
        console.log(
            `  ingestBatch      ${pad(fmtInt(ingest.eventsPerSecond), 11)} events/s  (rounds ms: ${ingestMs.map((ms) => ms.toFixed(0)).join(', ')})`,
        );
        console.log(
            `  JSON.parse       ${pad(fmtInt(baseline.eventsPerSecond), 11)} events/s  (rounds ms: ${baselineMs.map((ms) => ms.toFixed(0)).join(', ')}; ${envelope.baselineNote})`,
        );
        console.log(
            `  ratio ingest/JSON.parse ${fmtRatio(ratio)} (median of the rounds' ratios ${roundRatios.map(fmtRatio).join(', ')}; ratio of the medians ${fmtRatio(ingest.eventsPerSecond / baseline.eventsPerSecond)})`,
        );

        let fastXmlParser: EnvelopeResult['fastXmlParser'];
        let scannerOnly: EnvelopeResult['scannerOnly'];
        if (envelope.fxp && envelope.scan) {
            const fxpMs: number[] = [];
            // fast-xml-parser is slow: its warm-up round runs over the first fifth of the batches only.
            runFxp(batches.slice(0, Math.ceil(batches.length / 5)), parser, envelope.fxp);
            for (let round = 0; round < FXP_TIMED_ROUNDS; round++) fxpMs.push(runFxp(batches, parser, envelope.fxp));
            const fxpStats = stats(fxpMs, n);
            fastXmlParser = { ...fxpStats, ourRatio: ingest.eventsPerSecond / fxpStats.eventsPerSecond };
            const what =
                envelope.key === 'la-event' ? 'JSON.parse(row) + XMLParser.parse(EventData)' : 'XMLParser.parse(xml)';
            console.log(
                `  fast-xml-parser  ${pad(fmtInt(fxpStats.eventsPerSecond), 11)} events/s  (${what}; parse only, no normalization)`,
            );
            console.log(`  ratio ingest/fast-xml-parser ${fastXmlParser.ourRatio.toFixed(1)}x`);
            const scanStats = stats(scanMs, n);
            scannerOnly = { ...scanStats, ratioToFastXmlParser: scanStats.eventsPerSecond / fxpStats.eventsPerSecond };
            const scanWhat =
                envelope.key === 'la-event' ? 'JSON.parse(row) + scanEventXml(EventData)' : 'scanEventXml(xml)';
            console.log(
                `  our scanner only ${pad(fmtInt(scanStats.eventsPerSecond), 11)} events/s  (${scanWhat}, same work as fast-xml-parser; ${scannerOnly.ratioToFastXmlParser.toFixed(1)}x fast-xml-parser)`,
            );
        }

        const target = envelope.informational
            ? undefined
            : envelope.key === 'flat'
              ? { description: `>= ${TARGET_FLAT_RATIO} of JSON.parse`, met: ratio >= TARGET_FLAT_RATIO }
              : {
                    description: `>= ${fmtInt(TARGET_XML_EVENTS_PER_S)} events/s`,
                    met: ingest.eventsPerSecond >= TARGET_XML_EVENTS_PER_S,
                };
        console.log(
            target === undefined
                ? '  target: none (shown for information)'
                : `  target ${target.description}: ${mark(target.met)}`,
        );

        results.push({
            key: envelope.key,
            label: envelope.label,
            events: n,
            avgBytesPerMessage: avgBytes,
            counts: c,
            ingest,
            baseline: { ...baseline, note: envelope.baselineNote },
            ratioToBaseline: ratio,
            ...(fastXmlParser && { fastXmlParser }),
            ...(scannerOnly && { scannerOnly }),
            ...(target && { target }),
        });
    }

    // Memory: stream 1M events per feed through ingestBatch, results discarded.
    const { gc, how: gcHow } = acquireGc();
    console.log(
        `\nmemory: streaming ${fmtInt(STREAM_EVENTS)} events per feed in batches of ${BATCH_SIZE}, cycling through the set; gc: ${gcHow}`,
    );
    const streams: StreamResult[] = [];
    for (const [feed, bodies] of [
        ['(a) flat JSON lines', flatLines],
        ['(b) LA export, Type Event', laRows],
    ] as const) {
        const stream = streamMemory(feed, bodies, gc);
        streams.push(stream);
        console.log(
            `  ${feed}: ${fmtInt(stream.events)} events in ${stream.seconds} s (${fmtInt(stream.eventsPerSecond)} events/s, rejected ${stream.rejected})`,
        );
        console.log(
            `    ${padEnd('events', 10)} ${pad('rss MB', 8)} ${pad('heapUsed MB', 12)} ${pad('after gc MB', 12)}`,
        );
        for (const s of stream.samples) {
            console.log(
                `    ${padEnd(fmtInt(s.events), 10)} ${pad(s.rssMb.toFixed(1), 8)} ${pad(s.heapUsedMb.toFixed(1), 12)} ${pad(s.heapUsedAfterGcMb?.toFixed(1) ?? '-', 12)}`,
            );
        }
        console.log(
            `    peak rss ${stream.peakRssMb} MB, peak heapUsed ${stream.peakHeapUsedMb} MB (checked after every batch); ` +
                `heapUsed${gc ? ' after gc' : ''} ${stream.heapAt200kMb} MB at 200k -> ${stream.heapAtEndMb} MB at end ` +
                `(${stream.heapGrowthMb >= 0 ? '+' : ''}${stream.heapGrowthMb} MB): ${stream.flat ? 'FLAT' : 'GROWING'} (tolerance ${FLAT_HEAP_TOLERANCE_MB} MB); ` +
                `rss ${stream.rssAt200kMb} MB at 200k -> ${stream.rssAtEndMb} MB at end`,
        );
    }
    const memoryFlat = streams.every((s) => s.flat);
    const streamRejected = streams.reduce((sum, s) => sum + s.rejected, 0);
    if (streamRejected !== 0) {
        console.error(
            `ERROR: ${streamRejected} events were rejected while streaming; the memory figures are not trustworthy.`,
        );
        process.exitCode = 1;
    }

    // Summary.
    console.log('\nsummary');
    console.log(
        `  ${padEnd('envelope', 26)} ${pad('ingest ev/s', 12)} ${pad('JSON.parse ev/s', 16)} ${pad('ratio', 6)} ${pad('fxp ev/s', 10)} ${pad('vs fxp', 7)} ${pad('scan-only ev/s', 15)}  target`,
    );
    for (const r of results) {
        console.log(
            `  ${padEnd(r.label, 26)} ${pad(fmtInt(r.ingest.eventsPerSecond), 12)} ${pad(fmtInt(r.baseline.eventsPerSecond), 16)} ${pad(fmtRatio(r.ratioToBaseline), 6)} ` +
                `${pad(r.fastXmlParser ? fmtInt(r.fastXmlParser.eventsPerSecond) : '-', 10)} ${pad(r.fastXmlParser ? `${r.fastXmlParser.ourRatio.toFixed(1)}x` : '-', 7)} ` +
                `${pad(r.scannerOnly ? fmtInt(r.scannerOnly.eventsPerSecond) : '-', 15)}  ` +
                (r.target === undefined ? 'none (information)' : `${r.target.description}: ${mark(r.target.met)}`),
        );
    }
    console.log(
        `  ratio = ingest / JSON.parse; the JSON.parse baseline of (c)-(e) is JSON.parse of (a)'s flat strings.`,
    );
    console.log(
        '  fxp = fast-xml-parser 5 parse only; scan-only = our scanEventXml without normalization (same work as fxp).',
    );
    for (const s of streams) {
        console.log(
            `  memory ${padEnd(s.feed, 26)} peak rss ${s.peakRssMb} MB, peak heap ${s.peakHeapUsedMb} MB, heap 200k->end ${s.heapGrowthMb >= 0 ? '+' : ''}${s.heapGrowthMb} MB`,
        );
    }
    console.log(`  target memory flat as the stream grows: ${mark(memoryFlat)}`);

    const resultsDir = join(root, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const outFile = join(resultsDir, 'ingest-latest.json');
    const json = {
        measuredAt: new Date().toISOString(),
        node: process.version,
        cpu,
        logicalCpus: os.cpus().length,
        datasetFiles: files.length,
        events: n,
        batchSize: BATCH_SIZE,
        warmupRounds: WARMUP_ROUNDS,
        timedRounds: TIMED_ROUNDS,
        fastXmlParserTimedRounds: FXP_TIMED_ROUNDS,
        fastXmlParserWarmup: 'first fifth of the batches',
        parsedValuesSeen: blackhole,
        envelopes: results,
        memory: {
            gc: gcHow,
            streamEventsPerFeed: STREAM_EVENTS,
            sampleEvery: SAMPLE_EVERY,
            flatToleranceMb: FLAT_HEAP_TOLERANCE_MB,
            streams,
            flat: memoryFlat,
        },
        targets: {
            flatRatioToJsonParse: {
                target: TARGET_FLAT_RATIO,
                met: results.find((r) => r.key === 'flat')?.target?.met ?? false,
            },
            xmlEnvelopesEventsPerSecond: {
                target: TARGET_XML_EVENTS_PER_S,
                met: results
                    .filter((r) => r.key === 'la-event' || r.key === 'raw-xml')
                    .every((r) => r.target?.met === true),
            },
            memoryFlat,
        },
    };
    writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nwrote ${relative(root, outFile)}`);
}

main();
