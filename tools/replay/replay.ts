/**
 * @module Replays recordings through both stages, as the deployed pipeline would run them: ingestion per batch, then
 * correlation of the accepted events stage 1 would forward (`isNeededForCorrelation`, as functions/composition.ts
 * wires it in both forwarding modes), inline: the host-keyed hop is not needed in one process.
 */
import { stat } from 'node:fs/promises';
import type { CorrelationConfig } from '../../shared/correlate/config';
import { Correlator } from '../../shared/correlate/Correlator';
import type { Incident } from '../../shared/correlate/incident';
import type { IncidentStore } from '../../shared/ports/incidentStore';
import type { HostStateStore } from '../../shared/ports/hostStateStore';
import type { DeadLetterStore } from '../../shared/ports/deadLetterStore';
import { emptyReport, mergeReports } from '../../shared/ingest/ingestBatch';
import type { IngestLimits, IngestMessage, IngestReport } from '../../shared/ingest/ingestBatch';
import { ingestInWorkers, workerThreadsFor } from './parallelIngest';
import { PrefetchedBatches } from './PrefetchedBatches';
import { listRecordingFiles, readRecordingBatches } from './recordingReader';
import { ingestForReplay } from './replayIngest';
import type { IngestedBatch } from './replayIngest';
import { IncidentStorePublisher } from '../../shared/publish/IncidentStorePublisher';

export interface ReplayOptions {
    paths: readonly string[];
    batchSize: number;
    limits: IngestLimits;
    config: CorrelationConfig;
    stateStore: HostStateStore;
    incidentStore: IncidentStore;
    deadLetters: DeadLetterStore;
    /** Called after every batch with the running report (progress display). */
    onProgress?: (report: IngestReport, file: string) => void;
    /**
     * The clock for state stamps and expiry. Default: stream time (the latest event time seen), so a replay is
     * deterministic and old state expires as the recording advances, as it would have live.
     */
    now?: () => Date;
    /** Expire correlation state every this many events (bounds memory on long recordings). */
    expireEvery?: number;
    /**
     * Threads that read and ingest the files (default 1: this thread). With more, worker threads read them (whole
     * files, or stripes of a file when there are fewer files than workers) and correlation, here, takes the batches
     * in the same order as with one: the result is the same.
     */
    workers?: number;
    /**
     * Input (bytes on disk over all files) below which the replay reads on this thread whatever `workers` says: a
     * worker is a fresh V8 isolate that loads its modules and warms its JIT, which costs more than it saves on a
     * small input (docs/performance.md). Default `DEFAULT_PARALLEL_FROM_BYTES`; 0 always starts the workers.
     */
    parallelFromBytes?: number;
    /** Batches a worker may read ahead of correlation (default 256): bounds memory when a worker waits its turn. */
    workerCredit?: number;
}

/** A path that was not replayed, and why. */
export interface SkippedPath {
    path: string;
    why: string;
}

export interface ReplayResult {
    report: IngestReport;
    /** Latest version of every incident, ordered by first sighting. */
    incidents: Incident[];
    files: string[];
    /** Paths left out (a FIFO or device: reading it would hang or never end). */
    skipped: SkippedPath[];
    /** Worker threads that read and ingested the files; 0 when this thread did. */
    workerThreads: number;
    stateTransactions: number;
}

/**
 * The files with their batch streams, each stream started while the previous file is still being replayed, so its
 * first chunk is read and inflated (zlib runs on libuv's thread pool) by the time it is needed: without this the
 * replay sits idle at every file start (docs/performance.md, "Measurements behind choices in the code").
 */
function* withLookahead(
    files: readonly string[],
    batchSize: number,
    maxLineBytes: number,
): Generator<[number, AsyncIterable<IngestMessage[]>]> {
    const open = (index: number): PrefetchedBatches | undefined =>
        index < files.length
            ? new PrefetchedBatches(
                  readRecordingBatches(files[index] as string, batchSize, String(index), maxLineBytes),
              )
            : undefined;
    let next = open(0);
    try {
        for (let index = 0; next !== undefined; index++) {
            const current = next;
            next = open(index + 1);
            yield [index, current];
        }
    } finally {
        next?.close(); // the replay stopped early (an error): release the file opened ahead
    }
}

/** Stage 1 on this thread: `[file index, batch]` in file order. */
async function* ingestHere(
    files: readonly string[],
    batchSize: number,
    limits: IngestLimits,
    allowedSources: ReadonlySet<string>,
): AsyncGenerator<[number, IngestedBatch]> {
    for (const [index, batches] of withLookahead(files, batchSize, limits.maxMessageBytes))
        for await (const batch of batches) yield [index, ingestForReplay(batch, limits, allowedSources)];
}

/** See `ReplayOptions.parallelFromBytes`. */
export const DEFAULT_PARALLEL_FROM_BYTES = 16 * 1024 * 1024;

async function totalBytes(files: readonly string[]): Promise<number> {
    let bytes = 0;
    for (const file of files) bytes += (await stat(file)).size;
    return bytes;
}

/** Replays the files (directories walked recursively) and returns the totals and the incidents. */
export async function replayRecordings(options: ReplayOptions): Promise<ReplayResult> {
    let streamTimeMs = 0;
    const now = options.now ?? (() => new Date(streamTimeMs));
    const expireEvery = options.expireEvery ?? 100_000;
    let sinceExpiry = 0;
    const skipped: SkippedPath[] = [];
    const files = await listRecordingFiles(options.paths, (path, why) => skipped.push({ path, why }));
    const correlator = new Correlator({
        config: options.config,
        store: options.stateStore,
        publishers: [new IncidentStorePublisher(options.incidentStore)],
    });
    const allowedSources: ReadonlySet<string> = new Set(options.config.allowedSourceImages);
    const requested = Math.max(1, Math.floor(options.workers ?? 1));
    const parallel =
        requested > 1 && (await totalBytes(files)) >= (options.parallelFromBytes ?? DEFAULT_PARALLEL_FROM_BYTES);
    const workerThreads = parallel ? workerThreadsFor(files.length, requested) : 0;
    const ingested =
        workerThreads > 0
            ? ingestInWorkers(files, requested, {
                  batchSize: options.batchSize,
                  limits: options.limits,
                  allowedSources: [...allowedSources],
                  maxLineBytes: options.limits.maxMessageBytes,
                  credit: options.workerCredit ?? 256,
              })
            : ingestHere(files, options.batchSize, options.limits, allowedSources);
    const report = emptyReport();
    const latest = new Map<string, Incident>();
    let stateTransactions = 0;
    for await (const [index, batch] of ingested) {
        if (batch.latestTimeMs > streamTimeMs) streamTimeMs = batch.latestTimeMs;
        const at = now();
        mergeReports(report, batch.report);
        if (batch.deadLetters.length > 0) await options.deadLetters.putMany(batch.deadLetters);
        const outcome = await correlator.process(batch.events, at);
        sinceExpiry += batch.messages;
        if (sinceExpiry >= expireEvery) {
            sinceExpiry = 0;
            await correlator.expire(at);
        }
        stateTransactions += outcome.transactions;
        for (const incident of outcome.incidents) {
            const seen = latest.get(incident.id);
            if (!seen || seen.version <= incident.version) latest.set(incident.id, incident);
        }
        options.onProgress?.(report, files[index] as string);
    }
    const incidents = [...latest.values()].sort((a, b) =>
        a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : 1,
    );
    return { report, incidents, files, skipped, workerThreads, stateTransactions };
}
