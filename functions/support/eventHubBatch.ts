/**
 * Shared by the Event Hub triggers: pairs the batch with its hub coordinates, runs it through a stage, and hands a
 * failure to shared/ingest/parkFailedBatch (rethrown while the host will retry it, parked once its retries are spent).
 * Not a function itself (not matched by `main`).
 */
import type { InvocationContext, RetryOptions } from '@azure/functions';
import type { IngestMessage } from '../../shared/ingest/ingestBatch';
import { parkFailedBatch } from '../../shared/ingest/parkFailedBatch';
import type { BatchStage } from '../../shared/ingest/parkFailedBatch';
import { withTriggerCoordinates } from '../../shared/ingest/triggerMetadata';
import type { DeadLetterStore } from '../../shared/ports/deadLetterStore';
import type { Telemetry } from '../../shared/ports/telemetry';

/**
 * The retry policy of both Event Hub triggers: whole batches are retried only for infrastructure failures (bad events
 * never throw), bounded and under a minute apart, because the partition waits while a batch is retried
 * (learn.microsoft.com, "Azure Functions error handling and retries"). On the last attempt the batch is parked.
 */
export const EVENT_HUB_RETRY: RetryOptions = {
    strategy: 'exponentialBackoff',
    maxRetryCount: 5,
    minimumInterval: { seconds: 5 },
    maximumInterval: { seconds: 60 },
};

/** What parking a failed batch needs from a stage's dependencies. */
export interface ParkingDependencies {
    deadLetters: DeadLetterStore;
    telemetry?: Telemetry;
}

/**
 * The stage's outcome, or `undefined` when the batch failed on its last attempt and was parked. `telemetry` records
 * the failure when the dependencies themselves could not be built (a bad setting, storage unreachable at start-up):
 * a batch lost that way is then charted and alerted on like any other.
 */
export async function runEventHubBatch<Dependencies extends ParkingDependencies, Outcome>(
    stage: BatchStage,
    messages: unknown,
    context: InvocationContext,
    dependencies: () => Promise<Dependencies>,
    process: (batch: IngestMessage[], dependencies: Dependencies, now: Date) => Promise<Outcome>,
    now: () => Date,
    telemetry: () => Promise<Telemetry>,
): Promise<Outcome | undefined> {
    const batch = withTriggerCoordinates(Array.isArray(messages) ? messages : [messages], context.triggerMetadata);
    let deps: Dependencies | undefined;
    try {
        deps = await dependencies();
        return await process(batch, deps, now());
    } catch (error) {
        await parkFailedBatch({
            stage,
            messages: batch,
            error,
            retry: context.retryContext,
            deadLetters: deps?.deadLetters,
            telemetry: deps !== undefined ? deps.telemetry : await telemetry().catch(() => undefined),
            now: now(),
            log: context,
        });
        return undefined;
    }
}
