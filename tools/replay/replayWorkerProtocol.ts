/** @module The messages between a replay's main thread and its worker threads (./replayWorker.ts). */
import type { IngestLimits } from '../../shared/ingest/ingestBatch';
import type { IngestedBatch } from './replayIngest';

/** What a worker is started with. */
export interface ReplayWorkerSetup {
    batchSize: number;
    limits: IngestLimits;
    /** `CorrelationConfig.allowedSourceImages`: the stage 1 filter needs them. */
    allowedSources: string[];
    maxLineBytes: number;
    /** Batches a worker may post ahead of the main thread taking them. */
    credit: number;
}

export type ToReplayWorker =
    /** Read this file next; `index` is its place in the run (the dead letters' partition). */
    | { kind: 'file'; index: number; path: string }
    /** The main thread took this many of the worker's batches. */
    | { kind: 'credit'; batches: number };

export type FromReplayWorker =
    | { kind: 'batch'; index: number; batch: IngestedBatch }
    | { kind: 'end'; index: number }
    /** Reading failed in a way the reader does not turn into a rejection (a bug, not a broken file). */
    | { kind: 'failed'; index: number; message: string };
