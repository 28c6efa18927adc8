/**
 * The Event Hubs forwarder: one batch per host with partition key = host, split when a batch fills; failures
 * surface as ForwardingFailedError. The real EventHubProducerClient is driven against a closed loopback port
 * (Event Hubs cannot run here: its emulator needs Docker) to prove the bounded retries fail fast.
 */
import { EventHubProducerClient } from '@azure/event-hubs';
import { describe, expect, it } from 'vitest';
import { EventHubEventForwarder, FORWARDER_RETRY_OPTIONS } from '../../../shared/clients/EventHubEventForwarder';
import type { EventBatchLike, ProducerLike } from '../../../shared/clients/EventHubEventForwarder';
import { ForwardingFailedError } from '../../../shared/errors';
import type { SysmonEvent } from '../../../shared/sysmon/types';

function event(host: string, n: number): SysmonEvent {
    return {
        eventId: 5,
        host,
        time: '2024-05-01T10:15:01.987Z',
        timeMs: Date.parse('2024-05-01T10:15:01.987Z'),
        processGuid: `3710b5c6-1243-6182-8303-${String(n).padStart(12, '0')}`,
        origin: { messageIndex: n, recordIndex: 0 },
    };
}

/** Records what would be sent; each batch holds at most `capacity` events, like a size-limited EventDataBatch. */
class RecordingProducer implements ProducerLike {
    readonly sent: { partitionKey: string; bodies: unknown[] }[] = [];
    constructor(private readonly capacity: number) {}
    createBatch(options: { partitionKey: string }): Promise<EventBatchLike> {
        const bodies: unknown[] = [];
        const capacity = this.capacity;
        const batch = {
            partitionKey: options.partitionKey,
            bodies,
            get count() {
                return bodies.length;
            },
            tryAdd(message: { body: unknown }) {
                if (bodies.length >= capacity) return false;
                bodies.push(message.body);
                return true;
            },
        };
        return Promise.resolve(batch);
    }
    sendBatch(batch: EventBatchLike): Promise<void> {
        const b = batch as unknown as { partitionKey: string; bodies: unknown[] };
        this.sent.push({ partitionKey: b.partitionKey, bodies: [...b.bodies] });
        return Promise.resolve();
    }
}

describe('EventHubEventForwarder', () => {
    it('sends each host on its own partition key, lower-cased, in order, splitting full batches', async () => {
        const producer = new RecordingProducer(2);
        const events = [event('WS01', 1), event('ws02', 2), event('ws01', 3), event('WS01', 4)];
        await new EventHubEventForwarder(producer).forward(events);
        const ws01 = producer.sent.filter((s) => s.partitionKey === 'ws01');
        expect(ws01.map((s) => s.bodies.length)).toEqual([2, 1]);
        expect(ws01.flatMap((s) => s.bodies)).toEqual([events[0], events[2], events[3]]);
        expect(producer.sent.filter((s) => s.partitionKey === 'ws02').flatMap((s) => s.bodies)).toEqual([events[1]]);
    });

    it('rejects an event that cannot fit in an empty batch', async () => {
        await expect(
            new EventHubEventForwarder(new RecordingProducer(0)).forward([event('ws01', 1)]),
        ).rejects.toBeInstanceOf(ForwardingFailedError);
    });

    // With the SDK's default retries this would wait 7.5 minutes (docs/architecture.md); the test timeout (30 s) bounds it.
    it('the real producer with bounded retries fails fast on an unreachable hub, as ForwardingFailedError', async () => {
        const producer = new EventHubProducerClient(
            'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=send;SharedAccessKey=not-a-real-key;UseDevelopmentEmulator=true',
            'sysmon-by-host',
            { retryOptions: { ...FORWARDER_RETRY_OPTIONS, maxRetries: 0, timeoutInMs: 2_000 } },
        );
        try {
            const failure = new EventHubEventForwarder(producer).forward([event('ws01', 1)]);
            await expect(failure).rejects.toBeInstanceOf(ForwardingFailedError);
            await expect(failure).rejects.toThrow(/failed: \S/); // says why, even when the SDK's error message is empty
        } finally {
            await producer.close();
        }
    });
});
