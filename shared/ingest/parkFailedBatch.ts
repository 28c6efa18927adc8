/**
 * @module A batch whose retries ran out is parked, not dropped.
 *
 * The Event Hubs trigger writes its checkpoint after the function completes, whether or not it threw; only a retry
 * policy re-runs a failed batch, and once its retries are spent the host moves past the batch for good
 * (learn.microsoft.com/azure/azure-functions/functions-reliable-event-processing; functions-bindings-error-pages).
 * So on the final attempt a failed batch is written to the dead-letter store, each message whole with its Event Hub
 * coordinates under reason `retries-exhausted`, where `POST /api/dead-letters/reprocess` runs it again; the invocation
 * then succeeds. Every error is parked, not only infrastructure ones: bad data never throws here, so anything else
 * that throws is a defect, and a parked batch can be run again once it is fixed, a dropped one cannot.
 * If parking fails too, the batch is lost: that is logged with where to re-read it, and the invocation fails.
 */
import { StorageUnavailableError } from '../errors';
import type { DeadLetterStore } from '../ports/deadLetterStore';
import type { Telemetry } from '../ports/telemetry';
import { batchPosition } from '../telemetry/batchPosition';
import { MAX_PARKED_RAW_CHARS } from './deadLetter';
import type { DeadLetter } from './deadLetter';
import { deadLetterIdBase, newBatchNonce } from './deadLetterId';
import type { IngestMessage } from './ingestBatch';
import { eventHubCoordinates } from './eventHubCoordinates';

/** The reason parked batches are filed under. */
export const RETRIES_EXHAUSTED = 'retries-exhausted';

/** Which stage failed: stage 1 reads raw input, stage 2 the events stage 1 forwarded; reprocessing differs. */
export type BatchStage = 'ingest' | 'correlate';

/** `InvocationContext.retryContext` as plain values: `retryCount` is 0 on the first run. */
export interface RetryState {
    retryCount: number;
    /** Retries after the first run; -1 retries forever. */
    maxRetryCount: number;
}

/** Where the trigger adapter logs; the `InvocationContext` methods fit. */
export interface FailureLog {
    warn(message: string): void;
    error(message: string): void;
}

export interface FailedBatch {
    stage: BatchStage;
    messages: readonly IngestMessage[];
    error: unknown;
    /** Absent when the host passed none. */
    retry: RetryState | undefined;
    /** Absent when the dependencies could not even be built. */
    deadLetters: DeadLetterStore | undefined;
    now: Date;
    log: FailureLog;
    /** Where the parked (or lost) batch is recorded (the app's telemetry when the dependencies could not be built). */
    telemetry?: Telemetry;
}

/** Characters of the error kept in a parked letter's detail. */
const MAX_DETAIL_CHARS = 2_000;

/**
 * Whether no retry follows this run. Without a retry context the host has no retry policy for the function, so a
 * failure is final as well; with `maxRetryCount` -1 it never is.
 */
export function isFinalAttempt(retry: RetryState | undefined): boolean {
    if (retry === undefined) return true;
    return retry.maxRetryCount >= 0 && retry.retryCount >= retry.maxRetryCount;
}

/** `attempt 6 of 6`; `the only attempt` without a retry context. */
function attemptText(retry: RetryState | undefined): string {
    if (retry === undefined) return 'the only attempt (no retry policy reached the function)';
    const total = retry.maxRetryCount < 0 ? 'unbounded' : String(retry.maxRetryCount + 1);
    return `attempt ${String(retry.retryCount + 1)} of ${total}`;
}

function errorText(error: unknown): string {
    if (error instanceof Error) {
        const code = (error as { code?: unknown }).code;
        return `${error.name}${typeof code === 'string' ? ` (${code})` : ''}: ${error.message}`;
    }
    return String(error);
}

/**
 * Where the batch sits in the hub, for the log: partitions with their sequence-number (else offset) ranges.
 * @example describeBatch([{ body: '', partitionId: '2', sequenceNumber: 59 }, { body: '', partitionId: '2', sequenceNumber: 61 }])
 * // 'partition 2 sequence numbers 59-61 (2 messages)'
 */
export function describeBatch(messages: readonly IngestMessage[]): string {
    const byPartition = new Map<string, IngestMessage[]>();
    for (const message of messages) {
        const key = message.partitionId ?? '?';
        const list = byPartition.get(key);
        if (list === undefined) byPartition.set(key, [message]);
        else list.push(message);
    }
    const parts: string[] = [];
    for (const [partition, list] of byPartition) {
        const sequences = list.flatMap((m) => (m.sequenceNumber !== undefined ? [m.sequenceNumber] : []));
        const offsets = list.flatMap((m) => (m.offset !== undefined ? [m.offset] : []));
        let range = 'no sequence numbers or offsets';
        if (sequences.length > 0) {
            const low = sequences.reduce((a, b) => Math.min(a, b));
            const high = sequences.reduce((a, b) => Math.max(a, b));
            range = `sequence numbers ${String(low)}-${String(high)}`;
        }
        if (sequences.length === 0 && offsets.length > 0)
            range = `offsets ${offsets[0] as string}-${offsets[offsets.length - 1] as string}`;
        parts.push(`partition ${partition} ${range} (${String(list.length)} messages)`);
    }
    return parts.length > 0 ? parts.join('; ') : 'an empty batch';
}

/** A message body as the text it arrived as: strings as they are, bytes as UTF-8 when they are, else base64. */
function bodyText(body: unknown): { text: string; note?: string } {
    if (typeof body === 'string') return { text: body };
    if (body instanceof Uint8Array) {
        try {
            return { text: new TextDecoder('utf-8', { fatal: true }).decode(body) };
        } catch {
            return { text: Buffer.from(body).toString('base64'), note: 'raw is base64: the body is not UTF-8' };
        }
    }
    try {
        return { text: JSON.stringify(body) ?? String(body) };
    } catch {
        return { text: String(body) };
    }
}

/** One letter per message of the failed batch, each with the whole message (up to `MAX_PARKED_RAW_CHARS`). */
export function parkedLetters(
    stage: BatchStage,
    messages: readonly IngestMessage[],
    why: string,
    now: Date,
    nonce: string = newBatchNonce(),
): DeadLetter[] {
    return messages.map((message, messageIndex) => {
        const { text, note } = bodyText(message.body);
        const base = deadLetterIdBase(message, messageIndex, () => text, nonce);
        const detail = `${stage} ${why}${note !== undefined ? `; ${note}` : ''}`;
        return {
            // Distinct from the letters of the records inside the message (`p2-s59-r0`), which a reprocess may write.
            id: `exhausted-${stage === 'correlate' ? 'fwd-' : ''}${base}`,
            reason: RETRIES_EXHAUSTED,
            detail: detail.slice(0, MAX_DETAIL_CHARS),
            raw: text.slice(0, MAX_PARKED_RAW_CHARS),
            rawTruncated: text.length > MAX_PARKED_RAW_CHARS,
            rawBytes: Buffer.byteLength(text, 'utf8'),
            stage,
            ...eventHubCoordinates(message),
            messageIndex,
            recordIndex: 0,
            rejectedAt: now.toISOString(),
        };
    });
}

/**
 * Settles a batch whose processing threw. Returns (the invocation should then succeed) only when the batch was parked.
 * @throws the processing error when retries remain; a `StorageUnavailableError` caused by the parking failure when
 * the batch could not be parked.
 */
export async function parkFailedBatch(failed: FailedBatch): Promise<{ parked: number }> {
    const { stage, messages, error, retry, log } = failed;
    const where = describeBatch(messages);
    const attempt = attemptText(retry);
    if (!isFinalAttempt(retry)) {
        log.warn(`${stage}: ${attempt} failed on ${where}: ${errorText(error)}; the host retries the batch`);
        throw error;
    }
    const why = `failed on ${attempt}, the last: ${errorText(error)}`;
    const letters = parkedLetters(stage, messages, why, failed.now);
    try {
        if (failed.deadLetters === undefined) throw new Error('no dead-letter store: the dependencies failed to load');
        await failed.deadLetters.putMany(letters);
    } catch (parkError) {
        failed.telemetry?.event('batchParked', 'error', {
            stage,
            ...batchPosition(messages),
            outcome: 'lost',
            messages: messages.length,
            error: errorText(error),
        });
        log.error(
            `${stage}: retries exhausted and parking failed, the batch is LOST: ${where}. Processing: ${errorText(error)}. ` +
                `Parking: ${errorText(parkError)}. Re-read these events from the Event Hub while it retains them.`,
        );
        throw new StorageUnavailableError(`${stage}: could not park a batch whose retries ran out (${where})`, {
            cause: parkError,
        });
    }
    const truncated = letters.filter((l) => l.rawTruncated).length;
    failed.telemetry?.event('batchParked', 'error', {
        stage,
        ...batchPosition(messages),
        outcome: 'parked',
        messages: letters.length,
        truncated,
        error: errorText(error),
    });
    log.error(
        `${stage}: retries exhausted on ${where}: ${errorText(error)}. Parked ${String(letters.length)} messages as dead ` +
            `letters (reason ${RETRIES_EXHAUSTED}); run them again with POST /api/dead-letters/reprocess?reason=${RETRIES_EXHAUSTED}` +
            (truncated > 0
                ? `. ${String(truncated)} were longer than ${String(MAX_PARKED_RAW_CHARS)} characters and kept cut: re-read those from the Event Hub`
                : ''),
    );
    return { parked: letters.length };
}
