/** replayRecordings over several files: order, totals, and a broken file ahead of time. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { replayInMemory } from '../../../helpers/replayInMemory';

const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-replay-'));
const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

function flatLines(host: string, count: number): string {
    return Array.from({ length: count }, (_, i) =>
        JSON.stringify({
            EventID: 5,
            Channel: SYSMON,
            Computer: host,
            EventRecordID: i,
            UtcTime: '2024-05-01 10:15:01.987',
            ProcessGuid: '{3710b5c6-1243-6182-8303-000000000a00}',
        }),
    ).join('\n');
}

describe('replayRecordings', () => {
    it('reads every file once, in name order, while the next file is opened ahead', async () => {
        for (const [name, count] of [
            ['a.jsonl.gz', 700],
            ['b.jsonl', 3],
            ['c.jsonl.gz', 1],
        ] as const) {
            const text = flatLines(name, count);
            writeFileSync(join(dir, `three-${name}`), name.endsWith('.gz') ? gzipSync(text) : text);
        }
        const result = await replayInMemory(
            ['a.jsonl.gz', 'b.jsonl', 'c.jsonl.gz'].map((name) => join(dir, `three-${name}`)),
        );
        expect(result.report).toMatchObject({ received: 704, accepted: 704, rejected: 0 });
        expect(result.files.map((f) => f.slice(dir.length + 1))).toEqual([
            'three-a.jsonl.gz',
            'three-b.jsonl',
            'three-c.jsonl.gz',
        ]);
    });

    it('counts a corrupt file opened ahead as unreadable and goes on, without an unhandled rejection', async () => {
        writeFileSync(join(dir, 'good.jsonl'), flatLines('good', 5));
        writeFileSync(join(dir, 'bad.jsonl.gz'), Buffer.from('this is not gzip'));
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        try {
            const result = await replayInMemory([join(dir, 'good.jsonl'), join(dir, 'bad.jsonl.gz')]);
            expect(result.report).toMatchObject({
                received: 6,
                accepted: 5,
                rejected: 1,
                rejectedByReason: { 'unreadable-file': 1 },
            });
            await new Promise((resolve) => setTimeout(resolve, 50));
            expect(unhandled).toEqual([]);
        } finally {
            process.off('unhandledRejection', onUnhandled);
        }
    });
});
