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
     * Stripes each file is cut into: a task is one stripe of one file, task `t` being stripe `t % stripes` of file
     * `floor(t / stripes)`. Stripe `s` ingests the file's batches `s`, `s + stripes`, `s + 2 * stripes`, ... (every
     * stripe reads the whole file, so batch boundaries and sequence numbers are those of one thread). 1 when there
     * are at least as many files as workers.
     */
    stripes: number;
    /**
     * One Int32 shared by the workers: the next task nobody has taken. A worker takes the next task with
     * `Atomics.add`, without a round trip through the main thread (which, on a busy machine, left a worker idle for a
     * scheduling delay at every file).
     */
    nextTask: SharedArrayBuffer;
}

/** The main thread took this many of the worker's batches. */
export type ToReplayWorker = { kind: 'credit'; batches: number };

/** Where a message belongs: the file's index in the run and the stripe of it. */
interface TaskRef {
    index: number;
    stripe: number;
}

export type FromReplayWorker =
    | (TaskRef & { kind: 'batch'; batch: IngestedBatch })
    | (TaskRef & { kind: 'end' })
    /** Reading failed in a way the reader does not turn into a rejection (a bug, not a broken file). */
    | (TaskRef & { kind: 'failed'; message: string });
