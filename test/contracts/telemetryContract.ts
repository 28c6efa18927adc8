/**
 * @module Behaviour every `Telemetry` must show, run against each implementation
 * (test/unit/ports/InMemoryTelemetry.test.ts, test/integration/OpenTelemetryTelemetry.test.ts).
 * Each implementation reads back what it recorded as one series per metric name and attribute set.
 */
import { describe, expect, it } from 'vitest';
import type { Telemetry } from '../../shared/ports/telemetry';

export interface Series {
    /** The exported metric name (`hollowtrace.…`). */
    name: string;
    attributes: Record<string, string>;
    /** Number of recordings (histograms) or of non-zero additions (counters are summed, so this is not compared). */
    count?: number;
    sum: number;
}

/** One emitted log record as the backend would see it. */
export interface EmittedEvent {
    /** The exported event name (`hollowtrace.…`). */
    name: string;
    severity: 'INFO' | 'WARN' | 'ERROR';
    attributes: Record<string, string | number>;
}

export interface TelemetryUnderTest {
    telemetry: Telemetry;
    read: () => Promise<Series[]>;
    readEvents: () => Promise<EmittedEvent[]>;
}

function sorted(series: Series[]): Series[] {
    const key = (s: Series) => `${s.name} ${JSON.stringify(Object.entries(s.attributes).sort())}`;
    return [...series].sort((a, b) => key(a).localeCompare(key(b)));
}

export function describeTelemetryContract(name: string, create: () => TelemetryUnderTest): void {
    describe(`${name} (Telemetry contract)`, () => {
        it('sums a counter per attribute set under its exported name', async () => {
            const { telemetry, read } = create();
            telemetry.count('rejected', 2, { reason: 'malformed-json' });
            telemetry.count('rejected', 3, { reason: 'malformed-json' });
            telemetry.count('rejected', 1, { reason: 'too-large' });
            telemetry.count('received', 7, { stage: 'ingest' });
            const series = sorted(await read()).map(({ name: n, attributes, sum }) => ({ name: n, attributes, sum }));
            expect(series).toStrictEqual([
                { name: 'hollowtrace.events.received', attributes: { stage: 'ingest' }, sum: 7 },
                { name: 'hollowtrace.events.rejected', attributes: { reason: 'malformed-json' }, sum: 5 },
                { name: 'hollowtrace.events.rejected', attributes: { reason: 'too-large' }, sum: 1 },
            ]);
        });

        it('does not create a series for a zero count', async () => {
            const { telemetry, read } = create();
            telemetry.count('conflicts', 0, { mode: 'inline' });
            expect(await read()).toStrictEqual([]);
        });

        it('keeps every histogram measurement: count and sum per attribute set', async () => {
            const { telemetry, read } = create();
            telemetry.observe('incidentLatency', 1500, { change: 'created' });
            telemetry.observe('incidentLatency', 500, { change: 'created' });
            telemetry.observe('enrichmentDuration', 0, { status: 'unavailable' });
            expect(sorted(await read())).toStrictEqual([
                {
                    name: 'hollowtrace.enrichment.duration',
                    attributes: { status: 'unavailable' },
                    count: 1,
                    sum: 0,
                },
                { name: 'hollowtrace.incident.latency', attributes: { change: 'created' }, count: 2, sum: 2000 },
            ]);
        });

        it('emits one log record per event, in order, with its severity and attributes, and no metric', async () => {
            const { telemetry, read, readEvents } = create();
            telemetry.event('ingestBatch', 'info', { received: 3, partition: '2' });
            telemetry.event('incidentCommitted', 'warn', { host: 'WS-1', version: 2 });
            telemetry.event('correlateBatch', 'error', { partition: '0' });
            expect(await readEvents()).toStrictEqual([
                { name: 'hollowtrace.ingest.batch', severity: 'INFO', attributes: { received: 3, partition: '2' } },
                { name: 'hollowtrace.incident.committed', severity: 'WARN', attributes: { host: 'WS-1', version: 2 } },
                { name: 'hollowtrace.correlate.batch', severity: 'ERROR', attributes: { partition: '0' } },
            ]);
            expect(await read()).toStrictEqual([]);
        });
    });
}
