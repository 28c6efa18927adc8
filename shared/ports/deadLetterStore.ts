/**
 * @module Dead-letter-store port: where rejected inputs (`DeadLetter`, shared/ingest/deadLetter.ts) are kept for
 * operators. Implementations: `InMemoryDeadLetterStore` (beside this file; tests, replay) and `TableDeadLetterStore`
 * (shared/storage/table). Both pass test/contracts/deadLetterStoreContract.ts.
 */
import type { DeadLetter } from '../ingest/deadLetter';

/** Which letters to list. */
export interface DeadLetterQuery {
    /** At most this many (the newest days first). */
    limit?: number;
    /** `YYYY-MM-DD`: letters of this UTC day (enqueued, else rejected) and later only. */
    sinceDay?: string;
    /** Letters with exactly this reason only. */
    reason?: string;
    /** Letters after this one in listing order only (`deadLetterCursor` of the last letter of the previous page). */
    after?: string;
    /**
     * The page ends before the letter whose raw text would bring the page's total past this many characters (it
     * holds one letter at least): parked messages carry up to `MAX_PARKED_RAW_CHARS` each. See `pageMayContinue`.
     */
    maxRawChars?: number;
}

export interface DeadLetterStore {
    /** Stores the letters; idempotent by `id`. Throws `StorageUnavailableError` when the store fails. */
    putMany(letters: readonly DeadLetter[]): Promise<void>;
    /** Lists the letters, newest day (enqueued, else rejected) first, then by id; for operators and tests. */
    list(options?: DeadLetterQuery): Promise<DeadLetter[]>;
    /** Removes these letters (found by id and day); letters already gone are not an error. */
    deleteMany(letters: readonly Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>[]): Promise<void>;
}
