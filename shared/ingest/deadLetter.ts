/**
 * @module Dead letters: a rejected input with its raw text, reason and Event Hub coordinates, so that nothing is lost
 * silently; the day a letter is filed under and the one listing order every store shares. The stores themselves sit
 * behind the `DeadLetterStore` port (shared/ports/deadLetterStore.ts).
 */
import type { DeadLetterQuery } from '../ports/deadLetterStore';

/** One rejected input, as stored. `raw` is bounded by the producer (see `MAX_DEAD_LETTER_RAW_CHARS`). */
export interface DeadLetter {
    /** Stable identity: the same input in a replayed batch maps to the same id, so a retry does not duplicate. */
    id: string;
    reason: string;
    detail: string;
    raw: string;
    rawTruncated: boolean;
    /** Bytes (UTF-8) of the whole rejected input, before truncation. */
    rawBytes: number;
    partitionId?: string;
    sequenceNumber?: number;
    offset?: string;
    enqueuedTime?: string;
    messageIndex: number;
    recordIndex: number;
    /** ISO time the rejection was recorded. */
    rejectedAt: string;
}

/**
 * Raw text kept per dead letter. A Table Storage string property holds at most 64 KiB, i.e. 32 Ki UTF-16
 * characters (learn.microsoft.com "Understanding the Table service data model", property types).
 */
export const MAX_DEAD_LETTER_RAW_CHARS = 30_000;

/** The day of a letter whose time does not parse: it sorts before every real day, so such letters list last. */
export const UNKNOWN_DEAD_LETTER_DAY = '0000-00-00';

/**
 * The UTC day (`YYYY-MM-DD`) a letter is filed under: its enqueued time's, else its rejection's. Stores partition and
 * order by it; the enqueued day is fixed for a given input, so a batch retried after midnight overwrites its letters.
 */
export function deadLetterDay(letter: Pick<DeadLetter, 'enqueuedTime' | 'rejectedAt'>): string {
    const ms = Date.parse(letter.enqueuedTime ?? letter.rejectedAt);
    return Number.isNaN(ms) ? UNKNOWN_DEAD_LETTER_DAY : new Date(ms).toISOString().slice(0, 10);
}

/** Where a letter stands in listing order, for `DeadLetterQuery.after`: its day, then its id. */
export function deadLetterCursor(letter: Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>): string {
    return `${deadLetterDay(letter)}/${letter.id}`;
}

/**
 * Listing order and paging, the same for every store: newest day first, then by id; then what comes after the
 * query's cursor, up to its limit. Stores filter by day and reason first (the Table store on the service).
 */
export function orderAndPage(letters: readonly DeadLetter[], query: DeadLetterQuery | undefined): DeadLetter[] {
    const keyed = letters.map((letter) => ({ letter, day: deadLetterDay(letter) }));
    keyed.sort((a, b) =>
        a.day < b.day ? 1 : a.day > b.day ? -1 : a.letter.id < b.letter.id ? -1 : a.letter.id > b.letter.id ? 1 : 0,
    );
    let from = 0;
    if (query?.after !== undefined) {
        const slash = query.after.indexOf('/');
        const day = query.after.slice(0, slash);
        const id = query.after.slice(slash + 1);
        // The first letter that sorts after the cursor: an older day, or the same day and a greater id.
        const next = keyed.findIndex((k) => k.day < day || (k.day === day && k.letter.id > id));
        from = next === -1 ? keyed.length : next;
    }
    const limit = Math.max(0, query?.limit ?? keyed.length);
    return keyed.slice(from, from + limit).map((k) => k.letter);
}
