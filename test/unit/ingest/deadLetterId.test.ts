/**
 * Dead-letter ids in stage 1 and stage 2: unique across batches whatever the trigger metadata holds, and stable (a
 * retried batch overwrites its own letters) when the message's place in the hub is known.
 */
import { describe, expect, it } from 'vitest';
import { decodeForwardedBatch } from '../../../shared/correlate/forwardedEvents';
import { deadLetterIdBase } from '../../../shared/ingest/deadLetterId';
import { ingestBatch } from '../../../shared/ingest/ingestBatch';
import type { IngestMessage } from '../../../shared/ingest/ingestBatch';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';

const NOW = new Date('2026-11-25T10:00:00Z');
const BROKEN_XML = '<Event><System><EventID>8</EventID>';
const BROKEN_JSON = '{"EventID": 8, "Computer": ';

async function storedAfter(batches: readonly (readonly unknown[])[], decode: 'ingest' | 'forwarded'): Promise<number> {
    const store = new InMemoryDeadLetterStore();
    for (const batch of batches) {
        const letters =
            decode === 'ingest'
                ? ingestBatch(batch as IngestMessage[], NOW).deadLetters
                : decodeForwardedBatch(batch as IngestMessage[], NOW).deadLetters;
        expect(letters.length).toBeGreaterThan(0);
        await store.putMany(letters);
    }
    return (await store.list()).length;
}

describe('dead-letter ids', () => {
    // On the main this branch started from, both became `p0-m0-r0` (stage 1) or `fwd-p0-m0` (stage 2): one overwrote the other.
    it('stage 1: letters of different batches without sequence numbers do not collide', async () => {
        const first = [{ body: BROKEN_XML, partitionId: '0' }];
        const second = [{ body: BROKEN_JSON, partitionId: '0' }];
        await expect(storedAfter([first, second], 'ingest')).resolves.toBe(2);
    });

    it('stage 1: even equal content at the same enqueued time in two batches gives two letters', async () => {
        const batch = [{ body: BROKEN_XML, enqueuedTime: '2026-11-25T09:59:00.000Z' }];
        await expect(storedAfter([batch, batch], 'ingest')).resolves.toBe(2);
    });

    it('stage 2: letters of different batches without sequence numbers do not collide', async () => {
        const first = [{ body: 'not json', partitionId: '0' }];
        const second = [{ body: '{"eventId": 1}', partitionId: '0' }];
        await expect(storedAfter([first, second], 'forwarded')).resolves.toBe(2);
        const same = [{ body: 'not json' }];
        await expect(storedAfter([same, same], 'forwarded')).resolves.toBe(2);
    });

    it('a retried batch with partition and sequence number (or offset) overwrites its own letters, in both stages', async () => {
        const bySequence = [
            { body: BROKEN_XML, partitionId: '3', sequenceNumber: 41 },
            { body: BROKEN_JSON, partitionId: '3', sequenceNumber: 42 },
        ];
        const byOffset = [{ body: BROKEN_XML, partitionId: '3', offset: '616008' }];
        await expect(storedAfter([bySequence, bySequence, byOffset, byOffset], 'ingest')).resolves.toBe(3);
        await expect(storedAfter([bySequence, bySequence, byOffset, byOffset], 'forwarded')).resolves.toBe(3);
        expect(ingestBatch(bySequence, NOW).deadLetters.map((l) => l.id)).toEqual(['p3-s41-r0', 'p3-s42-r0']);
        expect(decodeForwardedBatch(byOffset, NOW).deadLetters.map((l) => l.id)).toEqual(['fwd-p3-o616008']);
    });

    it('a sequence number without a partition is not a place in the hub (sequence numbers are per partition)', () => {
        const a = deadLetterIdBase({ sequenceNumber: 7 }, 0, () => 'x', 'n1');
        const b = deadLetterIdBase({ sequenceNumber: 7 }, 0, () => 'x', 'n2');
        expect(a).not.toBe(b);
    });

    it('without coordinates: content hash, enqueued time, nonce and index in the batch', () => {
        const id = deadLetterIdBase({ enqueuedTime: '2026-11-25T09:59:00.000Z' }, 4, () => 'abc', 'n1');
        expect(id).toMatch(/^h[0-9a-f]{16}-t1795600740000-nn1-m4$/);
        expect(deadLetterIdBase({}, 4, () => 'abd', 'n1')).not.toBe(deadLetterIdBase({}, 4, () => 'abc', 'n1'));
        expect(deadLetterIdBase({}, 0, () => 'abc', 'n1')).toMatch(/-t--nn1-m0$/);
        // Within one batch (one nonce), equal content in two messages stays apart by index.
        expect(deadLetterIdBase({}, 0, () => 'abc', 'n1')).not.toBe(deadLetterIdBase({}, 1, () => 'abc', 'n1'));
    });
});
