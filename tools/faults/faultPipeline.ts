/**
 * @module Runs both stages over a stream of message batches against Table Storage reached through a connection string
 * (in tests and `npm run bench:faults`: Azurite behind the fault proxy), re-delivering a batch that throws as the
 * Event Hubs trigger's retry policy would (5 retries), then reads back what the incident table holds. Stage 1 forwards
 * what correlation needs to stage 2 the way the host-keyed hub would (JSON bodies, grouped by host). Used to compare
 * a run under faults with a fault-free one: incidents absent (lost) or at an older version (stale).
 */
import type { TableServiceClientOptions } from '@azure/data-tables';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import type { CorrelationConfig } from '../../shared/correlate/config';
import { Correlator } from '../../shared/correlate/Correlator';
import { processCorrelationBatch } from '../../shared/correlate/correlationService';
import { isNeededForCorrelation } from '../../shared/correlate/facts';
import { groupByHost } from '../../shared/ingest/groupByHost';
import { DEFAULT_INGEST_LIMITS } from '../../shared/ingest/ingestBatch';
import type { IngestMessage } from '../../shared/ingest/ingestBatch';
import { processIngestBatch } from '../../shared/ingest/ingestService';
import type { EventForwarder } from '../../shared/ports/eventForwarder';
import { IncidentStorePublisher } from '../../shared/publish/IncidentStorePublisher';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import type { SysmonEvent } from '../../shared/sysmon/types';

/**
 * `outbox`: the correlator delivers through its outbox. `direct`: the path this replaced, for comparison: state is
 * saved, then the batch's incidents are upserted into the incident table in the same attempt.
 */
export type DeliveryMode = 'outbox' | 'direct';

export interface FaultPipelineOptions {
    /** Connection string the pipeline writes through (the fault proxy's endpoint). */
    connectionString: string;
    /** Connection string to read the results through (the store itself, without faults). */
    readConnectionString: string;
    /** Fresh table names: `<prefix>state`, `<prefix>incidents`, `<prefix>letters`. */
    tablePrefix: string;
    mode: DeliveryMode;
    /** Before any batch runs (e.g. turn faults on once the tables exist). */
    onReady?: () => void;
    clientOptions?: TableServiceClientOptions;
    config?: CorrelationConfig;
    /** Re-deliveries of a batch that throws (the trigger's `maxRetryCount`); default 5. */
    retries?: number;
}

export interface FaultPipelineResult {
    /** Version per incident id, as the incident table holds it at the end. */
    incidents: Map<string, number>;
    deadLetters: number;
    events: number;
    /** Batch attempts that threw and were re-delivered. */
    redeliveries: number;
    /** Batches that still threw after the last retry (dropped, as the trigger would checkpoint past them). */
    abandoned: number;
    /** Wall time of the batches (table creation and read-back excluded). */
    ms: number;
}

/** Collects what stage 1 forwards, as the host-keyed hub would carry it: JSON bodies, one batch per host. */
class CapturingForwarder implements EventForwarder {
    batches: IngestMessage[][] = [];
    forward(events: readonly SysmonEvent[]): Promise<void> {
        this.batches = [...groupByHost(events).values()].map((group) =>
            group.map((event) => ({ body: JSON.parse(JSON.stringify(event)) as unknown })),
        );
        return Promise.resolve();
    }
}

export async function runFaultPipeline(
    input: AsyncIterable<IngestMessage[]> | Iterable<IngestMessage[]>,
    options: FaultPipelineOptions,
): Promise<FaultPipelineResult> {
    const config = options.config ?? DEFAULT_CORRELATION_CONFIG;
    const retries = options.retries ?? 5;
    const client = (name: string, connectionString: string) =>
        createTableClientFromConnectionString(
            connectionString,
            `${options.tablePrefix}${name}`,
            connectionString === options.connectionString ? options.clientOptions : undefined,
        );
    const [state, incidents, letters] = await Promise.all([
        TableHostStateStore.create(client('state', options.connectionString)),
        TableIncidentStore.create(client('incidents', options.connectionString)),
        TableDeadLetterStore.create(client('letters', options.connectionString)),
    ]);
    const correlator = new Correlator({
        config,
        store: state,
        publishers: options.mode === 'outbox' ? [new IncidentStorePublisher(incidents)] : [],
    });
    const forwarder = new CapturingForwarder();
    const allowed: ReadonlySet<string> = new Set(config.allowedSourceImages);
    const stage1 = {
        deadLetters: letters,
        forwarder,
        limits: DEFAULT_INGEST_LIMITS,
        needed: (event: SysmonEvent) => isNeededForCorrelation(event, allowed),
    };
    const stage2 = { correlator, deadLetters: letters };
    let streamMs = 0;
    const now = (): Date => new Date(streamMs);
    const result: FaultPipelineResult = {
        incidents: new Map(),
        deadLetters: 0,
        events: 0,
        redeliveries: 0,
        abandoned: 0,
        ms: 0,
    };
    const attempt = async (run: () => Promise<unknown>): Promise<boolean> => {
        for (let i = 0; ; i++) {
            try {
                await run();
                return true;
            } catch (error) {
                if (i >= retries) {
                    result.abandoned++;
                    return false;
                }
                void error;
                result.redeliveries++;
            }
        }
    };

    options.onReady?.();
    const started = performance.now();
    for await (const batch of input) {
        result.events += batch.length;
        const ingested = await attempt(() => processIngestBatch(batch, stage1, new Date(0)));
        if (!ingested) continue;
        for (const hostBatch of forwarder.batches) {
            for (const message of hostBatch) {
                const timeMs = (message.body as { timeMs?: number }).timeMs ?? 0;
                if (timeMs > streamMs) streamMs = timeMs;
            }
            await attempt(async () => {
                const outcome = await processCorrelationBatch(hostBatch, stage2, now());
                if (options.mode === 'direct' && outcome.incidents.length > 0)
                    await incidents.upsert(outcome.incidents);
            });
        }
    }
    // The maintenance timer's catch-up, once the outbox retry delay has passed.
    await attempt(() => correlator.expire(new Date(streamMs + 120_000)));
    result.ms = performance.now() - started;

    const reader = new TableIncidentStore(client('incidents', options.readConnectionString));
    let continuationToken: string | undefined;
    do {
        const page = await reader.query({
            limit: 1_000,
            ...(continuationToken !== undefined && { continuationToken }),
        });
        for (const incident of page.incidents) result.incidents.set(incident.id, incident.version);
        continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    result.deadLetters = (
        await new TableDeadLetterStore(client('letters', options.readConnectionString)).list({ limit: 100_000 })
    ).length;
    return result;
}

/** Incidents of `expected` absent from `actual` (lost) or held at an older version (stale). */
export function compareIncidents(
    expected: ReadonlyMap<string, number>,
    actual: ReadonlyMap<string, number>,
): { lost: string[]; stale: string[] } {
    const lost: string[] = [];
    const stale: string[] = [];
    for (const [id, version] of expected) {
        const held = actual.get(id);
        if (held === undefined) lost.push(id);
        else if (held < version) stale.push(id);
    }
    return { lost, stale };
}
