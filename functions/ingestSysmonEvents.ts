/**
 * Stage 1 trigger: Sysmon events from the source Event Hub, normalized, dead-lettered or forwarded by host.
 * Thin: converts the trigger's shapes to plain values and calls shared/ingest/ingestService; a failed batch goes to
 * shared/ingest/parkFailedBatch through functions/support/eventHubBatch (retried by the host, or parked once its
 * retries are spent).
 */
import { app } from '@azure/functions';
import type { EventHubHandler, InvocationContext } from '@azure/functions';
import { processIngestBatch } from '../shared/ingest/ingestService';
import type { IngestDependencies } from '../shared/ingest/ingestService';
import { appTelemetry, getIngestDependencies } from './composition';
import type { Telemetry } from '../shared/ports/telemetry';
import { EVENT_HUB_RETRY, runEventHubBatch } from './support/eventHubBatch';

/** Builds the handler around a dependency source; tests pass their own (Azurite, in-memory forwarder). */
export function ingestSysmonEventsWith(
    dependencies: () => Promise<IngestDependencies>,
    now: () => Date = () => new Date(),
    telemetry: () => Promise<Telemetry> = appTelemetry,
): EventHubHandler {
    return async (messages: unknown, context: InvocationContext): Promise<void> => {
        const outcome = await runEventHubBatch(
            'ingest',
            messages,
            context,
            dependencies,
            processIngestBatch,
            now,
            telemetry,
        );
        if (outcome === undefined) return;
        const { report } = outcome;
        const line = `ingest: received ${report.received}, accepted ${report.accepted}, ignored ${report.ignored}, rejected ${report.rejected}; forwarded ${outcome.forwarded}, dead-lettered ${outcome.deadLettered}`;
        if (report.rejected > 0) context.warn(line, { rejectedByReason: report.rejectedByReason });
        else context.info(line, { ignoredByReason: report.ignoredByReason });
    };
}

export const ingestSysmonEvents = ingestSysmonEventsWith(getIngestDependencies);

app.eventHub('ingestSysmonEvents', {
    // App setting prefix: `SourceEventHub` (a connection string) or `SourceEventHub__fullyQualifiedNamespace`
    // for an identity-based connection (learn.microsoft.com, "Azure Event Hubs trigger", connections).
    connection: 'SourceEventHub',
    eventHubName: '%SOURCE_EVENTHUB_NAME%',
    consumerGroup: '%SOURCE_EVENTHUB_CONSUMER_GROUP%',
    cardinality: 'many',
    // Strings, not host-parsed JSON: raw event XML and NXLog lines are not JSON, and binding them as objects
    // fails on the host (azure-functions-nodejs-library#187, #340; docs/architecture.md). The core parses JSON itself and rejects what is broken.
    ...({ dataType: 'string' } as object),
    retry: EVENT_HUB_RETRY,
    handler: ingestSysmonEvents,
});
