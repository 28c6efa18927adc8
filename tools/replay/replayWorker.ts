/**
 * @module A replay worker thread: takes the run's next untaken file, one after another, runs stage 1 on each batch
 * (`ingestForReplay`) and posts the result back. It stays at most `credit` batches ahead of what the main
 * thread has taken, so memory stays bounded when correlation (in file order) waits on another worker's file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { readRecordingBatches } from './recordingReader';
import { ingestForReplay } from './replayIngest';
import { PrefetchedBatches } from './PrefetchedBatches';
import type { ReplayWorkerSetup, ToReplayWorker, FromReplayWorker } from './replayWorkerProtocol';

function serve(port: MessagePort, setup: ReplayWorkerSetup): void {
    const allowedSources: ReadonlySet<string> = new Set(setup.allowedSources);
    const nextFile = new Int32Array(setup.nextFile);
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const post = (message: FromReplayWorker): void => port.postMessage(message);

    const waitForCredit = async (): Promise<void> => {
        while (inFlight >= setup.credit) await new Promise<void>((resolve) => (wake = resolve));
    };

    // The next file is taken and opened while this one is read, as the single-thread replay does: otherwise every
    // file start waits for its open, first read and first inflate, each a trip through libuv's thread pool.
    const take = (): { index: number; batches: PrefetchedBatches } | undefined => {
        const index = Atomics.add(nextFile, 0, 1);
        if (index >= setup.files.length) return undefined;
        const path = setup.files[index] as string;
        const source = readRecordingBatches(path, setup.batchSize, String(index), setup.maxLineBytes);
        return { index, batches: new PrefetchedBatches(source) };
    };

    const run = async (): Promise<void> => {
        let next = take();
        while (next !== undefined) {
            const { index, batches } = next;
            next = take();
            try {
                for await (const batch of batches) {
                    await waitForCredit();
                    inFlight++;
                    post({ kind: 'batch', index, batch: ingestForReplay(batch, setup.limits, allowedSources) });
                }
                post({ kind: 'end', index });
            } catch (error) {
                next?.batches.close();
                post({ kind: 'failed', index, message: error instanceof Error ? error.message : String(error) });
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
