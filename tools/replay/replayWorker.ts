/**
 * @module A replay worker thread: takes the run's next untaken task (a file, or one stripe of a file), one after
 * another, runs stage 1 on each of the task's batches (`ingestForReplay`) and posts the result back. It stays at most
 * `credit` batches ahead of what the main thread has taken, so memory stays bounded when correlation (in file order)
 * waits on another worker's batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { readRecordingBatches } from './recordingReader';
import { ingestForReplay } from './replayIngest';
import { PrefetchedBatches } from './PrefetchedBatches';
import type { ReplayWorkerSetup, ToReplayWorker, FromReplayWorker } from './replayWorkerProtocol';

interface Task {
    index: number;
    stripe: number;
    batches: PrefetchedBatches;
}

function serve(port: MessagePort, setup: ReplayWorkerSetup): void {
    const allowedSources: ReadonlySet<string> = new Set(setup.allowedSources);
    const nextTask = new Int32Array(setup.nextTask);
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const post = (message: FromReplayWorker): void => port.postMessage(message);

    const waitForCredit = async (): Promise<void> => {
        while (inFlight >= setup.credit) await new Promise<void>((resolve) => (wake = resolve));
    };

    // With whole files, the next task is taken and its file opened while this one is read, as the single-thread
    // replay does: otherwise every file start waits for its open, first read and first inflate, each a trip through
    // libuv's thread pool. Not with stripes: a worker holding two stripes of one file would read them one after the
    // other, and wait forever on credit for the first while correlation waits for the second.
    const take = (): Task | undefined => {
        const task = Atomics.add(nextTask, 0, 1);
        const index = Math.floor(task / setup.stripes);
        if (index >= setup.files.length) return undefined;
        const source = readRecordingBatches(
            setup.files[index] as string,
            setup.batchSize,
            String(index),
            setup.maxLineBytes,
        );
        return { index, stripe: task % setup.stripes, batches: new PrefetchedBatches(source) };
    };

    const run = async (): Promise<void> => {
        let next = take();
        while (next !== undefined) {
            const { index, stripe, batches } = next;
            next = setup.stripes === 1 ? take() : undefined;
            try {
                let position = 0;
                for await (const batch of batches) {
                    if (position++ % setup.stripes !== stripe) continue; // another stripe's batch
                    await waitForCredit();
                    inFlight++;
                    post({
                        kind: 'batch',
                        index,
                        stripe,
                        batch: ingestForReplay(batch, setup.limits, allowedSources),
                    });
                }
                post({ kind: 'end', index, stripe });
                next ??= take();
            } catch (error) {
                next?.batches.close();
                post({
                    kind: 'failed',
                    index,
                    stripe,
                    message: error instanceof Error ? error.message : String(error),
                });
                return;
            }
        }
    };

    port.on('message', (message: ToReplayWorker) => {
        inFlight -= message.batches;
        const resume = wake;
        wake = undefined;
        resume?.();
    });
    void run();
}

if (parentPort !== null) serve(parentPort, workerData as ReplayWorkerSetup);
