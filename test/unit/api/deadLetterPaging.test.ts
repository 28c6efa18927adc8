/**
 * Paging of GET /api/dead-letters and POST /api/dead-letters/reprocess over parked messages: a page keeps its raw text
 * within MAX_DEAD_LETTER_PAGE_RAW_CHARS and still hands a cursor on, so every letter is reached.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DEAD_LETTER_PAGE_RAW_CHARS } from '../../../shared/api/deadLetterQuery';
import { listDeadLetters } from '../../../shared/api/listDeadLetters';
import { reprocessDeadLettersRequest } from '../../../shared/api/reprocessDeadLettersRequest';
import { MAX_PARKED_RAW_CHARS } from '../../../shared/ingest/deadLetter';
import type { DeadLetter } from '../../../shared/ingest/deadLetter';
import { DEFAULT_INGEST_LIMITS } from '../../../shared/ingest/ingestBatch';
import { parkedLetters } from '../../../shared/ingest/parkFailedBatch';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryEventForwarder } from '../../../shared/ports/InMemoryEventForwarder';

const NOW = new Date('2026-11-25T12:00:00.000Z');

/** Parked stage 1 messages of the largest size kept: padding around no event, so stage 1 rejects them again. */
async function storeWithParked(count: number): Promise<InMemoryDeadLetterStore> {
    const store = new InMemoryDeadLetterStore();
    const messages = Array.from({ length: count }, (_, i) => ({
        body: `${String(i).padStart(4, '0')}${' '.repeat(MAX_PARKED_RAW_CHARS - 4)}`,
        partitionId: '1',
        sequenceNumber: 100 + i,
        enqueuedTime: '2026-11-25T11:00:00.000Z',
    }));
    await store.putMany(parkedLetters('ingest', messages, 'failed', NOW));
    return store;
}

describe('dead-letter paging over large letters', () => {
    it('GET ends a page at the raw-text budget and gives next until every letter was listed', async () => {
        const store = await storeWithParked(25);
        const seen: string[] = [];
        let after: string | null = null;
        for (let page = 0; page < 10; page++) {
            const params = new URLSearchParams({ limit: '500', ...(after !== null && { after }) });
            const result = await listDeadLetters(params, { deadLetters: store }, NOW);
            const body = JSON.parse(result.body) as { deadLetters: DeadLetter[]; next: string | null };
            const chars = body.deadLetters.reduce((sum, l) => sum + l.raw.length, 0);
            expect(chars).toBeLessThanOrEqual(MAX_DEAD_LETTER_PAGE_RAW_CHARS);
            seen.push(...body.deadLetters.map((l) => l.id));
            after = body.next;
            if (after === null) break;
        }
        expect(after).toBeNull();
        expect(seen).toHaveLength(25);
        expect(new Set(seen).size).toBe(25);
    });

    it('reprocess pages the same way: every parked letter examined once', async () => {
        const store = await storeWithParked(25);
        let examined = 0;
        let after: string | null = null;
        for (let page = 0; page < 10; page++) {
            const params = new URLSearchParams({ reason: 'retries-exhausted', ...(after !== null && { after }) });
            const result = await reprocessDeadLettersRequest(
                params,
                { deadLetters: store, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS },
                NOW,
            );
            const body = JSON.parse(result.body) as { examined: number; next: string | null };
            examined += body.examined;
            after = body.next;
            if (after === null) break;
        }
        expect(examined).toBe(25);
    });
});
