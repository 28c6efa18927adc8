/**
 * @module Stage 1 of a replay on worker threads, handed back in the order a single thread would produce it: file by
 * file in run order, batch by batch in file order. Correlation then sees the same batches at the same stream times
 * as with one thread, so the incidents are the same (the stream clock and state expiry depend on that order).
 * Files go to the worker that is free, one at a time; a worker runs at most `credit` batches ahead of correlation.
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
    setup: ReplayWorkerSetup,
): AsyncGenerator<[number, IngestedBatch]> {
    if (files.length === 0) return;
    const states: FileState[] = files.map(() => ({ batches: [], ended: false }));
    let nextFile = 0;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
        const resume = wake;
        wake = undefined;
        resume?.();
    };
    const assign = (worker: Worker): void => {
        if (nextFile >= files.length) return;
        const index = nextFile++;
        (states[index] as FileState).worker = worker;
        worker.postMessage({ kind: 'file', index, path: files[index] });
    };
    const fail = (error: Error): void => {
        failure ??= error;
        notify();
    };

    const pool = Array.from({ length: Math.min(workers, files.length) }, () => startWorker(setup));
    for (const worker of pool) {
        worker.on('message', (message: FromReplayWorker) => {
            const state = states[message.index] as FileState;
            if (message.kind === 'batch') state.batches.push(message.batch);
            else if (message.kind === 'end') {
                state.ended = true;
                assign(worker);
            } else fail(new Error(`${files[message.index]}: ${message.message}`));
            notify();
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
            if (nextFile < files.length || states.some((state) => !state.ended))
                fail(new Error(`a replay worker stopped (exit code ${code}) before the replay ended`));
        });
        assign(worker);
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
        await Promise.all(pool.map((worker) => worker.terminate()));
    }
}
