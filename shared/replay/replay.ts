/**
 * @module Replays recordings through both stages, as the deployed pipeline would run them: ingestion per batch,
 * then correlation of the accepted events (inline, the host-keyed hop is not needed in one process).
 */
import type { CorrelationConfig } from '../correlate/config';
import { Correlator } from '../correlate/correlator';
import type { Incident } from '../correlate/incident';
import type { IncidentStore } from '../correlate/incidentStore';
import type { HostStateStore } from '../correlate/stateStore';
import type { DeadLetterStore } from '../ingest/deadLetter';
import { emptyReport, ingestBatch, mergeReports } from '../ingest/ingestBatch';
import type { IngestLimits, IngestReport } from '../ingest/ingestBatch';
import { listRecordingFiles, readRecordingBatches } from './recordingReader';

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

/** Replays the files (directories walked recursively) and returns the totals and the incidents. */
export async function replayRecordings(options: ReplayOptions): Promise<ReplayResult> {
    let streamTimeMs = 0;
    const now = options.now ?? (() => new Date(streamTimeMs));
    const expireEvery = options.expireEvery ?? 100_000;
    let sinceExpiry = 0;
    const files = await listRecordingFiles(options.paths);
    const correlator = new Correlator({ config: options.config, store: options.stateStore, incidents: options.incidentStore });
    const report = emptyReport();
    const latest = new Map<string, Incident>();
    let stateTransactions = 0;
    for (const [index, file] of files.entries()) {
        for await (const batch of readRecordingBatches(file, options.batchSize, String(index))) {
            const result = ingestBatch(batch, new Date(), options.limits); // dead letters are stamped when rejected
            for (const event of result.events) if (event.timeMs > streamTimeMs) streamTimeMs = event.timeMs;
            const at = now();
            mergeReports(report, result.report);
            if (result.deadLetters.length > 0) await options.deadLetters.putMany(result.deadLetters);
            const outcome = await correlator.process(result.events, at);
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
    const incidents = [...latest.values()].sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : 1));
    return { report, incidents, files, stateTransactions };
}
