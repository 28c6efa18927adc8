/**
 * @module A replay worker thread: reads the files the main thread hands it, one after another, runs stage 1 on each
 * batch (`ingestForReplay`) and posts the result back. It stays at most `credit` batches ahead of what the main
 * thread has taken, so memory stays bounded when correlation (in file order) waits on another worker's file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { readRecordingBatches } from './recordingReader';
import { ingestForReplay } from './replayIngest';
import type { ReplayWorkerSetup, ToReplayWorker, FromReplayWorker } from './replayWorkerProtocol';

function serve(port: MessagePort, setup: ReplayWorkerSetup): void {
    const allowedSources: ReadonlySet<string> = new Set(setup.allowedSources);
    const queue: { index: number; path: string }[] = [];
    let inFlight = 0;
    let wake: (() => void) | undefined;
    let running = false;
    const post = (message: FromReplayWorker): void => port.postMessage(message);

    const waitForCredit = async (): Promise<void> => {
        while (inFlight >= setup.credit) await new Promise<void>((resolve) => (wake = resolve));
    };

    const run = async (): Promise<void> => {
        running = true;
        for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
            try {
                for await (const batch of readRecordingBatches(
                    file.path,
                    setup.batchSize,
                    String(file.index),
                    setup.maxLineBytes,
                )) {
                    await waitForCredit();
                    inFlight++;
                    post({
                        kind: 'batch',
                        index: file.index,
                        batch: ingestForReplay(batch, setup.limits, allowedSources),
                    });
                }
                post({ kind: 'end', index: file.index });
            } catch (error) {
                post({
                    kind: 'failed',
                    index: file.index,
                    message: error instanceof Error ? error.message : String(error),
                });
            }
        }
        running = false;
    };

    port.on('message', (message: ToReplayWorker) => {
        if (message.kind === 'credit') {
            inFlight -= message.batches;
            const resume = wake;
            wake = undefined;
            resume?.();
        } else {
            queue.push(message);
            if (!running) void run();
        }
    });
}

if (parentPort !== null) serve(parentPort, workerData as ReplayWorkerSetup);
