/**
 * @module Stage 1 again, for inputs it rejected before: after a limit was raised (`HOLLOWTRACE_MAX_MESSAGE_BYTES`,
 * `HOLLOWTRACE_MAX_NESTING`) or an upgrade taught ingestion a new shape, an operator re-reads the dead letters so
 * their events reach correlation after all.
 *
 * Each letter's raw text goes through the same core as a delivered batch, with the letter's Event Hub coordinates.
 * Then, in this order, so that an infrastructure failure loses nothing and a re-run is harmless: what is still
 * rejected is written back (under the letter's own id when it is one rejection again, so it replaces itself),
 * the events correlation needs are forwarded (correlation is idempotent by event identity), and only then are the
 * letters that are resolved deleted.
 *
 * Parked batches (reason `retries-exhausted`, see parkFailedBatch.ts) come back the same way: a stage 1 message is
 * ingested again; a stage 2 message holds a forwarded event, which is checked as stage 2 checks it and handed to
 * correlation again (through the forwarder: the correlation hub, or the correlator itself in inline mode).
 */
import { deadLetterCursor, pageMayContinue } from './deadLetter';
import type { DeadLetter } from './deadLetter';
import type { DeadLetterQuery } from '../ports/deadLetterStore';
import { decodeForwardedBatch } from '../correlate/forwardedEvents';
import { ingestBatch } from './ingestBatch';
import type { IngestMessage } from './ingestBatch';
import type { IngestDependencies } from './ingestService';
import { RETRIES_EXHAUSTED } from './parkFailedBatch';
import { eventHubCoordinates } from './eventHubCoordinates';

/** Reasons whose `raw` is not an input stage 1 could read now, and why. */
const NOT_REPROCESSABLE: ReadonlyMap<string, string> = new Map([
    ['invalid-utf8', 'its raw is base64 of bytes that are not UTF-8; no setting changes that'],
    ['unreadable-record', 'its raw is base64 of a damaged EVTX record'],
    ['empty-message', 'the message had nothing to read'],
    ['invalid-forwarded-event', 'stage 2 rejected it: it is not stage 1 input'],
]);

export interface ReprocessOutcome {
    /** Letters read from the store. */
    examined: number;
    /** Letters whose input now reads without a rejection: deleted, their events forwarded. */
    resolved: number;
    /** Letters whose input is rejected again: written back with the reason it has now. */
    stillRejected: number;
    /** Letters that cannot be read again, each with why (kept as they are). */
    skipped: { id: string; why: string }[];
    /** Events handed to correlation. */
    forwarded: number;
    /** When more letters may follow (`limit` examined, or the raw-text budget reached): pass it as `after`. */
    next?: string;
}

function whyNotReprocessable(letter: DeadLetter): string | undefined {
    if (letter.rawTruncated)
        return `its raw text was cut at ${letter.raw.length} characters of ${letter.rawBytes} bytes; re-read it from the Event Hub (partition ${letter.partitionId ?? '?'}, sequence number ${letter.sequenceNumber ?? '?'})`;
    const why = NOT_REPROCESSABLE.get(letter.reason);
    return why === undefined ? undefined : `${letter.reason}: ${why}`;
}

/** A letter's raw text as the message it was, with its Event Hub coordinates. */
function messageOf(letter: DeadLetter): IngestMessage {
    return {
        body: letter.raw,
        ...eventHubCoordinates(letter),
    };
}

/**
 * The letters to write back for `letters` read again (`rejections` indexed by their position in `letters`): one
 * rejection again replaces its letter under the letter's own id and place; several, or those of a parked message, are
 * written as they come.
 */
function rewrite(letters: readonly DeadLetter[], rejections: readonly DeadLetter[]): DeadLetter[] {
    const rejectionsOf = new Map<number, DeadLetter[]>();
    for (const rejection of rejections) {
        const list = rejectionsOf.get(rejection.messageIndex) ?? [];
        list.push(rejection);
        rejectionsOf.set(rejection.messageIndex, list);
    }
    const rewritten: DeadLetter[] = [];
    letters.forEach((letter, messageIndex) => {
        const again = rejectionsOf.get(messageIndex) ?? [];
        // A parked message is a whole message, not one rejection: what it holds now is filed under the ids the stage
        // gives it (the same as a first delivery would have written, when it has coordinates), and the parked letter goes.
        if (again.length === 1 && letter.reason !== RETRIES_EXHAUSTED)
            rewritten.push({
                ...(again[0] as DeadLetter),
                id: letter.id,
                messageIndex: letter.messageIndex,
                recordIndex: letter.recordIndex,
            });
        else rewritten.push(...again);
    });
    return rewritten;
}

/**
 * Re-ingests the letters `query` selects (`limit` bounds one call; call again with `after` = the outcome's `next`).
 * @throws StorageUnavailableError / ForwardingFailedError as stage 1 does; then nothing was deleted.
 */
export async function reprocessDeadLetters(
    query: DeadLetterQuery,
    deps: IngestDependencies,
    now: Date,
): Promise<ReprocessOutcome> {
    const letters = await deps.deadLetters.list(query);
    const skipped: ReprocessOutcome['skipped'] = [];
    const candidates: DeadLetter[] = [];
    for (const letter of letters) {
        const why = whyNotReprocessable(letter);
        if (why === undefined) candidates.push(letter);
        else skipped.push({ id: letter.id, why });
    }
    // Letters of a stage 2 batch whose retries ran out hold forwarded events: they go to correlation again, the others
    // through stage 1.
    const ingestLetters = candidates.filter((letter) => letter.stage !== 'correlate');
    const correlateLetters = candidates.filter((letter) => letter.stage === 'correlate');
    const result = ingestBatch(ingestLetters.map(messageOf), now, deps.limits);
    const decoded = decodeForwardedBatch(correlateLetters.map(messageOf), now);

    const rewritten = [
        ...rewrite(ingestLetters, result.deadLetters),
        ...rewrite(correlateLetters, decoded.deadLetters),
    ];
    // Every read letter that was not rewritten in place goes: resolved, split into several, or filed under another day
    // (a letter without an enqueued time is filed by its rejection day, which is today's now).
    const rewrittenKeys = new Set(rewritten.map(deadLetterCursor));
    const superseded = candidates.filter((letter) => !rewrittenKeys.has(deadLetterCursor(letter)));

    if (rewritten.length > 0) await deps.deadLetters.putMany(rewritten);
    // Stage 2 events were chosen by stage 1 already.
    const forward = [...(deps.needed ? result.events.filter(deps.needed) : result.events), ...decoded.events];
    if (forward.length > 0) await deps.forwarder.forward(forward);
    await deps.deadLetters.deleteMany(superseded);

    const stillRejected =
        new Set(result.deadLetters.map((l) => l.messageIndex)).size +
        new Set(decoded.deadLetters.map((l) => l.messageIndex)).size;
    const last = letters[letters.length - 1];
    // Letters kept (skipped, still rejected) keep their place, so paging on moves past them instead of re-reading them.
    const next = last !== undefined && pageMayContinue(letters, query) ? deadLetterCursor(last) : undefined;
    return {
        examined: letters.length,
        resolved: candidates.length - stillRejected,
        stillRejected,
        skipped,
        forwarded: forward.length,
        ...(next !== undefined && { next }),
    };
}
