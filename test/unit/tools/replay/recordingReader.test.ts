/** Reading recordings from disk: every supported file form, streamed in batches with coordinates. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeCutOffRecording } from '../../../helpers/cutOffRecording';
import fc from 'fast-check';
import {
    isRecordingFile,
    listRecordingFiles,
    readRecordingBatches,
    xmlEventChunks,
} from '../../../../tools/replay/recordingReader';
import type { IngestMessage } from '../../../../shared/ingest/ingestBatch';

const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-reader-'));

async function readAll(path: string, batchSize = 2): Promise<IngestMessage[][]> {
    const batches: IngestMessage[][] = [];
    for await (const batch of readRecordingBatches(path, batchSize, '4')) batches.push(batch);
    return batches;
}

describe('recording reader', () => {
    it('JSON lines (gzip, CRLF, blank lines) in batches with partition and running sequence numbers', async () => {
        const path = join(dir, 'a.jsonl.gz');
        writeFileSync(path, gzipSync('{"a":1}\r\n\r\n{"a":2}\n{"a":3}\n{"a":"\u00e9\u00ae"}'));
        const batches = await readAll(path);
        expect(batches.map((b) => b.length)).toEqual([2, 2]);
        expect(batches.flat()).toEqual([
            { body: '{"a":1}', partitionId: '4', sequenceNumber: 0 },
            { body: '{"a":2}', partitionId: '4', sequenceNumber: 1 },
            { body: '{"a":3}', partitionId: '4', sequenceNumber: 2 },
            { body: '{"a":"\u00e9\u00ae"}', partitionId: '4', sequenceNumber: 3 },
        ]);
    });

    it('a cut-off gzip gives the same messages before its failure, however slowly they are read', async () => {
        // Its tail inflates to more than one 1 MiB chunk (a long line of one character), so when the stream fails, it
        // still holds inflated chunks that a slow reader has not taken yet.
        const { path: cut, lines: written } = writeCutOffRecording(dir, 'cut.jsonl.gz');
        const read = async (pause: number) => {
            const bodies: unknown[] = [];
            for await (const batch of readRecordingBatches(cut, 16, '0')) {
                if (pause > 0) await new Promise((wake) => setTimeout(wake, pause));
                bodies.push(...batch.map((message) => message.unreadableReason ?? message.body));
            }
            return bodies;
        };
        const fast = await read(0);
        expect(fast.at(-1)).toBe('truncated-gzip');
        expect(fast.length).toBeGreaterThan(written.length * 0.99); // all but the lines the cut took, and the failure
        expect(await read(2)).toEqual(fast);
    });

    it('a line split across read chunks arrives whole (multi-byte characters included)', async () => {
        const path = join(dir, 'big.jsonl');
        const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: '\u00e9'.repeat(500) }));
        writeFileSync(path, lines.join('\n'));
        expect((await readAll(path, 1000)).flat().map((m) => m.body)).toEqual(lines);
    });

    it('a line longer than several read chunks arrives whole, with its neighbours', async () => {
        const path = join(dir, 'long.jsonl.gz');
        const long = JSON.stringify({ pad: 'x'.repeat(3_500_000) });
        writeFileSync(path, gzipSync(`{"a":1}\n${long}\r\n{"a":2}`));
        expect((await readAll(path, 10)).flat().map((m) => (m.body as string).length)).toEqual([7, long.length, 7]);
    });

    it('a Log Analytics export file is one message per row; an array one per element; other JSON whole', async () => {
        writeFileSync(
            join(dir, 'export.json'),
            JSON.stringify({
                records: [
                    { Type: 'Event', n: 1 },
                    { Type: 'Event', n: 2 },
                ],
            }),
        );
        writeFileSync(join(dir, 'list.json'), JSON.stringify([{ n: 1 }, { n: 2 }, { n: 3 }]));
        writeFileSync(join(dir, 'broken.json'), '{"records": [');
        expect(
            (await readAll(join(dir, 'export.json'))).flat().map((m) => JSON.parse(m.body as string) as unknown),
        ).toEqual([{ records: [{ Type: 'Event', n: 1 }] }, { records: [{ Type: 'Event', n: 2 }] }]);
        expect((await readAll(join(dir, 'list.json'))).flat()).toHaveLength(3);
        expect((await readAll(join(dir, 'broken.json'))).flat().map((m) => m.body)).toEqual(['{"records": [']);
    });

    it('a .json file that is JSON lines in fact (Azure Monitor storage exports, PT1H.json) is one message per line', async () => {
        const rows = [
            { Type: 'Event', n: 1 },
            { Type: 'Event', n: 2 },
            { Type: 'Event', n: 3 },
        ];
        writeFileSync(join(dir, 'PT1H.json'), rows.map((row) => JSON.stringify(row)).join('\r\n') + '\n');
        writeFileSync(join(dir, 'pretty.json'), JSON.stringify({ records: rows }, null, 2));
        writeFileSync(join(dir, 'PT1H-broken.json'), '{"Type":"Event","n":1}\n{"Type":"Ev');
        const bodies = async (name: string) => (await readAll(join(dir, name))).flat().map((m) => m.body);
        expect(await bodies('PT1H.json')).toEqual(rows.map((row) => JSON.stringify(row)));
        expect(await bodies('pretty.json')).toEqual(rows.map((row) => JSON.stringify({ records: [row] })));
        // The broken last line is its own message, which ingest rejects; the first still counts.
        expect(await bodies('PT1H-broken.json')).toEqual(['{"Type":"Event","n":1}', '{"Type":"Ev']);
    });

    it('an <Events> file is one message per <Event>', async () => {
        writeFileSync(
            join(dir, 'events.xml'),
            '<Events><Event><System/></Event>\n<Event xmlns="x"><EventData/></Event></Events>',
        );
        expect((await readAll(join(dir, 'events.xml'))).flat().map((m) => m.body)).toEqual([
            '<Event><System/></Event>',
            '<Event xmlns="x"><EventData/></Event>',
        ]);
    });

    it('directories are walked recursively in name order, skipping non-recordings and simulate ground truth', async () => {
        const root = join(dir, 'tree');
        mkdirSync(join(root, 'b'), { recursive: true });
        writeFileSync(join(root, 'b', 'z.jsonl'), '{}');
        writeFileSync(join(root, 'a.xml'), '<Event/>');
        writeFileSync(join(root, 'c.evtx'), '');
        writeFileSync(join(root, 'notes.txt'), 'x');
        writeFileSync(join(root, 'fleet.jsonl.gz.attacks.json'), '[]');
        expect((await listRecordingFiles([root])).map((f) => f.slice(root.length + 1))).toEqual([
            'a.xml',
            join('b', 'z.jsonl'),
            'c.evtx',
        ]);
        expect(isRecordingFile('x.ndjson')).toBe(true);
        expect(isRecordingFile('x.EVTX')).toBe(true);
        expect(isRecordingFile('x.evtx.gz')).toBe(false); // EVTX is read by chunk offsets, so not through gunzip
    });

    it('a path without extension names a recording: its one file, or its flat .sysmon.jsonl.gz form among several', async () => {
        const root = join(dir, 'stems');
        mkdirSync(root, { recursive: true });
        writeFileSync(join(root, 'solo.xml'), '<Event/>');
        for (const form of [
            'twins.sysmon.jsonl.gz',
            'twins.raw.jsonl.gz',
            'twins.evtx',
            'pair.jsonl',
            'pair.xml',
            'pair.txt',
        ])
            writeFileSync(join(root, form), '');
        expect(await listRecordingFiles([join(root, 'solo')])).toEqual([join(root, 'solo.xml')]);
        expect(await listRecordingFiles([join(root, 'twins')])).toEqual([join(root, 'twins.sysmon.jsonl.gz')]);
        await expect(listRecordingFiles([join(root, 'pair')])).rejects.toThrow(
            /pair: names 2 recordings \(pair\.jsonl, pair\.xml\); give one of them/,
        );
        await expect(listRecordingFiles([join(root, 'none')])).rejects.toThrow(
            /none: no such file or directory, and no recording none\.<extension> beside it/,
        );
        await expect(listRecordingFiles([join(root, 'missing-dir', 'x')])).rejects.toThrow(/no such file or directory/);
    });

    describe('XML event splitter (streams .xml: one read plus at most one event in memory)', () => {
        async function split(pieces: readonly (string | Buffer)[], max = 1000): Promise<string[]> {
            const out: string[] = [];
            const source = Readable.from(pieces.map((piece) => (Buffer.isBuffer(piece) ? piece : Buffer.from(piece))));
            for await (const events of xmlEventChunks(source, max)) out.push(...events);
            return out;
        }
        const event = (n: number, text = 'x'): string =>
            `<Event xmlns="e"><System><EventID>${n}</EventID></System><EventData><Data Name="A">${text}</Data></EventData></Event>`;

        it('any split of the bytes, even inside a tag or a multi-byte character, yields the same events', async () => {
            await fc.assert(
                fc.asyncProperty(
                    fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '<', '&lt;', ' ') }), {
                        minLength: 1,
                        maxLength: 6,
                    }),
                    fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 8 }),
                    fc.boolean(),
                    async (texts, cuts, wrapped) => {
                        const events = texts.map((t, i) => event(i, t.replace(/</g, '&lt;')));
                        const doc = wrapped
                            ? `<?xml version="1.0"?>\n<Events>\n${events.join('\n')}\n</Events>`
                            : events.join('\r\n');
                        const bytes = Buffer.from(doc);
                        const pieces: Buffer[] = [];
                        let at = 0;
                        for (const cut of cuts) {
                            const next = Math.min(bytes.length, at + cut);
                            pieces.push(bytes.subarray(at, next));
                            at = next;
                        }
                        pieces.push(bytes.subarray(at));
                        expect(await split(pieces)).toEqual(events);
                    },
                ),
                { numRuns: 300 },
            );
        });

        it('prefixed and self-closing events are found; <Events> and <EventData> are not events', async () => {
            expect(
                await split(['<e:Events><e:Event a="1"><e:EventData/></e:Event><Event/><Event a="/"/></e:Events>']),
            ).toEqual(['<e:Event a="1"><e:EventData/></e:Event>', '<Event/>', '<Event a="/"/>']);
        });

        it('an event cut off by the end of the input is emitted as it stands (ingest rejects it), not dropped', async () => {
            expect(await split([event(1), '<Event><System><EventID>2</Even'])).toEqual([
                event(1),
                '<Event><System><EventID>2</Even',
            ]);
        });

        it('an event longer than the limit is emitted cut (rejected as too large) and the next event is still read', async () => {
            const big = event(1, 'y'.repeat(5000));
            const out = await split([big.slice(0, 1500), big.slice(1500, 4000), big.slice(4000), event(2)], 1000);
            expect(out.map((body) => body.length)).toEqual([1001, event(2).length]);
            expect(out[0]).toBe(big.slice(0, 1001));
        });

        it('input without any event is emitted (up to the limit) so ingest can say what it is', async () => {
            expect(await split(['{"not": ', 'xml}'])).toEqual(['{"not": xml}']);
            expect(await split([''])).toEqual(['']);
            expect((await split(['z'.repeat(3000)], 1000))[0]).toHaveLength(1000);
        });

        it('a large .xml.gz (5,000 events over several 1 MiB reads) arrives whole, one message per event', async () => {
            const events = Array.from({ length: 5000 }, (_, i) => event(i, '\u00e9'.repeat(300)));
            const path = join(dir, 'many.xml.gz');
            writeFileSync(path, gzipSync(`<Events>${events.join('')}</Events>`));
            expect((await readAll(path, 1000)).flat().map((m) => m.body)).toEqual(events);
        });
    });
});
