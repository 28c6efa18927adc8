/**
 * @module Event Hubs adapter of the forwarding port: one `EventDataBatch` per host with partition key = host, so
 * stage 2 sees each host's events on one partition, in order (learn.microsoft.com, "Event Hubs features").
 */
import { EventHubProducerClient } from '@azure/event-hubs';
import type { RetryOptions } from '@azure/event-hubs';
import type { TokenCredential } from '@azure/identity';
import type { ForwardingConfig } from '../config/loadConfig';
import { ForwardingFailedError } from '../errors';
import type { EventForwarder } from '../ports/eventForwarder';
import { groupByHost } from '../ingest/groupByHost';
import { reasonOf } from './errorReason';
import type { SysmonEvent } from '../sysmon/types';

/**
 * Bounded retries: the SDK defaults (3 retries, 30 s apart, 60 s per try) kept one failed send waiting 450 s here
 * (measured with @azure/event-hubs 6.0.4, docs/architecture.md); a batch must fail fast enough to be retried by the function's policy.
 */
export const FORWARDER_RETRY_OPTIONS: RetryOptions = {
    maxRetries: 2,
    retryDelayInMs: 500,
    maxRetryDelayInMs: 4_000,
    timeoutInMs: 10_000,
};

/** The slice of `EventHubProducerClient` the forwarder uses; the real client satisfies it. */
export interface EventBatchLike {
    readonly count: number;
    tryAdd(event: { body: unknown; contentType?: string }): boolean;
}
export interface ProducerLike {
    createBatch(options: { partitionKey: string }): Promise<EventBatchLike>;
    sendBatch(batch: EventBatchLike): Promise<void>;
}

/**
 * Sends the messages with partition key = host in as few batches as the hub allows, in order. Throws
 * `ForwardingFailedError` when one message alone is larger than a batch may be; send failures propagate as thrown.
 */
export async function sendInBatches(
    producer: ProducerLike,
    host: string,
    messages: readonly { body: unknown; contentType?: string }[],
): Promise<void> {
    const tooLarge = (): ForwardingFailedError =>
        new ForwardingFailedError(`one event of host ${host} is larger than an Event Hubs batch allows`);
    let batch = await producer.createBatch({ partitionKey: host });
    for (const message of messages) {
        if (batch.tryAdd(message)) continue;
        if (batch.count === 0) throw tooLarge();
        await producer.sendBatch(batch);
        batch = await producer.createBatch({ partitionKey: host });
        if (!batch.tryAdd(message)) throw tooLarge();
    }
    if (batch.count > 0) await producer.sendBatch(batch);
}

export class EventHubEventForwarder implements EventForwarder {
    constructor(private readonly producer: ProducerLike) {}

    async forward(events: readonly SysmonEvent[]): Promise<void> {
        const groups = [...groupByHost(events)];
        await Promise.all(groups.map(([host, group]) => this.forwardHost(host, group)));
    }

    private async forwardHost(host: string, events: readonly SysmonEvent[]): Promise<void> {
        try {
            await sendInBatches(
                this.producer,
                host,
                events.map((event) => ({ body: event, contentType: 'application/json' })),
            );
        } catch (error) {
            if (error instanceof ForwardingFailedError) throw error;
            const reason = reasonOf(error);
            throw new ForwardingFailedError(`forwarding ${events.length} events of host ${host} failed: ${reason}`, {
                cause: error,
            });
        }
    }
}

/** Builds the producer from configuration: a connection string, or a namespace plus managed identity. */
export function createEventHubProducer(
    forwarding: Extract<ForwardingConfig, { mode: 'eventHub' }>,
    credential: () => TokenCredential,
): EventHubProducerClient {
    const options = { retryOptions: FORWARDER_RETRY_OPTIONS };
    const connection = forwarding.connection;
    if (connection.kind === 'connectionString') {
        return new EventHubProducerClient(connection.connectionString, forwarding.eventHubName, options);
    }
    return new EventHubProducerClient(
        connection.fullyQualifiedNamespace,
        forwarding.eventHubName,
        credential(),
        options,
    );
}
