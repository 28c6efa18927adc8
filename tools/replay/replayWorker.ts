/**
 * @module A replay worker thread: takes the run's next untaken file, one after another, runs stage 1 on each batch
 * (`ingestForReplay`) and posts the result back. It stays at most `credit` batches ahead of what the main
 * thread has taken, so memory stays bounded when correlation (in file order) waits on another worker's file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { readRecordingBatches } from './recordingReader';
import { ingestForReplay } from './replayIngest';
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

    const run = async (): Promise<void> => {
        for (let index = Atomics.add(nextFile, 0, 1); index < setup.files.length; index = Atomics.add(nextFile, 0, 1)) {
            try {
                for await (const batch of readRecordingBatches(
                    setup.files[index] as string,
                    setup.batchSize,
                    String(index),
                    setup.maxLineBytes,
                )) {
                    await waitForCredit();
                    inFlight++;
                    post({ kind: 'batch', index, batch: ingestForReplay(batch, setup.limits, allowedSources) });
                }
                post({ kind: 'end', index });
            } catch (error) {
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
