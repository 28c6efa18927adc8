/**
 * The stage 1 handler, called the way the host calls it: a batch of bodies and the package's real
 * InvocationContext with Event Hubs trigger metadata. Dead letters go to Azure Table on Azurite.
 */
import { CLOSED_PORT_CONNECTION_STRING, closedPortClient, testTables } from '../../support/tables';
import { EventHubProducerClient } from '@azure/event-hubs';
import { EventHubEventForwarder } from '../../../shared/clients/EventHubEventForwarder';
import { reprocessDeadLetters } from '../../../shared/ingest/reprocessDeadLetters';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ingestSysmonEventsWith } from '../../../functions/ingestSysmonEvents';
import { ForwardingFailedError, StorageUnavailableError } from '../../../shared/errors';
import { InMemoryEventForwarder } from '../../../shared/ports/InMemoryEventForwarder';
import { DEFAULT_INGEST_LIMITS } from '../../../shared/ingest/ingestBatch';
import { TableDeadLetterStore } from '../../../shared/storage/table/TableDeadLetterStore';
import { createTableClientFromConnectionString } from '../../../shared/storage/table/tableSupport';
import { processCreateJson } from '../../helpers/sysmonJson';

const PROCESS_CREATE = processCreateJson({ EventRecordID: 7 });

/** Trigger metadata as the Node worker hands it over (camel-cased host keys; enqueued times without a zone). */
function triggerMetadata(count: number) {
    return {
        partitionContext: {
            fullyQualifiedNamespace: 'ns.servicebus.windows.net',
            eventHubName: 'sysmon',
            consumerGroup: '$Default',
            partitionId: '2',
        },
        sequenceNumberArray: Array.from({ length: count }, (_, i) => 59 + i),
        offsetArray: Array.from({ length: count }, (_, i) => String(616008 + i * 100)),
        enqueuedTimeUtcArray: Array.from({ length: count }, (_, i) => `2024-05-01T10:15:0${i}.25`),
    };
}

describe('ingestSysmonEvents handler', () => {
    const table = `ingesthandler${Date.now().toString(36)}`;
    const client = createTableClientFromConnectionString(inject('tablesConnectionString'), table);
    let deadLetters: TableDeadLetterStore;

    beforeAll(async () => {
        deadLetters = await TableDeadLetterStore.create(client);
    });
    afterAll(async () => {
        await client.deleteTable();
    });

    it('forwards good events by host, dead-letters bad ones with their coordinates, and logs the report', async () => {
        const forwarder = new InMemoryEventForwarder();
        const handler = ingestSysmonEventsWith(
            () => Promise.resolve({ deadLetters, forwarder, limits: DEFAULT_INGEST_LIMITS }),
            () => new Date('2024-05-01T10:16:00Z'),
        );
        const logs: unknown[][] = [];
        const context = new InvocationContext({
            invocationId: 'inv-1',
            functionName: 'ingestSysmonEvents',
            triggerMetadata: triggerMetadata(3),
            logHandler: (level, ...args) => logs.push([level, ...args]),
        });

        await handler(
            [
                PROCESS_CREATE,
                '{"EventID": 1, "Computer": "WS01"',
                { records: [{ Type: 'Heartbeat', Computer: 'WS01' }] },
            ],
            context,
        );

        const forwarded = forwarder.byHost.get('ws01.contoso.local');
        expect(forwarded).toHaveLength(1);
        expect(forwarded![0]).toMatchObject({
            eventId: 1,
            processGuid: '3710b5c6-1243-6182-8303-000000000a00',
            origin: {
                partitionId: '2',
                sequenceNumber: 59,
                offset: '616008',
                enqueuedTime: '2024-05-01T10:15:00.250Z',
                messageIndex: 0,
                recordIndex: 0,
            },
        });
        const letters = await deadLetters.list();
        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatchObject({
            reason: 'malformed-json',
            partitionId: '2',
            sequenceNumber: 60,
            offset: '616108',
            messageIndex: 1,
            recordIndex: 0,
        });
        expect(letters[0]!.raw).toBe('{"EventID": 1, "Computer": "WS01"');
        expect(logs).toContainEqual([
            'warning',
            'ingest: received 3, accepted 1, ignored 1, rejected 1; forwarded 1, dead-lettered 1',
            { rejectedByReason: { 'malformed-json': 1 } },
        ]);
    });

    it('replaying the same batch does not duplicate dead letters (at-least-once delivery)', async () => {
        const handler = ingestSysmonEventsWith(() =>
            Promise.resolve({ deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS }),
        );
        const context = () =>
            new InvocationContext({ triggerMetadata: triggerMetadata(1), logHandler: () => undefined });
        await handler(['not json, not xml'], context());
        const before = (await deadLetters.list()).length;
        await handler(['not json, not xml'], context());
        expect((await deadLetters.list()).length).toBe(before);
    });

    it('throws when the dead-letter store is down on an attempt that is not the last, so the host re-runs the batch', async () => {
        const unreachable = createTableClientFromConnectionString(CLOSED_PORT_CONNECTION_STRING, 'deadletters', {
            retryOptions: { maxRetries: 0 },
        });
        const handler = ingestSysmonEventsWith(() =>
            Promise.resolve({
                deadLetters: new TableDeadLetterStore(unreachable),
                forwarder: new InMemoryEventForwarder(),
                limits: DEFAULT_INGEST_LIMITS,
            }),
        );
        const context = new InvocationContext({
            triggerMetadata: triggerMetadata(1),
            retryContext: { retryCount: 0, maxRetryCount: 5 },
            logHandler: () => undefined,
        });
        await expect(handler(['<Event><System><EventID>1'], context)).rejects.toBeInstanceOf(StorageUnavailableError);
    });
});

describe('ingestSysmonEvents handler when retries run out', () => {
    const tables = testTables(inject('tablesConnectionString'), 'ingestparked');
    /** A real producer on a closed loopback port: every send fails with ForwardingFailedError, quickly. */
    const producer = new EventHubProducerClient(
        'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true',
        'sysmon',
        { retryOptions: { maxRetries: 0, timeoutInMs: 5_000 } },
    );
    const brokenForwarder = new EventHubEventForwarder(producer);
    afterAll(async () => {
        await producer.close();
        await tables.dropAll();
    });

    const invocation = (retryCount: number, logs: unknown[][]) =>
        new InvocationContext({
            functionName: 'ingestSysmonEvents',
            triggerMetadata: triggerMetadata(2),
            retryContext: { retryCount, maxRetryCount: 5 },
            logHandler: (level, ...args) => logs.push([level, ...args]),
        });

    it('throws while retries remain; on the last attempt parks the messages, logs their range and returns', async () => {
        const deadLetters = await TableDeadLetterStore.create(tables.newClient());
        const handler = ingestSysmonEventsWith(
            () => Promise.resolve({ deadLetters, forwarder: brokenForwarder, limits: DEFAULT_INGEST_LIMITS }),
            () => new Date('2024-05-01T10:16:00Z'),
        );
        const second = PROCESS_CREATE.replace('"EventRecordID":7', '"EventRecordID":8');

        const early: unknown[][] = [];
        await expect(handler([PROCESS_CREATE, second], invocation(4, early))).rejects.toBeInstanceOf(
            ForwardingFailedError,
        );
        await expect(deadLetters.list()).resolves.toEqual([]);
        expect(early).toContainEqual([
            'warning',
            expect.stringMatching(/^ingest: attempt 5 of 6 failed on partition 2/),
        ]);

        const last: unknown[][] = [];
        await expect(handler([PROCESS_CREATE, second], invocation(5, last))).resolves.toBeUndefined();
        const parked = await deadLetters.list({ reason: 'retries-exhausted' });
        expect(parked.map((l) => [l.id, l.raw, l.sequenceNumber, l.offset, l.enqueuedTime, l.stage])).toEqual([
            ['exhausted-p2-s59', PROCESS_CREATE, 59, '616008', '2024-05-01T10:15:00.250Z', 'ingest'],
            ['exhausted-p2-s60', second, 60, '616108', '2024-05-01T10:15:01.250Z', 'ingest'],
        ]);
        expect(last).toContainEqual([
            'error',
            expect.stringMatching(/^ingest: retries exhausted on partition 2 sequence numbers 59-60 \(2 messages\)/),
        ]);

        // Stage 1 input again through POST /api/dead-letters/reprocess, once the hub is back.
        const forwarder = new InMemoryEventForwarder();
        const outcome = await reprocessDeadLetters(
            { reason: 'retries-exhausted', sinceDay: '2024-05-01', limit: 10 },
            { deadLetters, forwarder, limits: DEFAULT_INGEST_LIMITS },
            new Date('2024-05-01T11:00:00Z'),
        );
        expect(outcome).toMatchObject({ examined: 2, resolved: 2, stillRejected: 0, forwarded: 2 });
        expect(forwarder.byHost.get('ws01.contoso.local')?.map((e) => e.origin.sequenceNumber)).toEqual([59, 60]);
        await expect(deadLetters.list()).resolves.toEqual([]);
    });

    it('throws, saying the batch is lost, when the dead-letter store is down on the last attempt too', async () => {
        const handler = ingestSysmonEventsWith(() =>
            Promise.resolve({
                deadLetters: new TableDeadLetterStore(closedPortClient()),
                forwarder: brokenForwarder,
                limits: DEFAULT_INGEST_LIMITS,
            }),
        );
        const logs: unknown[][] = [];
        await expect(handler([PROCESS_CREATE, PROCESS_CREATE], invocation(5, logs))).rejects.toBeInstanceOf(
            StorageUnavailableError,
        );
        expect(logs).toContainEqual([
            'error',
            expect.stringMatching(/parking failed, the batch is LOST: partition 2 sequence numbers 59-60/),
        ]);
    });
});
