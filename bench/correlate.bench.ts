/**
 * Correlation benchmark (not a test). Over the real recordings of ../shared/datasets:
 *  1. relevant events/s through the correlator with the in-memory store, in host-keyed batches of 256 (what stage 2
 *     receives), beside the ingest-only rate of the same events in the same run;
 *  2. the same with the Table Storage store on Azurite (in-process), with Table transactions per 1,000 relevant
 *     events (writes: entity group transactions; reads: one per state load, a lower bound on query pages);
 *  3. end-to-end `replayRecordings` over the Sysmon recordings and the whole datasets folder with the in-memory store,
 *     each in a fresh process (bench/replay.bench.ts): events/s, ratio to a JSON.parse-only pass over the same lines,
 *     peak RSS; once as is and once pinned to one CPU.
 * Run: `npm run bench:correlate`. Writes bench/results/correlate-latest.json.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { spawnSync } from 'node:child_process';
import { startLocalAzuriteTable } from '../tools/local/localAzurite';
import { projectRoot } from './projectRoot';
import { describeRun, jsonLinesRecordings, WHOLE_FOLDER_LABEL } from './replay.bench';
import type { ReplayRun } from './replay.bench';
import { DEFAULT_CORRELATION_CONFIG } from '../shared/correlate/config';
import { Correlator } from '../shared/correlate/Correlator';
import { InMemoryIncidentStore } from '../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../shared/ports/InMemoryHostStateStore';
import type { HostStateStore, LoadedHostState, SaveStats } from '../shared/ports/hostStateStore';
import { groupByHost } from '../shared/ingest/groupByHost';
import { DEFAULT_INGEST_LIMITS, ingestBatch } from '../shared/ingest/ingestBatch';
import { createTableClientFromConnectionString } from '../shared/storage/table/tableSupport';
import { TableHostStateStore } from '../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../shared/storage/table/TableIncidentStore';
import type { SysmonEvent } from '../shared/sysmon/types';
import { IncidentStorePublisher } from '../shared/publish/IncidentStorePublisher';

const ROOT = projectRoot(__dirname);
const DATASETS = resolve(ROOT, '../shared/datasets');
const BATCH = 256;
const ROUNDS = 5;
const NOW = new Date('2026-01-01T00:00:00Z');

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
}

function files(pattern: RegExp): string[] {
    return ['security-datasets', 'evtx-attack-samples'].flatMap((dir) =>
        readdirSync(join(DATASETS, dir))
            .filter((f) => pattern.test(f))
            .sort()
            .map((f) => join(DATASETS, dir, f)),
    );
}

async function readLines(file: string): Promise<string[]> {
    const lines: string[] = [];
    for await (const line of createInterface({
        input: createReadStream(file).pipe(createGunzip()),
        crlfDelay: Infinity,
    }))
        if (line) lines.push(line);
    return lines;
}

/** Stage 2's view: each recording's accepted events, by host, in batches of BATCH (one partition per host). */
function hostBatches(perFile: SysmonEvent[][]): SysmonEvent[][] {
    const batches: SysmonEvent[][] = [];
    for (const events of perFile) {
        for (const group of groupByHost(events).values()) {
            for (let i = 0; i < group.length; i += BATCH) batches.push(group.slice(i, i + BATCH));
        }
    }
    return batches;
}

/** Counts state loads (a lower bound on Table query transactions) around a real store. */
class CountingStore implements HostStateStore {
    loads = 0;
    writes = 0;
    constructor(private readonly inner: HostStateStore) {}
    load(host: string): Promise<LoadedHostState> {
        this.loads++;
        return this.inner.load(host);
    }
    async save(...args: Parameters<HostStateStore['save']>): Promise<SaveStats> {
        const stats = await this.inner.save(...args);
        this.writes += stats.transactions;
        return stats;
    }
    listDueHosts(dueBy: Date, limit: number, after?: string): Promise<string[]> {
        return this.inner.listDueHosts(dueBy, limit, after);
    }
}

async function correlateAll(
    batches: SysmonEvent[][],
    store: HostStateStore,
    incidents = new InMemoryIncidentStore(),
): Promise<{ ms: number; incidents: number }> {
    const correlator = new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store,
        publishers: [new IncidentStorePublisher(incidents)],
    });
    const started = performance.now();
    let count = 0;
    for (const batch of batches) count += (await correlator.process(batch, NOW)).incidents.length;
    return { ms: performance.now() - started, incidents: count };
}

async function main(): Promise<void> {
    if (!existsSync(join(DATASETS, 'README.md'))) {
        console.log(`bench:correlate skipped: ${DATASETS} not found`);
        return;
    }
    console.log(
        `hollowtrace correlate benchmark | node ${process.version} | ${os.cpus()[0]?.model ?? '?'} | single-threaded`,
    );
    const flatFiles = files(/\.sysmon\.jsonl\.gz$/);
    const perFileLines = await Promise.all(flatFiles.map(readLines));
    const perFileEvents = perFileLines.map(
        (lines) =>
            ingestBatch(
                lines.map((body) => ({ body })),
                NOW,
                DEFAULT_INGEST_LIMITS,
            ).events,
    );
    const relevant = perFileEvents.reduce((n, e) => n + e.length, 0);
    const batches = hostBatches(perFileEvents);
    console.log(
        `${flatFiles.length} recordings, ${perFileLines.reduce((n, l) => n + l.length, 0)} Sysmon events, ${relevant} relevant (accepted) events, ${batches.length} host batches`,
    );

    // 1. In-memory correlation, beside ingest-only of the same recordings (same run).
    const memoryMs: number[] = [];
    const ingestMs: number[] = [];
    let memoryIncidents = 0;
    for (let round = 0; round <= ROUNDS; round++) {
        const started = performance.now();
        for (const lines of perFileLines)
            for (let i = 0; i < lines.length; i += BATCH)
                ingestBatch(
                    lines.slice(i, i + BATCH).map((body) => ({ body })),
                    NOW,
                );
        const ingest = performance.now() - started;
        const memory = await correlateAll(batches, new InMemoryHostStateStore());
        memoryIncidents = memory.incidents;
        if (round > 0) {
            ingestMs.push(ingest);
            memoryMs.push(memory.ms);
        }
    }
    const memoryRate = relevant / (median(memoryMs) / 1000);
    const ingestRate = relevant / (median(ingestMs) / 1000);
    console.log(
        `\n1. correlation, in-memory store: ${Math.round(memoryRate).toLocaleString('en-US')} relevant events/s (median of ${ROUNDS}); ingest of the same recordings: ${Math.round(ingestRate).toLocaleString('en-US')} relevant events/s; correlate/ingest ${(memoryRate / ingestRate).toFixed(2)}; incident versions published: ${memoryIncidents}`,
    );

    // 2. Table Storage on Azurite, in-process.
    const azurite = await startLocalAzuriteTable();
    let tableResult: { rate: number; transactions: number; loads: number; writes: number; perThousand: number };
    try {
        const suffix = Date.now().toString(36);
        const store = new CountingStore(
            await TableHostStateStore.create(
                createTableClientFromConnectionString(azurite.connectionString, `benchstate${suffix}`),
            ),
        );
        const incidents = await TableIncidentStore.create(
            createTableClientFromConnectionString(azurite.connectionString, `benchincidents${suffix}`),
        );
        const table = await correlateAll(batches, store, incidents as unknown as InMemoryIncidentStore);
        const transactions = store.loads + store.writes;
        tableResult = {
            rate: relevant / (table.ms / 1000),
            transactions,
            loads: store.loads,
            writes: store.writes,
            perThousand: (transactions / relevant) * 1000,
        };
        console.log(
            `2. correlation, Table store on Azurite: ${Math.round(tableResult.rate).toLocaleString('en-US')} relevant events/s (${(tableResult.rate / memoryRate).toFixed(3)} of in-memory); ` +
                `${transactions} Table transactions (${store.writes} entity group transactions, ${store.loads} state loads) = ${tableResult.perThousand.toFixed(1)} per 1,000 relevant events (target <= 150)`,
        );
    } finally {
        await azurite.close();
    }

    // 3. End-to-end replay: the Sysmon recordings, then the whole folder (with the raw twins and their other
    //    channels), each in a fresh process (bench/replay.bench.ts): as is, and pinned to one CPU when taskset exists.
    const replayRuns: (ReplayRun & { how: string })[] = [];
    const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
    for (const [label, paths] of [
        ['Sysmon recordings (*.sysmon.jsonl.gz)', flatFiles],
        [WHOLE_FOLDER_LABEL, await jsonLinesRecordings()],
    ] as const) {
        for (const how of pinned ? ['one process', 'pinned to one CPU (taskset -c 0)'] : ['one process']) {
            const child = [join(__dirname, 'replay.bench.js'), '--json', label, ...paths];
            const result =
                how === 'one process'
                    ? spawnSync(process.execPath, child, { encoding: 'utf8' })
                    : spawnSync('taskset', ['-c', '0', process.execPath, ...child], { encoding: 'utf8' });
            if (result.status !== 0) throw new Error(`replay bench child failed: ${result.stderr}`);
            const run = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as ReplayRun;
            replayRuns.push({ ...run, how });
            console.log(`3. ${describeRun(run, how)}`);
        }
    }

    const out = resolve(ROOT, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(
        join(out, 'correlate-latest.json'),
        `${JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, relevant, memoryRate, ingestRate, table: tableResult, replay: replayRuns }, null, 2)}\n`,
    );
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
