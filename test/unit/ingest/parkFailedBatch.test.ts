/**
 * The decision taken when a batch fails: retried while the host has retries left, parked as `retries-exhausted` dead
 * letters on the last attempt, and a failed invocation (said in the log) when even parking fails.
 */
import { describe, expect, it } from 'vitest';
import { ForwardingFailedError, StorageUnavailableError } from '../../../shared/errors';
import { MAX_PARKED_RAW_CHARS } from '../../../shared/ingest/deadLetter';
import type { IngestMessage } from '../../../shared/ingest/ingestBatch';
import {
    RETRIES_EXHAUSTED,
    describeBatch,
    isFinalAttempt,
    parkFailedBatch,
    parkedLetters,
} from '../../../shared/ingest/parkFailedBatch';
import type { FailedBatch } from '../../../shared/ingest/parkFailedBatch';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import { TableDeadLetterStore } from '../../../shared/storage/table/TableDeadLetterStore';
import { closedPortClient } from '../../support/tables';

const NOW = new Date('2026-11-25T10:00:00.000Z');

function batch(count: number, partitionId = '2'): IngestMessage[] {
    return Array.from({ length: count }, (_, i) => ({
        body: `<Event n="${String(i)}"/>`,
        partitionId,
        sequenceNumber: 59 + i,
        offset: String(616008 + i * 100),
        enqueuedTime: '2026-11-25T09:59:58.000Z',
    }));
}

function recorder(): { lines: [string, string][]; log: FailedBatch['log'] } {
    const lines: [string, string][] = [];
    return {
        lines,
        log: { warn: (m: string) => lines.push(['warn', m]), error: (m: string) => lines.push(['error', m]) },
    };
}

describe('isFinalAttempt', () => {
    it('is the run whose retry count reached the maximum; never with -1; always without a retry context', () => {
        expect(isFinalAttempt({ retryCount: 0, maxRetryCount: 5 })).toBe(false);
        expect(isFinalAttempt({ retryCount: 4, maxRetryCount: 5 })).toBe(false);
        expect(isFinalAttempt({ retryCount: 5, maxRetryCount: 5 })).toBe(true);
        expect(isFinalAttempt({ retryCount: 0, maxRetryCount: 0 })).toBe(true);
        expect(isFinalAttempt({ retryCount: 1000, maxRetryCount: -1 })).toBe(false);
        expect(isFinalAttempt(undefined)).toBe(true);
    });
});

describe('describeBatch', () => {
    it('names each partition with its sequence-number range, else offsets', () => {
        expect(describeBatch([...batch(3, '2'), ...batch(1, '7')])).toBe(
            'partition 2 sequence numbers 59-61 (3 messages); partition 7 sequence numbers 59-59 (1 messages)',
        );
        expect(
            describeBatch([
                { body: 'a', partitionId: '1', offset: '10' },
                { body: 'b', partitionId: '1', offset: '20' },
            ]),
        ).toBe('partition 1 offsets 10-20 (2 messages)');
        expect(describeBatch([{ body: 'a' }])).toBe('partition ? no sequence numbers or offsets (1 messages)');
    });
});

describe('parkedLetters', () => {
    it("keeps each message whole with its coordinates and stage, under an id apart from its records' letters", () => {
        const letters = parkedLetters(
            'correlate',
            [
                { body: 'text', partitionId: '2', sequenceNumber: 59, enqueuedTime: '2026-11-25T09:59:58.000Z' },
                { body: { EventID: 1 } },
                { body: Buffer.from('ünï', 'utf8') },
                { body: Buffer.from([0xff, 0xfe]) },
            ],
            'failed on attempt 6 of 6, the last: boom',
            NOW,
            'n1',
        );
        expect(letters[0]).toStrictEqual({
            id: 'exhausted-fwd-p2-s59',
            reason: RETRIES_EXHAUSTED,
            detail: 'correlate failed on attempt 6 of 6, the last: boom',
            raw: 'text',
            rawTruncated: false,
            rawBytes: 4,
            stage: 'correlate',
            partitionId: '2',
            sequenceNumber: 59,
            enqueuedTime: '2026-11-25T09:59:58.000Z',
            messageIndex: 0,
            recordIndex: 0,
            rejectedAt: NOW.toISOString(),
        });
        expect(letters.map((l) => l.raw)).toEqual(['text', '{"EventID":1}', 'ünï', '//4=']);
        expect(letters[3]!.detail).toContain('base64');
        expect(letters[1]!.id).toMatch(/^exhausted-fwd-h[0-9a-f]{16}-t--nn1-m1$/);
        expect(new Set(letters.map((l) => l.id)).size).toBe(4);
    });

    it('cuts a message longer than MAX_PARKED_RAW_CHARS and says so', () => {
        const [letter] = parkedLetters('ingest', [{ body: 'x'.repeat(MAX_PARKED_RAW_CHARS + 1) }], 'why', NOW);
        expect(letter).toMatchObject({ rawTruncated: true, rawBytes: MAX_PARKED_RAW_CHARS + 1 });
        expect(letter!.raw).toHaveLength(MAX_PARKED_RAW_CHARS);
    });
});

describe('parkFailedBatch', () => {
    const error = new ForwardingFailedError('hub down');

    it('rethrows the error while retries remain, parking nothing', async () => {
        const deadLetters = new InMemoryDeadLetterStore();
        const { lines, log } = recorder();
        const retry = { retryCount: 2, maxRetryCount: 5 };
        const failed = { stage: 'ingest' as const, messages: batch(3), error, retry, deadLetters, now: NOW, log };
        await expect(parkFailedBatch(failed)).rejects.toBe(error);
        await expect(deadLetters.list()).resolves.toEqual([]);
        expect(lines).toEqual([
            [
                'warn',
                'ingest: attempt 3 of 6 failed on partition 2 sequence numbers 59-61 (3 messages): ForwardingFailedError (forwarding-failed): hub down; the host retries the batch',
            ],
        ]);
    });

    it('parks every message on the last attempt, logs partition and sequence range at error level, and returns', async () => {
        const deadLetters = new InMemoryDeadLetterStore();
        const { lines, log } = recorder();
        const retry = { retryCount: 5, maxRetryCount: 5 };
        const failed = { stage: 'ingest' as const, messages: batch(3), error, retry, deadLetters, now: NOW, log };
        await expect(parkFailedBatch(failed)).resolves.toEqual({ parked: 3 });
        // The host may deliver the batch again (a restart before the checkpoint): the same letters, not copies.
        await expect(parkFailedBatch(failed)).resolves.toEqual({ parked: 3 });
        const letters = await deadLetters.list();
        expect(letters.map((l) => [l.id, l.reason, l.raw, l.stage])).toEqual([
            ['exhausted-p2-s59', RETRIES_EXHAUSTED, '<Event n="0"/>', 'ingest'],
            ['exhausted-p2-s60', RETRIES_EXHAUSTED, '<Event n="1"/>', 'ingest'],
            ['exhausted-p2-s61', RETRIES_EXHAUSTED, '<Event n="2"/>', 'ingest'],
        ]);
        expect(letters[0]!.detail).toBe(
            'ingest failed on attempt 6 of 6, the last: ForwardingFailedError (forwarding-failed): hub down',
        );
        expect(lines[0]![0]).toBe('error');
        expect(lines[0]![1]).toContain('retries exhausted on partition 2 sequence numbers 59-61 (3 messages)');
        expect(lines[0]![1]).toContain('POST /api/dead-letters/reprocess?reason=retries-exhausted');
    });

    it('throws, and says the batch is lost and where it was, when parking fails too', async () => {
        const { lines, log } = recorder();
        const deadLetters = new TableDeadLetterStore(closedPortClient());
        const failed = {
            stage: 'correlate' as const,
            messages: batch(2),
            error,
            retry: undefined,
            deadLetters,
            now: NOW,
            log,
        };
        const thrown: unknown = await parkFailedBatch(failed).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(thrown).toBeInstanceOf(StorageUnavailableError);
        expect((thrown as Error).message).toContain('partition 2 sequence numbers 59-60');
        expect((thrown as Error).cause).toBeInstanceOf(StorageUnavailableError);
        expect(lines).toHaveLength(1);
        expect(lines[0]![0]).toBe('error');
        expect(lines[0]![1]).toMatch(
            /^correlate: retries exhausted and parking failed, the batch is LOST: partition 2 sequence numbers 59-60/,
        );
    });

    it('throws when there is no store to park in (the dependencies failed to load)', async () => {
        const { lines, log } = recorder();
        const failed = {
            stage: 'ingest' as const,
            messages: batch(1),
            error,
            retry: undefined,
            deadLetters: undefined,
            now: NOW,
            log,
        };
        await expect(parkFailedBatch(failed)).rejects.toBeInstanceOf(StorageUnavailableError);
        expect(lines[0]![1]).toContain('no dead-letter store');
    });
});
