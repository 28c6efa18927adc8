/**
 * A broken file never loses the run (issue 15, "A CLI that never loses a run"): a truncated or empty `.gz`, a file
 * that is not gzip, a line longer than the message limit and a FIFO are each named and counted (or skipped), and the
 * files around them are replayed in full.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../../shared/correlate/config';
import { DEFAULT_INGEST_LIMITS } from '../../../../shared/ingest/ingestBatch';
import { InMemoryDeadLetterStore } from '../../../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryHostStateStore } from '../../../../shared/ports/InMemoryHostStateStore';
import { InMemoryIncidentStore } from '../../../../shared/ports/InMemoryIncidentStore';
import { lineChunks, readRecordingBatches } from '../../../../tools/replay/recordingReader';
import type { OversizeLine } from '../../../../tools/replay/recordingReader';
import { replayRecordings } from '../../../../tools/replay/replay';
import { replayInMemory } from '../../../helpers/replayInMemory';
import { canMakeFifo, makeFifo } from '../../../support/fifo';

const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-broken-'));

function flatLine(recordId: number): string {
    return JSON.stringify({
        EventID: 5,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: 'ws1',
        EventRecordID: recordId,
        UtcTime: '2024-05-01 10:15:01.987',
        ProcessGuid: '{3710b5c6-1243-6182-8303-000000000a00}',
    });
}

function lines(count: number): string {
    return Array.from({ length: count }, (_, i) => flatLine(i)).join('\n');
}

function write(name: string, content: string | Buffer): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
}

describe('a truncated, empty or corrupt .gz', () => {
    it('is counted as rejected with the file named, after the events read before the cut; the next files are read', async () => {
        const whole = gzipSync(lines(3000));
        const truncated = write('a-truncated.jsonl.gz', whole.subarray(0, Math.floor(whole.length / 2)));
        const empty = write('b-empty.jsonl.gz', Buffer.alloc(0));
        const notGzip = write('c-not-gzip.jsonl.gz', 'plain text');
        const good = write('d-good.jsonl.gz', gzipSync(lines(10)));
        const deadLetters = new InMemoryDeadLetterStore();
        const result = await replayRecordings({
            paths: [truncated, empty, notGzip, good],
            batchSize: 256,
            limits: DEFAULT_INGEST_LIMITS,
            config: DEFAULT_CORRELATION_CONFIG,
            stateStore: new InMemoryHostStateStore(),
            incidentStore: new InMemoryIncidentStore(),
            deadLetters,
        });
        expect(result.report.rejectedByReason).toEqual({ 'truncated-gzip': 2, 'unreadable-file': 1 });
        expect(result.report.rejected).toBe(3);
        // Some of the truncated file's lines were read before the cut, and all of the good file's.
        expect(result.report.accepted).toBeGreaterThan(10);
        expect(result.report.accepted).toBeLessThan(3010);
        const letters = await deadLetters.list({});
        expect(letters.filter((l) => l.reason === 'truncated-gzip').map((l) => l.detail)).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^a-truncated\.jsonl\.gz: the gzip stream ends early \(unexpected end of file\)/),
                expect.stringMatching(/^b-empty\.jsonl\.gz: the gzip stream ends early/),
            ]),
        );
        expect(letters.find((l) => l.reason === 'unreadable-file')?.detail).toMatch(/^c-not-gzip\.jsonl\.gz: .*header/);
    });
});

describe('a line longer than the message limit', () => {
    it('is not buffered whole: memory stays bounded while a 512 MiB line streams past, and it comes out as its start', async () => {
        const chunk = Buffer.alloc(1 << 20, 0x61); // one 1 MiB buffer handed over again and again, as a stream would
        const limit = 1 << 20;
        const before = process.memoryUsage().arrayBuffers;
        let peak = before;
        // eslint-disable-next-line @typescript-eslint/require-await -- an async source, as a file stream is
        async function* source(): AsyncGenerator<Buffer> {
            yield Buffer.from(`${flatLine(1)}\n`);
            for (let i = 0; i < 512; i++) {
                peak = Math.max(peak, process.memoryUsage().arrayBuffers);
                yield chunk;
            }
            yield Buffer.from(`\n${flatLine(2)}\n`);
            peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        }
        const out: (string | OversizeLine)[] = [];
        for await (const found of lineChunks(source(), limit)) {
            out.push(...found);
            peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        }
        expect(out).toHaveLength(3);
        expect(out[0]).toBe(flatLine(1));
        expect(out[2]).toBe(flatLine(2));
        const oversize = out[1] as OversizeLine;
        expect(oversize.bytes).toBe(512 * (1 << 20));
        expect(oversize.head.length).toBeLessThanOrEqual(64 * 1024);
        expect(oversize.head.every((byte) => byte === 0x61)).toBe(true);
        // Buffered whole, the line alone would add 512 MiB (and then fail as a string too long for V8).
        expect(peak - before).toBeLessThan(32 * (1 << 20));
    });

    it('in a file is rejected as too-large with its true size and its start kept; the lines after it are read', async () => {
        const path = write('long-line.jsonl', `${flatLine(1)}\n{"x":"${'y'.repeat(50_000)}"}\r\n${flatLine(3)}\n`);
        const messages = [];
        for await (const batch of readRecordingBatches(path, 256, '0', 10_000)) messages.push(...batch);
        expect(messages).toHaveLength(3);
        expect(messages[1]).toMatchObject({
            unreadableReason: 'too-large',
            unreadableBytes: 50_008,
            unreadable: 'line is 50008 bytes, over the limit of 10000; not read further',
            sequenceNumber: 1,
        });

        const deadLetters = new InMemoryDeadLetterStore();
        const result = await replayRecordings({
            paths: [path],
            batchSize: 256,
            limits: { ...DEFAULT_INGEST_LIMITS, maxMessageBytes: 10_000 },
            config: DEFAULT_CORRELATION_CONFIG,
            stateStore: new InMemoryHostStateStore(),
            incidentStore: new InMemoryIncidentStore(),
            deadLetters,
        });
        expect(result.report).toMatchObject({
            received: 3,
            accepted: 2,
            rejected: 1,
            rejectedByReason: { 'too-large': 1 },
        });
        const [letter] = await deadLetters.list({});
        expect(letter).toMatchObject({ reason: 'too-large', rawBytes: 50_008, rawTruncated: true, sequenceNumber: 1 });
        expect(letter?.raw.startsWith('{"x":"yyy')).toBe(true);
    });
});

const fifoWorks = canMakeFifo(dir);

describe('a FIFO among the recordings', () => {
    it.skipIf(!fifoWorks)(
        'is skipped with a message instead of hanging the replay (skipped where mkfifo is missing)',
        async () => {
            const folder = mkdtempSync(join(tmpdir(), 'hollowtrace-fifo-'));
            writeFileSync(join(folder, 'a.jsonl'), lines(4));
            makeFifo(join(folder, 'b.jsonl')); // no writer: opening it would block for ever
            const result = await replayInMemory([folder]);
            expect(result.report.accepted).toBe(4);
            expect(result.skipped).toEqual([
                { path: join(folder, 'b.jsonl'), why: 'not a regular file (a FIFO), skipped' },
            ]);
            expect(result.files).toEqual([join(folder, 'a.jsonl')]);
        },
    );
});
