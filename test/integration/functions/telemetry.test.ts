/**
 * Metrics and log records from real batches through the handlers, recorded by the real OpenTelemetry SDK into its in-memory exporter
 * and the real logs SDK into its in-memory log exporter (no network, no global provider): the names, values and
 * attributes an operator charts in Application Insights.
 */
import { InvocationContext } from '@azure/functions';
import { EventHubProducerClient } from '@azure/event-hubs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { correlateHollowingWith } from '../../../functions/correlateHollowing';
import { ingestSysmonEventsWith } from '../../../functions/ingestSysmonEvents';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { Correlator } from '../../../shared/correlate/Correlator';
import { InlineCorrelation } from '../../../shared/correlate/correlationService';
import { DEFAULT_INGEST_LIMITS } from '../../../shared/ingest/ingestBatch';
import { ConfigurationError } from '../../../shared/errors';
import { EventHubEventForwarder } from '../../../shared/clients/EventHubEventForwarder';
import { InMemoryEventForwarder } from '../../../shared/ports/InMemoryEventForwarder';
import { IncidentStorePublisher } from '../../../shared/publish/IncidentStorePublisher';
import type { TableDeadLetterStore } from '../../../shared/storage/table/TableDeadLetterStore';
import type { TableHostStateStore } from '../../../shared/storage/table/TableHostStateStore';
import type { TableIncidentStore } from '../../../shared/storage/table/TableIncidentStore';
import type { SysmonEvent } from '../../../shared/sysmon/types';
import type { OpenTelemetryTelemetry } from '../../../shared/clients/OpenTelemetryTelemetry';
import type { RecordingTelemetry } from '../../support/recordingTelemetry';
import { recordingTelemetry } from '../../support/recordingTelemetry';
import { processCreateJson } from '../../helpers/sysmonJson';
import { dropperHollowsSvchost, resetRecordIds } from '../../helpers/sysmonBuilders';
import { handlerStores, testTables } from '../../support/tables';

const tables = testTables(inject('tablesConnectionString'), 'telemetry');
let state: TableHostStateStore;
let incidents: TableIncidentStore;
let deadLetters: TableDeadLetterStore;
let recording: RecordingTelemetry;
let telemetry: OpenTelemetryTelemetry;

beforeAll(async () => {
    ({ state, incidents, deadLetters } = await handlerStores(tables));
});
afterAll(() => tables.dropAll());
beforeEach(() => {
    recording = recordingTelemetry();
    telemetry = recording.telemetry;
});
afterEach(() => recording.shutdown());

interface LogRecordSeen {
    name: string | undefined;
    severity: string | undefined;
    attributes: { [key: string]: unknown };
}

async function logged(): Promise<LogRecordSeen[]> {
    return (await recording.logRecords()).map((r) => ({
        name: r.eventName,
        severity: r.severityText,
        attributes: { ...r.attributes },
    }));
}

function context(functionName: string, count: number): InvocationContext {
    return new InvocationContext({
        functionName,
        triggerMetadata: {
            partitionContext: { partitionId: '3' },
            sequenceNumberArray: Array.from({ length: count }, (_, i) => 100 + i),
            enqueuedTimeUtcArray: Array.from({ length: count }, (_, i) => `2024-05-01T10:15:0${i}.000`),
        },
        logHandler: () => undefined,
    });
}

/** A hollowing chain on one host, each event stamped with the source-hub enqueued time stage 1 gave it. */
function hollowingChain(enqueuedTimes: readonly string[]): SysmonEvent[] {
    resetRecordIds();
    return dropperHollowsSvchost().map((event, i) => ({
        ...event,
        origin: { ...event.origin, enqueuedTime: enqueuedTimes[i] },
    }));
}

describe('telemetry through the handlers', () => {
    it('stage 1 counts received, accepted, ignored and rejected by reason, forwarded and dead-lettered', async () => {
        const sysmon = (eventId: number, channel = 'Microsoft-Windows-Sysmon/Operational') =>
            processCreateJson({ EventID: eventId, Channel: channel, Computer: 'WS07.contoso.local' });
        const batch = [sysmon(1), sysmon(1, 'Security'), sysmon(4), '{"EventID": 1,', ''];
        const forwarder = new InMemoryEventForwarder();
        await ingestSysmonEventsWith(
            () => Promise.resolve({ deadLetters, forwarder, limits: DEFAULT_INGEST_LIMITS, telemetry }),
            () => new Date('2024-05-01T10:16:00Z'),
        )(batch, context('ingestSysmonEvents', batch.length));

        const points = await recording.points();
        const counter = (name: string, attributes: Record<string, string>) =>
            points.filter((p) => p.name === name && JSON.stringify(p.attributes) === JSON.stringify(attributes));
        expect(counter('hollowtrace.events.received', { stage: 'ingest' })).toEqual([
            expect.objectContaining({ value: 5 }),
        ]);
        expect(counter('hollowtrace.events.accepted', { stage: 'ingest' })[0]?.value).toBe(1);
        expect(counter('hollowtrace.events.forwarded', { stage: 'ingest' })[0]?.value).toBe(1);
        expect(counter('hollowtrace.events.dead_lettered', { stage: 'ingest' })[0]?.value).toBe(2);
        const byReason = (name: string) =>
            points
                .filter((p) => p.name === name)
                .map((p) => [p.attributes.reason, p.value])
                .sort();
        expect(byReason('hollowtrace.events.ignored')).toEqual([
            ['event-id-not-correlated', 1],
            ['not-sysmon', 1],
        ]);
        expect(byReason('hollowtrace.events.rejected')).toEqual([
            ['empty-message', 1],
            ['malformed-json', 1],
        ]);
        expect([...forwarder.byHost.values()].flat()).toHaveLength(1);

        expect(await logged()).toStrictEqual([
            {
                name: 'hollowtrace.ingest.batch',
                severity: 'WARN',
                attributes: {
                    partition: '3',
                    sequenceFrom: 100,
                    sequenceTo: 104,
                    received: 5,
                    accepted: 1,
                    forwarded: 1,
                    deadLettered: 2,
                    'ignored.event-id-not-correlated': 1,
                    'ignored.not-sysmon': 1,
                    'rejected.empty-message': 1,
                    'rejected.malformed-json': 1,
                },
            },
        ]);
    });

    it('stage 2 counts the incident created, transactions and the latency from enqueued time to commit', async () => {
        const events = hollowingChain([
            '2024-05-01T10:15:00.000Z',
            '2024-05-01T10:15:03.000Z',
            '2024-05-01T10:15:20.000Z',
        ]);
        const messages: unknown[] = [...events.map((e) => JSON.parse(JSON.stringify(e)) as unknown), { eventId: 'x' }];
        const correlator = new Correlator({
            config: DEFAULT_CORRELATION_CONFIG,
            store: state,
            publishers: [new IncidentStorePublisher(incidents)],
        });
        await correlateHollowingWith(
            () =>
                Promise.resolve({
                    correlator,
                    deadLetters,
                    telemetry,
                    clock: () => new Date('2024-05-01T10:15:21.500Z'),
                }),
            () => new Date('2024-05-01T10:15:21Z'),
        )(messages, context('correlateHollowing', messages.length));

        const points = await recording.points();
        const byName = (name: string) => points.filter((p) => p.name === name);
        expect(byName('hollowtrace.events.received')).toEqual([
            { name: 'hollowtrace.events.received', attributes: { stage: 'correlate' }, value: 4 },
        ]);
        expect(byName('hollowtrace.events.dead_lettered')).toEqual([
            { name: 'hollowtrace.events.dead_lettered', attributes: { stage: 'correlate' }, value: 1 },
        ]);
        expect(byName('hollowtrace.incidents.committed')).toEqual([
            {
                name: 'hollowtrace.incidents.committed',
                attributes: { change: 'created', mode: 'eventHub' },
                value: 1,
            },
        ]);
        const [transactions] = byName('hollowtrace.table.transactions');
        expect(transactions?.attributes).toEqual({ mode: 'eventHub' });
        expect(transactions?.value).toBeGreaterThan(0);
        // Newest evidence enqueued 10:15:20.000, committed 10:15:21.500.
        expect(byName('hollowtrace.incident.latency')).toEqual([
            {
                name: 'hollowtrace.incident.latency',
                attributes: { change: 'created', mode: 'eventHub' },
                value: { count: 1, sum: 1500, min: 1500, max: 1500 },
            },
        ]);
        expect(byName('hollowtrace.correlation.conflicts')).toEqual([]);

        const records = await logged();
        expect(records.map((r) => [r.name, r.severity])).toStrictEqual([
            ['hollowtrace.incident.committed', 'WARN'],
            ['hollowtrace.correlate.batch', 'WARN'],
        ]);
        const committed = records[0]?.attributes ?? {};
        const stored = await incidents.get(String(committed.id));
        expect(stored?.host).toBe(events[0]?.host.toLowerCase());
        expect(committed).toStrictEqual({
            id: stored?.id,
            version: 1,
            host: stored?.host,
            technique: stored?.technique,
            score: stored?.score,
            severity: stored?.severity,
            change: 'created',
            mode: 'eventHub',
        });
        expect(records[1]?.attributes).toStrictEqual({
            partition: '3',
            sequenceFrom: 100,
            sequenceTo: 103,
            received: 4,
            deadLettered: 1,
            hosts: 1,
            incidents: 1,
            conflicts: 0,
            transactions: transactions?.value,
        });
    });

    it('inline correlation records the same incident metrics with mode inline', async () => {
        const host = 'WS09.contoso.local';
        const events = hollowingChain([
            '2024-05-01T11:00:00.000Z',
            '2024-05-01T11:00:01.000Z',
            '2024-05-01T11:00:02.250Z',
        ]).map((e) => ({ ...e, host }));
        const correlator = new Correlator({
            config: DEFAULT_CORRELATION_CONFIG,
            store: state,
            publishers: [new IncidentStorePublisher(incidents)],
        });
        const inline = new InlineCorrelation(correlator, () => new Date('2024-05-01T11:00:03Z'), undefined, telemetry);
        await inline.forward(events);

        const points = await recording.points();
        expect(points.find((p) => p.name === 'hollowtrace.incidents.committed')).toEqual({
            name: 'hollowtrace.incidents.committed',
            attributes: { change: 'created', mode: 'inline' },
            value: 1,
        });
        expect(points.find((p) => p.name === 'hollowtrace.incident.latency')?.value).toEqual({
            count: 1,
            sum: 750,
            min: 750,
            max: 750,
        });
    });

    it('a batch whose retries ran out is parked and recorded as an error with its position', async () => {
        // A real producer on a closed loopback port: forwarding fails quickly, as with the hub down.
        const producer = new EventHubProducerClient(
            'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true',
            'sysmon',
            { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } },
        );
        const processCreate = processCreateJson({ Computer: 'WS08.contoso.local' });
        const invocation = new InvocationContext({
            functionName: 'ingestSysmonEvents',
            triggerMetadata: context('ingestSysmonEvents', 1).triggerMetadata,
            retryContext: { retryCount: 2, maxRetryCount: 2 },
            logHandler: () => undefined,
        });
        try {
            await ingestSysmonEventsWith(
                () =>
                    Promise.resolve({
                        deadLetters,
                        forwarder: new EventHubEventForwarder(producer),
                        limits: DEFAULT_INGEST_LIMITS,
                        telemetry,
                    }),
                () => new Date('2024-05-01T10:16:00Z'),
            )([processCreate], invocation);
        } finally {
            await producer.close();
        }

        const [parked, ...rest] = await logged();
        expect(rest).toStrictEqual([]);
        expect(parked).toStrictEqual({
            name: 'hollowtrace.batch.parked',
            severity: 'ERROR',
            attributes: {
                stage: 'ingest',
                partition: '3',
                sequenceFrom: 100,
                sequenceTo: 100,
                outcome: 'parked',
                messages: 1,
                truncated: 0,
                error: expect.stringMatching(/^ForwardingFailedError/) as unknown,
            },
        });
        const letters = await deadLetters.list({ reason: 'retries-exhausted' });
        expect(letters.map((l) => l.raw)).toContain(processCreate);
    });

    it('a batch lost because the dependencies could not be built is still recorded, by both stages', async () => {
        // A bad setting found at start-up: no dead-letter store to park in, and no telemetry from the dependencies.
        const broken = () => Promise.reject(new ConfigurationError('HOLLOWTRACE_STORAGE_ACCOUNT_URL is not a URL'));
        for (const [stage, handler] of [
            ['ingest', ingestSysmonEventsWith(broken, undefined, () => Promise.resolve(telemetry))],
            ['correlate', correlateHollowingWith(broken, undefined, () => Promise.resolve(telemetry))],
        ] as const) {
            const invocation = new InvocationContext({
                functionName: stage,
                triggerMetadata: context(stage, 1).triggerMetadata,
                retryContext: { retryCount: 5, maxRetryCount: 5 },
                logHandler: () => undefined,
            });
            await expect(handler(['{}'], invocation)).rejects.toThrow(/could not park a batch/);
        }
        const records = await logged();
        expect(records.map((r) => [r.name, r.severity, r.attributes.stage, r.attributes.outcome])).toStrictEqual([
            ['hollowtrace.batch.parked', 'ERROR', 'ingest', 'lost'],
            ['hollowtrace.batch.parked', 'ERROR', 'correlate', 'lost'],
        ]);
        expect(records[0]?.attributes).toMatchObject({
            partition: '3',
            sequenceFrom: 100,
            error: expect.stringMatching(/^ConfigurationError/) as unknown,
        });
    });
});
