/**
 * @module Stage 1 of a replay on worker threads, handed back in the order a single thread would produce it: file by
 * file in run order, batch by batch in file order. Correlation then sees the same batches at the same stream times
 * as with one thread, so the incidents are the same (the stream clock and state expiry depend on that order).
 * Each worker takes the next untaken task when it is free: a whole file, or, with fewer files than workers, one stripe
 * of a file (every other batch of it with two stripes), so one large file keeps every worker busy too. A worker runs at
 * most `credit` batches ahead of correlation.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { IngestedBatch } from './replayIngest';
import type { FromReplayWorker, ReplayWorkerSetup } from './replayWorkerProtocol';

/**
 * The worker, from the compiled JavaScript beside this file, or from the TypeScript sources (tsx, vitest) with tsx
 * registered in the worker first: a worker thread does not inherit the loader hooks `bin/hollowtrace.js` registers.
 */
function startWorker(setup: ReplayWorkerSetup): Worker {
    if (!__filename.endsWith('.ts')) return new Worker(join(__dirname, 'replayWorker.js'), { workerData: setup });
    const tsx = createRequire(__filename).resolve('tsx/cjs/api');
    const source = join(__dirname, 'replayWorker.ts');
    return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`, {
        eval: true,
        workerData: setup,
    });
}

/** What has arrived of one stripe of a file. */
interface StripeState {
    batches: IngestedBatch[];
    ended: boolean;
    worker?: Worker;
}

/**
 * Stripes per file: none with at least as many files as workers (whole files already keep them busy), else enough
 * for every worker to have one. A stripe reads the whole file and ingests its share of the batches: reading (gunzip,
 * line split) is repeated per stripe, ingestion (parsing, normalization) is not.
 */
export function stripesPerFile(files: number, workers: number): number {
    return files >= workers ? 1 : Math.ceil(workers / files);
}

/** The worker threads `ingestInWorkers` starts for `files`: no more than it has tasks for. */
export function workerThreadsFor(files: number, workers: number): number {
    return files === 0 ? 0 : Math.min(workers, files * stripesPerFile(files, workers));
}

/** Yields `[file index, batch]` for every batch of `files`, in file order, read and ingested by `workers` threads. */
export async function* ingestInWorkers(
    files: readonly string[],
    workers: number,
    options: Omit<ReplayWorkerSetup, 'files' | 'stripes' | 'nextTask'>,
): AsyncGenerator<[number, IngestedBatch]> {
    if (files.length === 0) return;
    const stripes = stripesPerFile(files.length, workers);
    const setup: ReplayWorkerSetup = { ...options, files: [...files], stripes, nextTask: new SharedArrayBuffer(4) };
    const newFile = (): StripeState[] => Array.from({ length: stripes }, () => ({ batches: [], ended: false }));
    const states: StripeState[][] = files.map(newFile);
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
        const resume = wake;
        wake = undefined;
        resume?.();
    };
    const fail = (error: Error): void => {
        failure ??= error;
        notify();
    };
    const throwIfFailed = (): void => {
        if (failure !== undefined) throw failure;
    };

    const pool = Array.from({ length: workerThreadsFor(files.length, workers) }, () => startWorker(setup));
    let finished = false;
    for (const worker of pool) {
        worker.on('message', (message: FromReplayWorker) => {
            const state = (states[message.index] as StripeState[])[message.stripe] as StripeState;
            state.worker = worker; // credit goes back to the worker that read the stripe
            if (message.kind === 'batch') state.batches.push(message.batch);
            else if (message.kind === 'end') state.ended = true;
            else fail(new Error(`${files[message.index]}: ${message.message}`));
            notify();
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
            if (!finished) fail(new Error(`a replay worker stopped (exit code ${code}) before the replay ended`));
        });
    }
    try {
        for (let index = 0; index < files.length; index++) {
            // Batch `position` of the file is the next one of stripe `position % stripes`. A stripe that has ended
            // without it means the file has no such batch: the file is done.
            for (let position = 0; ; ) {
                throwIfFailed();
                const state = (states[index] as StripeState[])[position % stripes] as StripeState;
                const batch = state.batches.shift();
                if (batch !== undefined) {
                    state.worker?.postMessage({ kind: 'credit', batches: 1 });
                    position++;
                    yield [index, batch];
                } else if (state.ended) break;
                else await new Promise<void>((resolve) => (wake = resolve));
            }
            // The other stripes end too (or fail, as one thread reading on would have).
            while ((states[index] as StripeState[]).some((stripe) => !stripe.ended)) {
                throwIfFailed();
                await new Promise<void>((resolve) => (wake = resolve));
            }
            throwIfFailed();
            states[index] = []; // let the consumed file's state go
        }
    } finally {
        finished = true;
        await Promise.all(pool.map((worker) => worker.terminate()));
    }
}
