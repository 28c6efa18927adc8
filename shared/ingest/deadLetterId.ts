/**
 * @module Dead-letter ids: unique whatever the trigger metadata holds, and stable where the input has a fixed place.
 *
 * An Event Hub message is identified by its partition and sequence number (or offset) (learn.microsoft.com, "Event
 * Hubs features", event retention and offsets). When both are known, the id is built from them alone, so a retried
 * batch overwrites its own letters. When they are not (metadata without sequence arrays, a file replay), the batch
 * index alone would collide with the letters of every other batch of the day: the id then carries a hash of the
 * content, the enqueued time and a random per-batch nonce instead. Such letters are not idempotent across retries;
 * a duplicate is preferable to a letter overwritten by an unrelated one.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The Event Hub coordinates a letter may carry. */
export interface HubCoordinates {
    partitionId?: string;
    sequenceNumber?: number;
    offset?: string;
    enqueuedTime?: string;
}

/** A fresh random nonce for one batch: 48 bits, so two batches with equal content and time do not meet. */
export function newBatchNonce(): string {
    return randomBytes(6).toString('hex');
}

/**
 * `p<partition>-s<sequence>` (else `-o<offset>`) when the message's place in the hub is known; otherwise
 * `h<content hash>-t<enqueued ms, or ->-n<nonce>-m<index in batch>`. Callers append what tells records of one message
 * apart.
 * @example deadLetterIdBase({ partitionId: '2', sequenceNumber: 59 }, 0, () => 'x', 'ab12') // 'p2-s59'
 */
export function deadLetterIdBase(
    coordinates: HubCoordinates,
    messageIndex: number,
    content: () => string,
    nonce: string,
): string {
    const { partitionId, sequenceNumber, offset } = coordinates;
    if (partitionId !== undefined) {
        if (sequenceNumber !== undefined) return `p${partitionId}-s${sequenceNumber}`;
        if (offset !== undefined) return `p${partitionId}-o${offset}`;
    }
    const hash = createHash('sha256').update(content(), 'utf8').digest('hex').slice(0, 16);
    const enqueuedMs = coordinates.enqueuedTime === undefined ? NaN : Date.parse(coordinates.enqueuedTime);
    const time = Number.isNaN(enqueuedMs) ? '-' : String(enqueuedMs);
    return `h${hash}-t${time}-n${nonce}-m${messageIndex}`;
}
