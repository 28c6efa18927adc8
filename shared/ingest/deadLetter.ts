/**
 * @module Dead-letter port: where rejected events go with their raw text, reason and Event Hub coordinates,
 * so that nothing is lost silently. Implementations: `InMemoryDeadLetterStore` (tests, replay) and
 * `TableDeadLetterStore` (shared/storage/table). Both pass test/contracts/deadLetterStoreContract.ts.
 */

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

/** Which letters to list. */
export interface DeadLetterQuery {
    /** At most this many (the newest days first). */
    limit?: number;
    /** `YYYY-MM-DD`: letters of this UTC day (enqueued, else rejected) and later only. */
    sinceDay?: string;
    /** Letters with exactly this reason only. */
    reason?: string;
}

export interface DeadLetterStore {
    /** Stores the letters; idempotent by `id`. Throws `StorageUnavailableError` when the store fails. */
    putMany(letters: readonly DeadLetter[]): Promise<void>;
    /** Lists the letters, newest day (enqueued, else rejected) first, then by id; for operators and tests. */
    list(options?: DeadLetterQuery): Promise<DeadLetter[]>;
    /** Removes these letters (found by id and day); letters already gone are not an error. */
    deleteMany(letters: readonly Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>[]): Promise<void>;
}

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

/** Keeps dead letters in process memory (tests and `hollowtrace replay`). */
export class InMemoryDeadLetterStore implements DeadLetterStore {
    private readonly letters = new Map<string, DeadLetter>();

    putMany(letters: readonly DeadLetter[]): Promise<void> {
        for (const letter of letters) this.letters.set(letter.id, { ...letter });
        return Promise.resolve();
    }

    list(options?: DeadLetterQuery): Promise<DeadLetter[]> {
        // Same order as the Table store: newest day first, then by id.
        const day = deadLetterDay;
        const sinceDay = options?.sinceDay;
        const reason = options?.reason;
        const all = [...this.letters.values()]
            .filter((l) => (sinceDay === undefined || day(l) >= sinceDay) && (reason === undefined || l.reason === reason))
            .map((l) => ({ ...l }))
            .sort((a, b) => (day(a) < day(b) ? 1 : day(a) > day(b) ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return Promise.resolve(all.slice(0, options?.limit ?? all.length));
    }

    deleteMany(letters: readonly Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>[]): Promise<void> {
        for (const letter of letters) {
            // Like the Table store, which keys a letter by its day and id: the same id filed on another day stays.
            const stored = this.letters.get(letter.id);
            if (stored !== undefined && deadLetterDay(stored) === deadLetterDay(letter)) this.letters.delete(letter.id);
        }
        return Promise.resolve();
    }
}
