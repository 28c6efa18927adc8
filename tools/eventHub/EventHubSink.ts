/**
 * @module Event Hubs adapter of the simulator's `EventSink` port: JSON lines go out as raw UTF-8 bodies (what
 * Logstash, Cribl or NXLog send, and what the ingest trigger reads with `dataType: 'string'`), one `EventDataBatch`
 * per host with partition key = host, so each host's events stay in order on one partition.
 */
import { reasonOf } from '../../shared/clients/errorReason';
import { EventHubProducerClient } from '@azure/event-hubs';
import type { RetryOptions } from '@azure/event-hubs';
import { ConfigurationError, ForwardingFailedError } from '../../shared/errors';
import type { EventSink } from '../simulate/output';
import { FORWARDER_RETRY_OPTIONS, sendInBatches } from '../../shared/clients/EventHubEventForwarder';
import type { ProducerLike } from '../../shared/clients/EventHubEventForwarder';

/**
 * The forwarder's bounded retries (2 retries, 0.5-4 s apart, 10 s per try): the SDK defaults kept one failed send
 * waiting 450 s (measured with @azure/event-hubs 6.0.4; docs/architecture.md).
 */
export const EVENT_SINK_RETRY_OPTIONS: RetryOptions = FORWARDER_RETRY_OPTIONS;

const COMPUTER_KEY = '"Computer":"';

/**
 * The host of a flat JSON line: `Computer`, read without parsing the line when it is written plainly (the
 * simulator's lines always are), else parsed; `''` when the line names none.
 */
export function hostOfLine(line: string): string {
    const at = line.indexOf(COMPUTER_KEY);
    if (at !== -1) {
        const from = at + COMPUTER_KEY.length;
        const to = line.indexOf('"', from);
        const host = to === -1 ? '' : line.slice(from, to);
        if (!host.includes('\\')) return host;
    }
    try {
        const parsed: unknown = JSON.parse(line);
        const computer =
            parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).Computer : undefined;
        return typeof computer === 'string' ? computer : '';
    } catch {
        return '';
    }
}

/** Sends batches of lines grouped by host (partition key = host, lower case, as the forwarder keys stage 2). */
export class EventHubSink implements EventSink {
    constructor(private readonly producer: ProducerLike) {}

    async send(lines: string[]): Promise<void> {
        const groups = new Map<string, string[]>();
        for (const line of lines) {
            const host = hostOfLine(line).toLowerCase();
            const group = groups.get(host);
            if (group) group.push(line);
            else groups.set(host, [line]);
        }
        await Promise.all([...groups].map(([host, group]) => this.sendHost(host, group)));
    }

    private async sendHost(host: string, lines: readonly string[]): Promise<void> {
        try {
            await sendInBatches(
                this.producer,
                host,
                lines.map((line) => ({ body: Buffer.from(line, 'utf8'), contentType: 'application/json' })),
            );
        } catch (error) {
            if (error instanceof ForwardingFailedError) throw error;
            throw new ForwardingFailedError(
                `sending ${lines.length} events of host ${host || '(none)'} to Event Hubs failed: ${reasonOf(error)}`,
                { cause: error },
            );
        }
    }
}

/** A sink and the client behind it; `close` releases the AMQP connection. */
export interface EventHubSinkHandle {
    sink: EventHubSink;
    close(): Promise<void>;
}

/**
 * Builds the sink from a connection string; the hub name comes from `eventHubName` or the string's `EntityPath`.
 * Throws `ConfigurationError` when neither names a hub or the string cannot be read.
 */
export function createEventHubSink(
    connectionString: string,
    eventHubName?: string,
    retryOptions: RetryOptions = EVENT_SINK_RETRY_OPTIONS,
): EventHubSinkHandle {
    let producer: EventHubProducerClient;
    try {
        producer = eventHubName
            ? new EventHubProducerClient(connectionString, eventHubName, { retryOptions })
            : new EventHubProducerClient(connectionString, { retryOptions });
    } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ConfigurationError(
            `cannot use the Event Hubs connection string${eventHubName ? ` with hub ${eventHubName}` : ''}: ${reason}`,
            { cause: error },
        );
    }
    return { sink: new EventHubSink(producer), close: () => producer.close() };
}
