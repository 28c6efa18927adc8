/**
 * The stage 1 handler, called the way the host calls it: a batch of bodies and the package's real
 * InvocationContext with Event Hubs trigger metadata. Dead letters go to Azure Table on Azurite.
 */
import { CLOSED_PORT_CONNECTION_STRING } from '../../support/tables';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ingestSysmonEventsWith } from '../../../functions/ingestSysmonEvents';
import { StorageUnavailableError } from '../../../shared/errors';
import { InMemoryEventForwarder } from '../../../shared/ports/InMemoryEventForwarder';
import { DEFAULT_INGEST_LIMITS } from '../../../shared/ingest/ingestBatch';
import { TableDeadLetterStore } from '../../../shared/storage/table/TableDeadLetterStore';
import { createTableClientFromConnectionString } from '../../../shared/storage/table/tableSupport';

const PROCESS_CREATE = JSON.stringify({
    EventID: 1,
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Computer: 'WS01.contoso.local',
    EventRecordID: 7,
    UtcTime: '2024-05-01 10:15:01.987',
    ProcessGuid: '{3710B5C6-1243-6182-8303-000000000A00}',
    ProcessId: '4044',
    Image: 'C:\\Windows\\System32\\svchost.exe',
    CommandLine: 'svchost.exe',
    ParentProcessGuid: '{3710b5c6-1200-6182-8303-000000000a00}',
    ParentImage: 'C:\\Users\\u\\evil.exe',
});

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

    it('throws when the dead-letter store is down, so the retry policy re-runs the batch', async () => {
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
        const context = new InvocationContext({ triggerMetadata: triggerMetadata(1), logHandler: () => undefined });
        await expect(handler(['<Event><System><EventID>1'], context)).rejects.toBeInstanceOf(StorageUnavailableError);
    });
});
