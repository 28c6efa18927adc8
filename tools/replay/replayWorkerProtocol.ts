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
    /** The run's files, in run order; a file's index is its place here (the dead letters' partition). */
    files: string[];
    /**
     * One Int32 shared by the workers: the index of the next file nobody has taken. A worker takes the next file
     * with `Atomics.add`, without a round trip through the main thread (which, on a busy machine, left a worker idle
     * for a scheduling delay at every file).
     */
    nextFile: SharedArrayBuffer;
}

/** The main thread took this many of the worker's batches. */
export type ToReplayWorker = { kind: 'credit'; batches: number };

export type FromReplayWorker =
    | { kind: 'batch'; index: number; batch: IngestedBatch }
    | { kind: 'end'; index: number }
    /** Reading failed in a way the reader does not turn into a rejection (a bug, not a broken file). */
    | { kind: 'failed'; index: number; message: string };
