/**
 * End-to-end replay benchmark (not a test): `replayRecordings` with the in-memory store over a set of recordings, as
 * `hollowtrace replay` runs it, in a process of its own so no other benchmark's heap or timers weigh on it.
 * Baseline in the same run: the same reader (gunzip, line split, UTF-8 decode) plus `JSON.parse` of every line.
 * One warm-up round, then the median of the timed rounds; peak RSS sampled every 20 ms.
 *
 * Run: `npm run bench:replay` (the Sysmon recordings and the whole datasets folder). `bench:correlate` runs this file
 * twice more as child processes: as is, and pinned to one CPU with `taskset -c 0` when the machine has it, because
 * zlib inflates on libuv's thread pool and so may use a second core while JavaScript runs on one.
 * With `--json <label> <path>...` it prints one JSON line for the parent and writes nothing.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CORRELATION_CONFIG } from '../shared/correlate/config';
import { InMemoryIncidentStore } from '../shared/correlate/incidentStore';
import { InMemoryHostStateStore } from '../shared/correlate/stateStore';
import { InMemoryDeadLetterStore } from '../shared/ingest/deadLetter';
import { DEFAULT_INGEST_LIMITS } from '../shared/ingest/ingestBatch';
import { listRecordingFiles, readRecordingBatches } from '../shared/replay/recordingReader';
import { replayRecordings } from '../shared/replay/replay';
import { projectRoot } from './projectRoot';

const ROOT = projectRoot(__dirname);
export const DATASETS = resolve(ROOT, '../shared/datasets');
const BATCH = 256;
const TIMED_ROUNDS = 5;
export const TARGET_EVENTS_PER_S = 200_000;

export interface ReplayRun {
    label: string;
    events: number;
    incidents: number;
    /** Median events/s of `replayRecordings`. */
    rate: number;
    roundsMs: number[];
    /** Median events/s of the same reader plus JSON.parse of every line, in the same process. */
    parseRate: number;
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

async function parseOnly(paths: readonly string[]): Promise<{ lines: number; ms: number }> {
    const started = performance.now();
    let lines = 0;
    for (const file of await listRecordingFiles(paths)) {
        for await (const batch of readRecordingBatches(file, BATCH, '0')) {
            for (const message of batch) JSON.parse(message.body as string);
            lines += batch.length;
        }
    }
    return { lines, ms: performance.now() - started };
}

export async function measureReplay(label: string, paths: readonly string[]): Promise<ReplayRun> {
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
            const replay = await replayRecordings({
                paths,
                batchSize: BATCH,
                limits: DEFAULT_INGEST_LIMITS,
                config: DEFAULT_CORRELATION_CONFIG,
                stateStore: new InMemoryHostStateStore(),
                incidentStore: new InMemoryIncidentStore(),
                deadLetters: new InMemoryDeadLetterStore(),
            });
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
    return { label, events, incidents, rate, roundsMs, parseRate: median(parseRates), peakRssMb: Math.max(peakRss, process.memoryUsage().rss) / 1048576 };
}

export function describeRun(run: ReplayRun, how: string): string {
    const met = run.rate >= TARGET_EVENTS_PER_S ? 'MET' : 'MISSED';
    return (
        `replay, ${run.label} (${how}): ${run.events.toLocaleString('en-US')} events, ${Math.round(run.rate).toLocaleString('en-US')} events/s ` +
        `(median of ${run.roundsMs.length}, rounds ms ${run.roundsMs.join(', ')}); same reader + JSON.parse only ${Math.round(run.parseRate).toLocaleString('en-US')} events/s, ` +
        `ratio ${(run.rate / run.parseRate).toFixed(2)}; peak RSS ${run.peakRssMb.toFixed(0)} MB; incidents ${run.incidents}; target >= ${TARGET_EVENTS_PER_S.toLocaleString('en-US')}: ${met}`
    );
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    if (args[0] === '--json') {
        const [label, ...paths] = args.slice(1);
        if (label === undefined || paths.length === 0) throw new Error('usage: replay.bench.js --json <label> <path>...');
        process.stdout.write(`${JSON.stringify(await measureReplay(label, paths))}\n`);
        return;
    }
    if (!existsSync(join(DATASETS, 'README.md'))) {
        console.log(`bench:replay skipped: ${DATASETS} not found`);
        return;
    }
    console.log(`hollowtrace replay benchmark | node ${process.version} | ${os.cpus()[0]?.model ?? '?'} | in-memory store`);
    const runs: ReplayRun[] = [];
    for (const [label, paths] of [
        ['Sysmon recordings (*.sysmon.jsonl.gz)', sysmonRecordings()],
        ['whole datasets folder', [DATASETS]],
    ] as const) {
        const run = await measureReplay(label, paths);
        runs.push(run);
        console.log(describeRun(run, 'this process'));
    }
    const out = resolve(ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'replay-latest.json'), `${JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, runs }, null, 2)}\n`);
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
    });
}
