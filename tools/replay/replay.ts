/**
 * @module Replays recordings through both stages, as the deployed pipeline would run them: ingestion per batch, then
 * correlation of the accepted events stage 1 would forward (`isNeededForCorrelation`, as functions/composition.ts
 * wires it in both forwarding modes), inline: the host-keyed hop is not needed in one process.
 */
import type { CorrelationConfig } from '../../shared/correlate/config';
import { Correlator } from '../../shared/correlate/Correlator';
import { isNeededForCorrelation } from '../../shared/correlate/facts';
import type { Incident } from '../../shared/correlate/incident';
import type { IncidentStore } from '../../shared/ports/incidentStore';
import type { HostStateStore } from '../../shared/ports/hostStateStore';
import type { DeadLetterStore } from '../../shared/ports/deadLetterStore';
import { emptyReport, ingestBatch, mergeReports } from '../../shared/ingest/ingestBatch';
import type { IngestLimits, IngestMessage, IngestReport } from '../../shared/ingest/ingestBatch';
import { listRecordingFiles, readRecordingBatches } from './recordingReader';
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
}

export interface ReplayResult {
    report: IngestReport;
    /** Latest version of every incident, ordered by first sighting. */
    incidents: Incident[];
    files: string[];
    stateTransactions: number;
}

/**
 * The files with their batch streams, each stream started while the previous file is still being replayed, so its
 * first chunk is read and inflated (zlib runs on libuv's thread pool) by the time it is needed: without this the
 * replay sat idle at every file start, 4.5% of its time over the datasets folder in a CPU profile (2% with it).
 */
function* withLookahead(
    files: readonly string[],
    batchSize: number,
): Generator<[string, AsyncIterable<IngestMessage[]>]> {
    const open = (index: number): PrefetchedBatches | undefined =>
        index < files.length
            ? new PrefetchedBatches(readRecordingBatches(files[index] as string, batchSize, String(index)))
            : undefined;
    let next = open(0);
    try {
        for (let index = 0; next !== undefined; index++) {
            const current = next;
            next = open(index + 1);
            yield [files[index] as string, current];
        }
    } finally {
        next?.close(); // the replay stopped early (an error): release the file opened ahead
    }
}

/** An async generator whose first `next()` is called at once; its outcome (or error) is kept for the consumer. */
class PrefetchedBatches implements AsyncIterable<IngestMessage[]> {
    private readonly first: Promise<IteratorResult<IngestMessage[]>>;

    constructor(private readonly source: AsyncGenerator<IngestMessage[]>) {
        this.first = source.next();
        this.first.catch(() => undefined); // handled: the consumer awaits `first` and sees the error then
    }

    close(): void {
        this.source.return(undefined).catch(() => undefined);
    }

    async *[Symbol.asyncIterator](): AsyncGenerator<IngestMessage[]> {
        let result = await this.first;
        while (result.done !== true) {
            yield result.value;
            result = await this.source.next();
        }
    }
}

/** Replays the files (directories walked recursively) and returns the totals and the incidents. */
export async function replayRecordings(options: ReplayOptions): Promise<ReplayResult> {
    let streamTimeMs = 0;
    const now = options.now ?? (() => new Date(streamTimeMs));
    const expireEvery = options.expireEvery ?? 100_000;
    let sinceExpiry = 0;
    const files = await listRecordingFiles(options.paths);
    const correlator = new Correlator({
        config: options.config,
        store: options.stateStore,
        publishers: [new IncidentStorePublisher(options.incidentStore)],
    });
    const allowedSources: ReadonlySet<string> = new Set(options.config.allowedSourceImages);
    const report = emptyReport();
    const latest = new Map<string, Incident>();
    let stateTransactions = 0;
    for (const [file, batches] of withLookahead(files, options.batchSize)) {
        for await (const batch of batches) {
            const result = ingestBatch(batch, new Date(), options.limits); // dead letters are stamped when rejected
            for (const event of result.events) if (event.timeMs > streamTimeMs) streamTimeMs = event.timeMs;
            const at = now();
            mergeReports(report, result.report);
            if (result.deadLetters.length > 0) await options.deadLetters.putMany(result.deadLetters);
            const outcome = await correlator.process(
                result.events.filter((event) => isNeededForCorrelation(event, allowedSources)),
                at,
            );
            sinceExpiry += batch.length;
            if (sinceExpiry >= expireEvery) {
                sinceExpiry = 0;
                await correlator.expire(at);
            }
            stateTransactions += outcome.transactions;
            for (const incident of outcome.incidents) {
                const seen = latest.get(incident.id);
                if (!seen || seen.version <= incident.version) latest.set(incident.id, incident);
            }
            options.onProgress?.(report, file);
        }
    }
    const incidents = [...latest.values()].sort((a, b) =>
        a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : 1,
    );
    return { report, incidents, files, stateTransactions };
}
