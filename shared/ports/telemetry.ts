/**
 * @module The metrics port: what the app counts and times, named once, recorded through one small interface.
 * Attribute values are short enums (stage, reason, mode, status), never host or user names: every distinct
 * combination is a separate time series in Application Insights (learn.microsoft.com "Metrics in Application Insights").
 */

/** Counters: a number of things per batch, summed by the backend. */
export const COUNTERS = {
    received: { name: 'hollowtrace.events.received', unit: '{event}', description: 'Events in delivered batches' },
    accepted: { name: 'hollowtrace.events.accepted', unit: '{event}', description: 'Sysmon events normalized' },
    ignored: { name: 'hollowtrace.events.ignored', unit: '{event}', description: 'Events skipped, by reason' },
    rejected: { name: 'hollowtrace.events.rejected', unit: '{event}', description: 'Events rejected, by reason' },
    forwarded: { name: 'hollowtrace.events.forwarded', unit: '{event}', description: 'Events handed to correlation' },
    deadLettered: {
        name: 'hollowtrace.events.dead_lettered',
        unit: '{event}',
        description: 'Events kept in the dead-letter table, by stage',
    },
    incidents: {
        name: 'hollowtrace.incidents.committed',
        unit: '{incident}',
        description: 'Incident versions committed, by change (created or updated)',
    },
    conflicts: {
        name: 'hollowtrace.correlation.conflicts',
        unit: '{conflict}',
        description: 'ETag conflicts while correlating, by mode',
    },
    transactions: {
        name: 'hollowtrace.table.transactions',
        unit: '{transaction}',
        description: 'Table Storage transactions of correlation, by mode',
    },
} as const;

/** Histograms: one value per occurrence, exported as count, sum, min and max per interval. */
export const HISTOGRAMS = {
    enrichmentDuration: {
        name: 'hollowtrace.enrichment.duration',
        unit: 'ms',
        description: 'Workspace queries for one incident, by status',
    },
    incidentLatency: {
        name: 'hollowtrace.incident.latency',
        unit: 'ms',
        description: 'Event Hub enqueued time of the newest evidence to the incident version committed, by change',
    },
} as const;

export type CounterName = keyof typeof COUNTERS;
export type HistogramName = keyof typeof HISTOGRAMS;
export type TelemetryAttributes = Readonly<Record<string, string>>;

/** Structured log records: one per outcome an operator filters on, attributes as `customDimensions` of `traces`. */
export const EVENTS = {
    ingestBatch: 'hollowtrace.ingest.batch',
    correlateBatch: 'hollowtrace.correlate.batch',
    incidentCommitted: 'hollowtrace.incident.committed',
    batchParked: 'hollowtrace.batch.parked',
} as const;

export type EventName = keyof typeof EVENTS;
export type EventSeverity = 'info' | 'warn' | 'error';
/** Unlike metric attributes these may name hosts and incidents: a log record is not a time series. */
export type EventAttributes = Readonly<Record<string, string | number>>;

export interface Telemetry {
    /** Adds `value` (>= 0) to a counter; zero is not recorded. */
    count(counter: CounterName, value: number, attributes?: TelemetryAttributes): void;
    /** Records one measurement in a histogram. */
    observe(histogram: HistogramName, value: number, attributes?: TelemetryAttributes): void;
    /** Emits one structured log record. */
    event(name: EventName, severity: EventSeverity, attributes: EventAttributes): void;
}

/** Records nothing: the default where no telemetry is wired (tests that do not look, the CLI). */
export const NO_TELEMETRY: Telemetry = {
    count: () => undefined,
    observe: () => undefined,
    event: () => undefined,
};
