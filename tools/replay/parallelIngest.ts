/**
 * @module Stage 1 of a replay on worker threads, handed back in the order a single thread would produce it: file by
 * file in run order, batch by batch in file order. Correlation then sees the same batches at the same stream times
 * as with one thread, so the incidents are the same (the stream clock and state expiry depend on that order).
 * Each worker takes the next untaken file when it is free; it runs at most `credit` batches ahead of correlation.
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

interface FileState {
    batches: IngestedBatch[];
    ended: boolean;
    worker?: Worker;
}

/** Yields `[file index, batch]` for every batch of `files`, in file order, read and ingested by `workers` threads. */
export async function* ingestInWorkers(
    files: readonly string[],
    workers: number,
    options: Omit<ReplayWorkerSetup, 'files' | 'nextFile'>,
): AsyncGenerator<[number, IngestedBatch]> {
    if (files.length === 0) return;
    const setup: ReplayWorkerSetup = { ...options, files: [...files], nextFile: new SharedArrayBuffer(4) };
    const states: FileState[] = files.map(() => ({ batches: [], ended: false }));
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

    const pool = Array.from({ length: Math.min(workers, files.length) }, () => startWorker(setup));
    let finished = false;
    for (const worker of pool) {
        worker.on('message', (message: FromReplayWorker) => {
            const state = states[message.index] as FileState;
            state.worker = worker; // credit goes back to the worker that read the file
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
            const state = states[index] as FileState;
            for (;;) {
                if (failure !== undefined) throw failure;
                const batch = state.batches.shift();
                if (batch !== undefined) {
                    state.worker?.postMessage({ kind: 'credit', batches: 1 });
                    yield [index, batch];
                } else if (state.ended) break;
                else await new Promise<void>((resolve) => (wake = resolve));
            }
            states[index] = { batches: [], ended: true }; // let the consumed file's state go
        }
    } finally {
        finished = true;
        await Promise.all(pool.map((worker) => worker.terminate()));
    }
}
