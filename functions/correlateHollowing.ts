/**
 * Stage 2 trigger: the host-keyed hub stage 1 forwards to. One instance owns a partition, hence each host's state.
 * Thin: converts the trigger's shapes to plain values and calls shared/correlate/correlationService; a failed batch goes
 * to shared/ingest/parkFailedBatch through functions/support/eventHubBatch (retried by the host, or parked once its
 * retries are spent).
 */
import { app } from '@azure/functions';
import type { EventHubHandler, InvocationContext } from '@azure/functions';
import { processCorrelationBatch } from '../shared/correlate/correlationService';
import type { CorrelationDependencies } from '../shared/correlate/correlationService';
import { appTelemetry, correlationRunsOnEventHub, getCorrelationDependencies } from './composition';
import type { Telemetry } from '../shared/ports/telemetry';
import { EVENT_HUB_RETRY, runEventHubBatch } from './support/eventHubBatch';

export function correlateHollowingWith(
    dependencies: () => Promise<CorrelationDependencies>,
    now: () => Date = () => new Date(),
    telemetry: () => Promise<Telemetry> = appTelemetry,
): EventHubHandler {
    return async (messages: unknown, context: InvocationContext): Promise<void> => {
        const outcome = await runEventHubBatch(
            'correlate',
            messages,
            context,
            dependencies,
            processCorrelationBatch,
            now,
            telemetry,
        );
        if (outcome === undefined) return;
        const line = `correlate: ${outcome.received} events, ${outcome.hosts} hosts, ${outcome.incidents.length} incidents created or updated, ${outcome.conflicts} ETag conflicts, ${outcome.transactions} table transactions, ${outcome.deadLettered} dead-lettered, ${outcome.delivered} incident versions delivered, ${outcome.pending} pending`;
        if (outcome.deadLettered > 0 || outcome.pending > 0) context.warn(line);
        else context.info(line);
        for (const failure of outcome.deliveryFailures)
            context.error(
                `outbox: publisher ${failure.publisher} did not take ${failure.incidents} incident versions; they stay pending for the next batch of their host or the maintenance timer: ${failure.error}`,
            );
        for (const incident of outcome.incidents) {
            context.info(`incident ${incident.id} v${incident.version}: ${incident.explanation}`);
        }
    };
}

export const correlateHollowing = correlateHollowingWith(getCorrelationDependencies);

// Registered only when correlation runs on the host-keyed hub; inline mode has no stage 2 trigger.
if (correlationRunsOnEventHub())
    app.eventHub('correlateHollowing', {
        // `CorrelationEventHub` (connection string) or `CorrelationEventHub__fullyQualifiedNamespace` (identity-based).
        connection: 'CorrelationEventHub',
        eventHubName: '%CORRELATION_EVENTHUB_NAME%',
        consumerGroup: '%CORRELATION_EVENTHUB_CONSUMER_GROUP%',
        cardinality: 'many',
        // Retried whole on storage failures or lasting ETag conflicts.
        retry: EVENT_HUB_RETRY,
        handler: correlateHollowing,
    });
