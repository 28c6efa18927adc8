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
    now?: () => Date;
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
    const now = options.now ?? (() => new Date());
    const files = await listRecordingFiles(options.paths);
    const correlator = new Correlator({ config: options.config, store: options.stateStore, incidents: options.incidentStore });
    const report = emptyReport();
    const latest = new Map<string, Incident>();
    let stateTransactions = 0;
    for (const [index, file] of files.entries()) {
        for await (const batch of readRecordingBatches(file, options.batchSize, String(index))) {
            const at = now();
            const result = ingestBatch(batch, at, options.limits);
            mergeReports(report, result.report);
            if (result.deadLetters.length > 0) await options.deadLetters.putMany(result.deadLetters);
            const outcome = await correlator.process(result.events, at);
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
