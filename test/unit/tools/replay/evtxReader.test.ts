/**
 * The EVTX reader on damaged and degenerate files, built here byte by byte (a file header with a correct CRC32, then
 * chunks): a non-EVTX file throws; damage inside the chunks becomes `unreadable` items the ingest core rejects, never
 * silence. Real logs are read in test/datasets/evtxDatasets.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EvtxFormatError, readEvtxRecords } from '../../../../tools/replay/evtxReader';
import type { EvtxItem } from '../../../../tools/replay/evtxReader';
import { readRecordingBatches } from '../../../../tools/replay/recordingReader';
import { ingestBatch } from '../../../../shared/ingest/ingestBatch';

const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-evtx-'));
const CHUNK = 0x10000;

/** A version 3.1 file header (libyal EVTX format: signature, sizes, chunk count at 42, CRC32 of bytes 0-119 at 124). */
function fileHeader(chunkCount: number, options: { breakChecksum?: boolean } = {}): Buffer {
    const header = Buffer.alloc(4096);
    header.write('ElfFile\0', 0, 'latin1');
    header.writeUInt32LE(128, 32); // header size
    header.writeUInt16LE(1, 36); // minor version
    header.writeUInt16LE(3, 38); // major version
    header.writeUInt16LE(4096, 40); // header block size
    header.writeUInt16LE(chunkCount, 42);
    header.writeUInt32LE((crc32(header.subarray(0, 120)) ^ (options.breakChecksum ? 1 : 0)) >>> 0, 124);
    return header;
}

/** A 64 KiB block: zeros, or a chunk signature followed by bytes whose checksums cannot match. */
function block(kind: 'zeros' | 'bad-checksum' | 'no-signature'): Buffer {
    const bytes = Buffer.alloc(CHUNK);
    if (kind === 'bad-checksum') {
        bytes.write('ElfChnk\0', 0, 'latin1');
        bytes.writeUInt32LE(0x200 + 24, 0x30); // next record offset: 24 bytes of "records"
        bytes.fill(0x5a, 0x200, 0x200 + 24);
    }
    if (kind === 'no-signature') bytes.fill(0x41, 0, 4096);
    return bytes;
}

function write(name: string, ...parts: Buffer[]): string {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat(parts));
    return path;
}

async function items(path: string): Promise<EvtxItem[]> {
    const found: EvtxItem[] = [];
    for await (const item of readEvtxRecords(path)) found.push(item);
    return found;
}

function details(found: EvtxItem[]): string[] {
    return found.map((item) => (item.kind === 'unreadable' ? item.detail : 'record'));
}

describe('EVTX reader', () => {
    it('a file that is not an EVTX log throws, naming the file and why', async () => {
        const json = write('not.evtx', Buffer.from('{"EventID":1}\n'.repeat(20)));
        await expect(items(json)).rejects.toThrow(EvtxFormatError);
        await expect(items(json)).rejects.toThrow(
            /not\.evtx: not a readable EVTX file: the file does not start with the signature/,
        );
        await expect(items(write('short.evtx', Buffer.from('ElfFile\0')))).rejects.toThrow(
            /shorter than a file header/,
        );
    });

    it('a file header whose checksum does not match throws', async () => {
        await expect(items(write('badcrc.evtx', fileHeader(0, { breakChecksum: true })))).rejects.toThrow(
            /file header fails its checks \(version 3\.1 or 3\.2, 4096-byte header, CRC32\)/,
        );
    });

    it('an empty log (no chunks) yields nothing, and unused zero blocks after the counted chunks are skipped', async () => {
        expect(await items(write('empty.evtx', fileHeader(0)))).toEqual([]);
        expect(await items(write('unused.evtx', fileHeader(0), block('zeros'), block('zeros')))).toEqual([]);
    });

    it('a counted chunk that fails its checksum is one unreadable item with the chunk bytes, not trusted records', async () => {
        const found = await items(write('crc.evtx', fileHeader(1), block('bad-checksum')));
        expect(details(found)).toEqual(['chunk 0 at byte 4096: chunk checksum mismatch, its records are not trusted']);
        expect(found[0]?.kind === 'unreadable' && found[0].bytes.length).toBe(CHUNK);
    });

    it('a chunk past the count is read when it carries a signature (a log copied while being written)', async () => {
        const found = await items(write('dirty.evtx', fileHeader(0), block('zeros'), block('bad-checksum')));
        expect(details(found)).toEqual(['chunk 1 at byte 69632: chunk checksum mismatch, its records are not trusted']);
    });

    it('a counted block without a chunk signature, a truncated chunk and a missing chunk are each reported', async () => {
        expect(details(await items(write('nosig.evtx', fileHeader(1), block('no-signature'))))).toEqual([
            'chunk 0 at byte 4096: no chunk signature "ElfChnk\\0"',
        ]);
        expect(details(await items(write('cut.evtx', fileHeader(1), block('bad-checksum').subarray(0, 1000))))).toEqual(
            ['chunk 0 at byte 4096: truncated (1000 of 65536 bytes)'],
        );
        expect(details(await items(write('missing.evtx', fileHeader(2), block('bad-checksum'))))).toEqual([
            'chunk 0 at byte 4096: chunk checksum mismatch, its records are not trusted',
            'chunk 1 at byte 69632: the header counts 2 chunks but the file ends here',
        ]);
    });

    it('through the recording reader, damage reaches ingest as an unreadable-record rejection with its bytes as base64', async () => {
        const path = write('damaged.evtx', fileHeader(1), block('bad-checksum'));
        const batches: Parameters<typeof ingestBatch>[0][] = [];
        for await (const batch of readRecordingBatches(path, 16, '3')) batches.push(batch);
        expect(batches).toHaveLength(1);
        const result = ingestBatch(batches[0]!, new Date('2026-01-01T00:00:00Z'));
        expect(result.report).toMatchObject({
            received: 1,
            accepted: 0,
            ignored: 0,
            rejected: 1,
            rejectedByReason: { 'unreadable-record': 1 },
        });
        const letter = result.deadLetters[0]!;
        expect(letter).toMatchObject({
            reason: 'unreadable-record',
            partitionId: '3',
            sequenceNumber: 0,
            rawBytes: CHUNK,
            rawTruncated: true,
        });
        expect(letter.detail).toMatch(/^chunk 0 at byte 4096: chunk checksum mismatch/);
        expect(Buffer.from(letter.raw.slice(0, 12), 'base64').toString('latin1')).toBe('ElfChnk\0\0');
    });
});
