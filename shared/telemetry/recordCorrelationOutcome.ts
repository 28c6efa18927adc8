/**
 * Correlation's counts and end-to-end latency as metrics, and one log record per committed incident version
 * (docs/telemetry.md). Latency runs from the Event Hub
 * enqueued time of the newest event of the incident's host in the batch (the evidence that produced this version;
 * events carry their source-hub coordinates through forwarding) to the moment the batch was committed.
 */
import type { CorrelationOutcome } from '../correlate/Correlator';
import { groupByHost } from '../ingest/groupByHost';
import type { Telemetry } from '../ports/telemetry';
import type { SysmonEvent } from '../sysmon/types';

export type CorrelationMode = 'inline' | 'eventHub';

function newestEnqueuedMsByHost(events: readonly SysmonEvent[]): Map<string, number> {
    const newest = new Map<string, number>();
    for (const [host, hostEvents] of groupByHost(events)) {
        let max = Number.NEGATIVE_INFINITY;
        for (const event of hostEvents) {
            const ms = event.origin.enqueuedTime === undefined ? Number.NaN : Date.parse(event.origin.enqueuedTime);
            if (ms > max) max = ms;
        }
        if (Number.isFinite(max)) newest.set(host, max);
    }
    return newest;
}

export function recordCorrelationOutcome(
    telemetry: Telemetry,
    outcome: CorrelationOutcome,
    events: readonly SysmonEvent[],
    committedAt: Date,
    mode: CorrelationMode,
): void {
    telemetry.count('conflicts', outcome.conflicts, { mode });
    telemetry.count('transactions', outcome.transactions, { mode });
    const enqueued = newestEnqueuedMsByHost(events);
    for (const incident of outcome.incidents) {
        const change = incident.version === 1 ? 'created' : 'updated';
        telemetry.count('incidents', 1, { change, mode });
        // Host and incident id belong in a log record, never in a metric attribute (one series each).
        telemetry.event('incidentCommitted', 'warn', {
            id: incident.id,
            version: incident.version,
            host: incident.host,
            technique: incident.technique,
            score: incident.score,
            severity: incident.severity,
            change,
            mode,
        });
        const from = enqueued.get(incident.host.toLowerCase());
        // Event Hubs and the Functions host keep separate clocks: a small skew must not chart as negative latency.
        if (from !== undefined)
            telemetry.observe('incidentLatency', Math.max(0, committedAt.getTime() - from), { change, mode });
    }
}
