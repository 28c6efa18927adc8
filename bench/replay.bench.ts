/**
 * End-to-end replay benchmark (not a test): `replayRecordings` with the in-memory store over a set of recordings, as
 * `hollowtrace replay` runs it, in a process of its own so no other benchmark's heap or timers weigh on it.
 * Baseline in the same run: the same reader (gunzip, line split, UTF-8 decode) plus `JSON.parse` of every line; for
 * `.evtx` logs, the reader alone (chunk reads and @ts-evtx/core's rendering of each record as XML).
 * One warm-up round, then the median of the timed rounds; peak RSS sampled every 20 ms.
 * On a machine with more cores, each set is then replayed in fresh processes (`--cold`), as the CLI runs, with
 * `--workers 1` (this thread reads, ingests and correlates), with `--workers <cores>` (worker threads read and ingest,
 * this thread correlates) and the same-reader baseline alone, rounds alternating; the speed-up is the ratio of the
 * two replay medians.
 *
 * Then memory over a long stream: a simulated fleet (`hollowtrace simulate`) of 3 hours of stream time, replayed with
 * the heap sampled after a full GC every 250,000 events. Correlation state is kept for `pendingRetentionMs` of stream
 * time (1 hour), so the heap should grow for the first hour and then stay flat however long the file is.
 *
 * Run: `npm run bench:replay` (the Sysmon recordings, the whole datasets folder's JSON-lines recordings, and apart
 * from them its `.evtx` logs, which hold the same events as their flat twins and are read by a much slower decoder). `bench:correlate` runs this file
 * twice more as child processes: as is, and pinned to one CPU with `taskset -c 0` when the machine has it, because
 * zlib inflates on libuv's thread pool and so may use a second core while JavaScript runs on one.
 * With `--json <label> <path>...` it prints one JSON line for the parent and writes nothing.
 */
import { spawnSync } from 'node:child_process';
import {
    createReadStream,
    createWriteStream,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    rmSync,
    writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import os, { tmpdir } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CORRELATION_CONFIG } from '../shared/correlate/config';
import { InMemoryIncidentStore } from '../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../shared/ports/InMemoryHostStateStore';
import { InMemoryDeadLetterStore } from '../shared/ports/InMemoryDeadLetterStore';
import { DEFAULT_INGEST_LIMITS } from '../shared/ingest/ingestBatch';
import type { IngestReport } from '../shared/ingest/ingestBatch';
import { listRecordingFiles, readRecordingBatches } from '../tools/replay/recordingReader';
import { replayRecordings } from '../tools/replay/replay';
import type { ReplayResult } from '../tools/replay/replay';
import { writeJsonLinesToFile } from '../tools/simulate/output';
import { simulateFleet } from '../tools/simulate/simulate';
import { projectRoot } from './projectRoot';

const ROOT = projectRoot(__dirname);
export const DATASETS = resolve(ROOT, '../shared/datasets');
const BATCH = 256;
const TIMED_ROUNDS = 5;
/** Fresh-process rounds per configuration for the speed-up. */
const COLD_ROUNDS = 3;
export const TARGET_EVENTS_PER_S = 200_000;
export const WHOLE_FOLDER_LABEL = 'whole datasets folder (JSON-lines recordings; its .evtx logs apart)';

export interface ReplayRun {
    label: string;
    /** Threads that read and ingest (`--workers`); 1 = the main thread alone. */
    workers: number;
    events: number;
    incidents: number;
    /** Median events/s of `replayRecordings`. */
    rate: number;
    roundsMs: number[];
    /** Median events/s of the same reader plus JSON.parse of every line (EVTX: the reader alone), in the same process. */
    parseRate: number;
    baseline: string;
    peakRssMb: number;
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The Sysmon recordings (`*.sysmon.jsonl.gz`) of the datasets folder, in name order. */
export function sysmonRecordings(): string[] {
    return ['security-datasets', 'evtx-attack-samples'].flatMap((dir) =>
        readdirSync(join(DATASETS, dir))
            .filter((f) => f.endsWith('.sysmon.jsonl.gz'))
            .sort()
            .map((f) => join(DATASETS, dir, f)),
    );
}

/**
 * The whole datasets folder as `hollowtrace replay` walks it, without the `.evtx` logs: those are EVTX-ATTACK-SAMPLES'
 * originals of flat twins in the same folder, and are measured on their own (`evtxLogs`). Keeps the figure
 * comparable with the runs before the replay read EVTX (129,407 events).
 */
export async function jsonLinesRecordings(): Promise<string[]> {
    return (await listRecordingFiles([DATASETS])).filter((file) => !isEvtx(file));
}

/** The `.evtx` logs of the datasets folder, in name order. */
export async function evtxLogs(): Promise<string[]> {
    return (await listRecordingFiles([DATASETS])).filter(isEvtx);
}

function isEvtx(file: string): boolean {
    return /\.evtx$/i.test(file);
}

/** Threads `hollowtrace replay --workers` defaults to, and the parallel runs here use. */
export const CORES = os.availableParallelism();

/** `hollowtrace replay` with its defaults: in-memory state, incidents and dead letters. */
function replayInMemory(
    paths: readonly string[],
    onProgress?: (report: IngestReport) => void,
    workers = 1,
): Promise<ReplayResult> {
    return replayRecordings({
        workers,
        paths,
        batchSize: BATCH,
        limits: DEFAULT_INGEST_LIMITS,
        config: DEFAULT_CORRELATION_CONFIG,
        stateStore: new InMemoryHostStateStore(),
        incidentStore: new InMemoryIncidentStore(),
        deadLetters: new InMemoryDeadLetterStore(),
        ...(onProgress && { onProgress }),
    });
}

async function parseOnly(paths: readonly string[]): Promise<{ lines: number; ms: number }> {
    const started = performance.now();
    let lines = 0;
    for (const file of await listRecordingFiles(paths)) {
        const evtx = isEvtx(file);
        for await (const batch of readRecordingBatches(file, BATCH, '0')) {
            if (!evtx) for (const message of batch) JSON.parse(message.body as string);
            lines += batch.length;
        }
    }
    return { lines, ms: performance.now() - started };
}

export async function measureReplay(label: string, paths: readonly string[], workers = 1): Promise<ReplayRun> {
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const roundsMs: number[] = [];
    const parseRates: number[] = [];
    let events = 0;
    let incidents = 0;
    try {
        for (let round = 0; round <= TIMED_ROUNDS; round++) {
            const parse = await parseOnly(paths);
            const started = performance.now();
            const replay = await replayInMemory(paths, undefined, workers);
            const ms = performance.now() - started;
            events = replay.report.received;
            incidents = replay.incidents.length;
            if (round > 0) {
                roundsMs.push(Math.round(ms));
                parseRates.push(parse.lines / (parse.ms / 1000));
            }
        }
    } finally {
        clearInterval(sampler);
    }
    const rate = events / (median(roundsMs) / 1000);
    const baseline = paths.every(isEvtx)
        ? 'same reader alone (EVTX chunks rendered as XML)'
        : 'same reader + JSON.parse only';
    return {
        label,
        workers,
        events,
        incidents,
        rate,
        roundsMs,
        parseRate: median(parseRates),
        baseline,
        peakRssMb: Math.max(peakRss, process.memoryUsage().rss) / 1048576,
    };
}

export function describeRun(run: ReplayRun, how: string): string {
    const met = run.rate >= TARGET_EVENTS_PER_S ? 'MET' : 'MISSED';
    const target = run.baseline.startsWith('same reader alone')
        ? 'no target (EVTX)'
        : `target >= ${TARGET_EVENTS_PER_S.toLocaleString('en-US')}: ${met}`;
    return (
        `replay, ${run.label} (${how}): ${run.events.toLocaleString('en-US')} events, ${Math.round(run.rate).toLocaleString('en-US')} events/s ` +
        `(median of ${run.roundsMs.length}, rounds ms ${run.roundsMs.join(', ')}); ${run.baseline} ${Math.round(run.parseRate).toLocaleString('en-US')} events/s, ` +
        `ratio ${(run.rate / run.parseRate).toFixed(2)}; peak RSS ${run.peakRssMb.toFixed(0)} MB; incidents ${run.incidents}; ${target}`
    );
}

/**
 * A backtest archive as users replay them: a simulated fleet (10 hosts at 20 background events/s each, 30 minutes of
 * stream time, about 360,000 events) cut into consecutive gzip'd JSON-lines files of a twelfth of that each (the
 * simulator's count varies a little, so a thirteenth file may hold the rest), as periodic exports are cut.
 */
const ARCHIVE = {
    hosts: 10,
    eventsPerSecond: 20,
    durationSeconds: 1800,
    attacks: 6,
    seed: 11,
    start: new Date('2026-01-05T08:00:00.000Z'),
};
const ARCHIVE_FILES = 12;

/** Writes the archive into `dir`; returns its files in name (and time) order. */
async function writeArchive(dir: string): Promise<string[]> {
    const events = simulateFleet(ARCHIVE).events[Symbol.iterator]();
    const perFile = Math.ceil((ARCHIVE.hosts * ARCHIVE.eventsPerSecond * ARCHIVE.durationSeconds) / ARCHIVE_FILES);
    const files: string[] = [];
    for (let index = 0; ; index++) {
        let taken = 0;
        let done = false;
        const slice = {
            *[Symbol.iterator]() {
                for (; taken < perFile; taken++) {
                    const next = events.next();
                    if (next.done === true) {
                        done = true;
                        return;
                    }
                    yield next.value;
                }
            },
        };
        const file = join(dir, `archive-${String(index).padStart(2, '0')}.jsonl.gz`);
        await writeJsonLinesToFile(slice, file);
        if (taken === 0) {
            rmSync(file);
            break;
        }
        files.push(file);
        if (done) break;
    }
    return files;
}

/** The archive's files inflated and gzip'd again as one file, for the stripes a single file is cut into. */
async function writeAsOneFile(files: readonly string[], dir: string): Promise<string> {
    const path = join(dir, 'archive-whole.jsonl.gz');
    const gzip = createGzip();
    const written = pipeline(gzip, createWriteStream(path));
    for (const file of files) {
        for await (const chunk of createReadStream(file).pipe(createGunzip())) {
            if (!gzip.write(chunk)) await once(gzip, 'drain');
        }
    }
    gzip.end();
    await written;
    return path;
}

/** The long stream: 10 hosts at 20 background events/s each for 3 hours of stream time (about 2.2 million events). */
const LONG_STREAM = {
    hosts: 10,
    eventsPerSecond: 20,
    durationSeconds: 3 * 3600,
    attacks: 6,
    seed: 7,
    start: new Date('2026-01-05T08:00:00.000Z'),
};
const SAMPLE_EVERY = 250_000;

export interface MemorySample {
    events: number;
    streamMinutes: number;
    heapAfterGcMb: number;
    rssMb: number;
}

function collectGarbage(): () => void {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
}

/** Replays a simulated 3-hour stream, sampling the heap after a full GC; returns the samples and the incidents found. */
export async function measureLongStream(): Promise<{
    events: number;
    samples: MemorySample[];
    incidents: number;
    injected: number;
    seconds: number;
}> {
    const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-bench-'));
    try {
        const file = join(dir, 'fleet.jsonl.gz');
        const simulated = simulateFleet(LONG_STREAM);
        await writeJsonLinesToFile(simulated.events, file);
        const gc = collectGarbage();
        const samples: MemorySample[] = [];
        let next = SAMPLE_EVERY;
        const started = performance.now();
        const replay = await replayInMemory([file], (report) => {
            if (report.received < next) return;
            next += SAMPLE_EVERY;
            gc();
            const usage = process.memoryUsage();
            samples.push({
                events: report.received,
                streamMinutes: 0,
                heapAfterGcMb: usage.heapUsed / 1048576,
                rssMb: usage.rss / 1048576,
            });
        });
        // Background events come at a steady rate, so a sample's share of the events is its share of stream time.
        const minutes = (simulated.endMs - simulated.startMs) / 60_000;
        for (const sample of samples)
            sample.streamMinutes = Math.round((minutes * sample.events) / replay.report.received);
        return {
            events: replay.report.received,
            samples,
            incidents: replay.incidents.length,
            injected: simulated.attacks.length,
            seconds: (performance.now() - started) / 1000,
        };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

interface ColdRun {
    ms: number;
    events: number;
    /** CPU time of the whole process (every thread: JavaScript, workers, GC helpers, zlib on libuv's pool). */
    cpuMs: number;
    /** Worker threads the replay started (0: it read on this thread). */
    workerThreads: number;
}

/** One cold run in this fresh process, as the CLI runs: a replay with `workers`, or (workers 0) the baseline alone. */
async function coldRun(workers: number, paths: readonly string[]): Promise<ColdRun> {
    const cpu = process.cpuUsage();
    const cpuMs = (): number => {
        const used = process.cpuUsage(cpu);
        return (used.user + used.system) / 1000;
    };
    const started = performance.now();
    if (workers === 0) {
        const parse = await parseOnly(paths);
        return { ms: parse.ms, events: parse.lines, cpuMs: cpuMs(), workerThreads: 0 };
    }
    const replay = await replayInMemory(paths, undefined, workers);
    return {
        ms: performance.now() - started,
        events: replay.report.received,
        cpuMs: cpuMs(),
        workerThreads: replay.workerThreads,
    };
}

/**
 * The speed-up as a CLI user meets it: each run in a fresh process (`--cold`), so the single thread and the workers
 * both start cold (a worker is a fresh V8 isolate that loads its modules and warms its JIT; in-process rounds would
 * compare them with a main thread warmed by the rounds before). Rounds alternate the three, median of `rounds`.
 */
function measureCold(paths: readonly string[], workers: number, rounds: number) {
    const ms: Record<'single' | 'parallel' | 'baseline', number[]> = { single: [], parallel: [], baseline: [] };
    const coresBusy: Record<'single' | 'parallel' | 'baseline', number[]> = { single: [], parallel: [], baseline: [] };
    let events = 0;
    let workerThreads = 0;
    for (let round = 0; round < rounds; round++) {
        for (const [kind, threads] of [
            ['single', 1],
            ['parallel', workers],
            ['baseline', 0],
        ] as const) {
            const child = spawnSync(process.execPath, [__filename, '--cold', String(threads), ...paths], {
                encoding: 'utf8',
                maxBuffer: 1 << 20,
            });
            if (child.status !== 0) throw new Error(`cold run failed: ${child.stderr}`);
            const run = JSON.parse(child.stdout) as ColdRun;
            ms[kind].push(Math.round(run.ms));
            coresBusy[kind].push(run.cpuMs / run.ms);
            events = run.events;
            if (kind === 'parallel') workerThreads = run.workerThreads;
        }
    }
    const rate = (values: number[]): number => events / (median(values) / 1000);
    return {
        events,
        ms,
        single: rate(ms.single),
        parallel: rate(ms.parallel),
        baseline: rate(ms.baseline),
        workerThreads,
        /** Cores the single-thread replay kept busy on average (median): more than 1 when GC and zlib helped. */
        singleCoresBusy: median(coresBusy.single),
        parallelCoresBusy: median(coresBusy.parallel),
    };
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    if (args[0] === '--cold') {
        const [threads, ...paths] = args.slice(1);
        process.stdout.write(`${JSON.stringify(await coldRun(Number(threads), paths))}\n`);
        return;
    }
    if (args[0] === '--json') {
        const [label, ...paths] = args.slice(1);
        if (label === undefined || paths.length === 0)
            throw new Error('usage: replay.bench.js --json <label> <path>...');
        process.stdout.write(`${JSON.stringify(await measureReplay(label, paths))}\n`);
        return;
    }
    if (!existsSync(join(DATASETS, 'README.md'))) {
        console.log(`bench:replay skipped: ${DATASETS} not found`);
        return;
    }
    const load = (): string =>
        os
            .loadavg()
            .map((n) => n.toFixed(1))
            .join(' ');
    console.log(
        `hollowtrace replay benchmark | node ${process.version} | ${os.cpus()[0]?.model ?? '?'} | ${CORES} cores | ` +
            `load average ${load()} (other work on the machine weighs on every figure, the parallel ones most) | in-memory store`,
    );
    const runs: ReplayRun[] = [];
    const speedUps: { label: string; workers: number; speedUp: number; cold: ReturnType<typeof measureCold> }[] = [];
    const archiveDir = mkdtempSync(join(tmpdir(), 'hollowtrace-archive-'));
    const archive = await writeArchive(archiveDir);
    for (const [label, paths] of [
        ['Sysmon recordings (*.sysmon.jsonl.gz)', sysmonRecordings()],
        [WHOLE_FOLDER_LABEL, await jsonLinesRecordings()],
        ['EVTX logs (*.evtx)', await evtxLogs()],
        [`simulated archive (${ARCHIVE.hosts} hosts, 30 min, ${archive.length} .jsonl.gz files)`, archive],
        ['the same archive as one .jsonl.gz file (stripes)', [await writeAsOneFile(archive, archiveDir)]],
    ] as const) {
        const single = await measureReplay(label, paths, 1);
        runs.push(single);
        console.log(describeRun(single, 'this process, --workers 1'));
        if (CORES < 2) continue;
        const cold = measureCold(paths, CORES, COLD_ROUNDS);
        const speedUp = cold.parallel / cold.single;
        speedUps.push({ label, workers: CORES, speedUp, cold });
        const rate = (n: number): string => Math.round(n).toLocaleString('en-US');
        // What the single thread already used beyond its one core (V8's GC helpers, zlib on libuv's pool) is not
        // there for the workers to take: with `cores` cores the replay can go at most cores / busy times as fast.
        const ceiling = CORES / cold.singleCoresBusy;
        console.log(
            `  fresh process per run (as the CLI runs; median of ${COLD_ROUNDS}): --workers 1 ${rate(cold.single)} events/s (ms ${cold.ms.single.join(', ')}), ` +
                `--workers ${CORES} ${rate(cold.parallel)} events/s (ms ${cold.ms.parallel.join(', ')}; ${cold.workerThreads} worker threads started); ` +
                `baseline ${single.baseline}, one thread ${rate(cold.baseline)} events/s (ms ${cold.ms.baseline.join(', ')})\n` +
                `  speed-up --workers ${CORES} / --workers 1: ${speedUp.toFixed(2)}x (target >= 1.7x on 2 cores: ${speedUp >= 1.7 ? 'MET' : 'MISSED'}); ` +
                `--workers ${CORES} / baseline ${(cold.parallel / cold.baseline).toFixed(2)}, --workers 1 / baseline ${(cold.single / cold.baseline).toFixed(2)}\n` +
                `  cores busy: --workers 1 ${cold.singleCoresBusy.toFixed(2)}, --workers ${CORES} ${cold.parallelCoresBusy.toFixed(2)}; ` +
                `the most ${CORES} cores can give over --workers 1 is ${CORES} / ${cold.singleCoresBusy.toFixed(2)} = ${ceiling.toFixed(2)}x`,
        );
    }
    rmSync(archiveDir, { recursive: true, force: true });
    console.log(`load average ${load()}`);
    const long = await measureLongStream();
    console.log(
        `\nmemory over a long stream: simulated fleet, ${LONG_STREAM.hosts} hosts x ${LONG_STREAM.eventsPerSecond} events/s x ${LONG_STREAM.durationSeconds / 3600} h, ` +
            `${long.events.toLocaleString('en-US')} events replayed in ${long.seconds.toFixed(1)} s; incidents ${long.incidents} (injected attacks ${long.injected})`,
    );
    console.log('  events      stream min  heap after GC MB  rss MB');
    for (const sample of long.samples) {
        console.log(
            `  ${sample.events.toLocaleString('en-US').padEnd(11)} ${String(sample.streamMinutes).padStart(10)}  ${sample.heapAfterGcMb.toFixed(0).padStart(16)}  ${sample.rssMb.toFixed(0).padStart(6)}`,
        );
    }
    const afterWindow = long.samples.filter((sample) => sample.streamMinutes >= 75);
    const heaps = afterWindow.map((sample) => sample.heapAfterGcMb);
    const spread = heaps.length > 0 ? Math.max(...heaps) - Math.min(...heaps) : NaN;
    console.log(
        `  after the 1-hour retention window (from minute 75): heap after GC between ${Math.min(...heaps).toFixed(0)} and ${Math.max(...heaps).toFixed(0)} MB (spread ${spread.toFixed(0)} MB)`,
    );

    const out = resolve(ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(
        join(out, 'replay-latest.json'),
        `${JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, cores: CORES, runs, speedUps, longStream: { ...LONG_STREAM, ...long } }, null, 2)}\n`,
    );
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
    });
}
