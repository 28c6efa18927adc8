import type { DeadLetter } from '../ingest/deadLetter';
import { deadLetterCursor, deadLetterDay, orderAndPage } from '../ingest/deadLetter';
import type { DeadLetterQuery, DeadLetterStore } from './deadLetterStore';

/** Keeps dead letters in process memory (tests and `hollowtrace replay`). */
export class InMemoryDeadLetterStore implements DeadLetterStore {
    /** By `deadLetterCursor`: day and id. */
    private readonly letters = new Map<string, DeadLetter>();

    putMany(letters: readonly DeadLetter[]): Promise<void> {
        // Keyed by day and id, as the Table store keys its entities.
        for (const letter of letters) this.letters.set(deadLetterCursor(letter), { ...letter });
        return Promise.resolve();
    }

    list(options?: DeadLetterQuery): Promise<DeadLetter[]> {
        const sinceDay = options?.sinceDay;
        const reason = options?.reason;
        const selected = [...this.letters.values()]
            .filter(
                (l) =>
                    (sinceDay === undefined || deadLetterDay(l) >= sinceDay) &&
                    (reason === undefined || l.reason === reason),
            )
            .map((l) => ({ ...l }));
        return Promise.resolve(orderAndPage(selected, options));
    }

    deleteMany(letters: readonly Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>[]): Promise<void> {
        for (const letter of letters) this.letters.delete(deadLetterCursor(letter));
        return Promise.resolve();
    }
}
