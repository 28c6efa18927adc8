/**
 * @module Dead letters: a rejected input with its raw text, reason and Event Hub coordinates, so that nothing is lost
 * silently; the day a letter is filed under and the one listing order every store shares. The stores themselves sit
 * behind the `DeadLetterStore` port (shared/ports/deadLetterStore.ts).
 */
import type { DeadLetterQuery } from '../ports/deadLetterStore';

/**
 * One rejected input, as stored. `raw` is bounded by the producer: `MAX_DEAD_LETTER_RAW_CHARS` for rejected records,
 * `MAX_PARKED_RAW_CHARS` for parked messages, which is what every store must hold.
 */
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
    /**
     * Set on parked batches (reason `retries-exhausted`): the stage whose retries ran out, so reprocessing re-ingests a
     * stage 1 message and re-correlates the events of a stage 2 one.
     */
    stage?: 'ingest' | 'correlate';
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

/**
 * Raw text kept of a parked message (a whole Event Hub message whose batch ran out of retries), so that it can be
 * run again: stores split it over properties (Table: up to 14 of 30,000 characters; 400,000 leaves room for the parts
 * a surrogate pair shortens, and is ~800 KiB of UTF-16 in a 1 MiB entity).
 * Longer messages are kept cut, with the coordinates to re-read them from the hub.
 */
export const MAX_PARKED_RAW_CHARS = 400_000;

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

/** A cursor split into its day and id. */
export function parseDeadLetterCursor(cursor: string): { day: string; id: string } {
    const slash = cursor.indexOf('/');
    return { day: cursor.slice(0, slash), id: cursor.slice(slash + 1) };
}

/**
 * Characters Table keys forbid: `/`, `\`, `#`, `?`, U+0000–U+001F and U+007F–U+009F
 * (learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model), plus `%`, the escape.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the service forbids
const KEY_UNSAFE = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;

/**
 * The id as stores key it: each character a Table key forbids (and `%`) becomes `%XX`. Letters of a day list in
 * ascending order of this key, which is the order Table Storage returns rows in, so a store can page on the service.
 */
export function deadLetterKey(id: string): string {
    return id.replace(KEY_UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Listing order: newest day first, then ascending `deadLetterKey`. Negative when `a` lists before `b`. */
export function compareListingOrder(a: { day: string; key: string }, b: { day: string; key: string }): number {
    if (a.day !== b.day) return a.day < b.day ? 1 : -1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Listing order and paging, the same for every store: newest day first, then by key; then what comes after the
 * query's cursor, up to its limit. Stores filter by day and reason first.
 */
export function orderAndPage(letters: readonly DeadLetter[], query: DeadLetterQuery | undefined): DeadLetter[] {
    const keyed = letters.map((letter) => ({ letter, day: deadLetterDay(letter), key: deadLetterKey(letter.id) }));
    keyed.sort(compareListingOrder);
    let from = 0;
    if (query?.after !== undefined) {
        const { day, id } = parseDeadLetterCursor(query.after);
        const cursor = { day, key: deadLetterKey(id) };
        const next = keyed.findIndex((k) => compareListingOrder(k, cursor) > 0);
        from = next === -1 ? keyed.length : next;
    }
    const limit = Math.max(0, query?.limit ?? keyed.length);
    const page = keyed.slice(from, from + limit).map((k) => k.letter);
    return page.slice(
        0,
        withinRawBudget(
            page.map((l) => l.raw.length),
            query?.maxRawChars,
        ),
    );
}

/** How many of a page's letters (their raw lengths, in order) fit `maxRawChars`: one at least. */
export function withinRawBudget(rawChars: readonly number[], maxRawChars: number | undefined): number {
    if (maxRawChars === undefined) return rawChars.length;
    let total = 0;
    for (let i = 0; i < rawChars.length; i++) {
        total += rawChars[i] as number;
        if (total > maxRawChars && i > 0) return i;
    }
    return rawChars.length;
}

/**
 * Whether letters may follow `page` (so the answer gives a cursor): it holds `limit` letters, or its raw text comes
 * so close to `maxRawChars` that the next letter may have been left out for it. May say yes when nothing follows;
 * the next page is then empty.
 */
export function pageMayContinue(page: readonly DeadLetter[], query: DeadLetterQuery): boolean {
    if (page.length === 0) return false;
    if (page.length === query.limit) return true;
    if (query.maxRawChars === undefined) return false;
    const total = page.reduce((sum, letter) => sum + letter.raw.length, 0);
    return total > query.maxRawChars - MAX_PARKED_RAW_CHARS;
}
