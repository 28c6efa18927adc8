/**
 * @module Reads the Event Hubs trigger metadata the Functions host passes with a `cardinality: 'many'` batch.
 *
 * The Node worker camel-cases the host's keys: `partitionContext.partitionId`, `sequenceNumberArray`,
 * `offsetArray`, `enqueuedTimeUtcArray`, index-aligned with the messages (`fromRpcTriggerMetadata` in
 * azure-functions-nodejs-library; docs/architecture.md, "Event Hubs trigger input"). Formats vary by extension version (offsets as numbers or strings, times with or without
 * a zone), so everything is read defensively and a missing array simply leaves the coordinate out.
 */
import type { IngestMessage } from './ingestBatch';

function asRecord(value: unknown): Record<string, unknown> | undefined {
    return value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
}

function arrayAt(metadata: Record<string, unknown>, key: string, index: number): unknown {
    const array = metadata[key];
    return Array.isArray(array) ? (array[index] as unknown) : undefined;
}

/** The capture had no zone suffix on enqueued times; they are UTC (docs/architecture.md). */
function normalizeEnqueuedTime(value: unknown): string | undefined {
    let text: string | undefined;
    if (value instanceof Date) text = value.toISOString();
    else if (typeof value === 'string' && value.trim() !== '') text = value.trim();
    if (text === undefined) return undefined;
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text);
    const parsed = Date.parse(hasZone ? text : `${text}Z`);
    return Number.isNaN(parsed) ? text : new Date(parsed).toISOString();
}

/**
 * Pairs each delivered message with its Event Hub coordinates.
 * @example withTriggerCoordinates(['a'], { partitionContext: { partitionId: '2' }, sequenceNumberArray: [59] })
 * // [{ body: 'a', partitionId: '2', sequenceNumber: 59 }]
 */
export function withTriggerCoordinates(messages: readonly unknown[], triggerMetadata: unknown): IngestMessage[] {
    const metadata = asRecord(triggerMetadata) ?? {};
    const partitionId = asRecord(metadata.partitionContext)?.partitionId;
    return messages.map((body, index) => {
        const message: IngestMessage = { body };
        if (typeof partitionId === 'string' || typeof partitionId === 'number')
            message.partitionId = String(partitionId);
        const sequence = arrayAt(metadata, 'sequenceNumberArray', index);
        const sequenceNumber = typeof sequence === 'string' ? Number(sequence) : sequence;
        if (typeof sequenceNumber === 'number' && Number.isSafeInteger(sequenceNumber))
            message.sequenceNumber = sequenceNumber;
        const offset = arrayAt(metadata, 'offsetArray', index);
        if (typeof offset === 'string' || typeof offset === 'number') message.offset = String(offset);
        const enqueuedTime = normalizeEnqueuedTime(arrayAt(metadata, 'enqueuedTimeUtcArray', index));
        if (enqueuedTime !== undefined) message.enqueuedTime = enqueuedTime;
        return message;
    });
}
