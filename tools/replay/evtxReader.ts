/**
 * @module Reads Windows binary event logs (`.evtx`, the format EVTX-ATTACK-SAMPLES ships) one 64 KiB chunk at a time,
 * and yields each record rendered as event XML, which the ingest core's XML path then reads like any raw `<Event>`.
 *
 * The layout (libyal's "Windows XML Event Log (EVTX) format" and python-evtx): a file header (its own size is in the
 * header, 4 KiB in practice) whose signature is `ElfFile\0` and which counts the chunks in use, then chunks of
 * exactly 64 KiB, each self-contained (its own string and template tables), signature `ElfChnk\0`, with CRC32
 * checksums over its header and its records. Binary XML rendering is @ts-evtx/core's, except for the substitution
 * values it misreads (`evtxSubstitutionValues`); this module decides what is read, in what memory, and what becomes of
 * damage.
 *
 * Damage never loses input silently: a chunk that fails its signature or checksums, a record whose framing is damaged
 * or that does not render, and records missing before the chunk's record end are yielded as `unreadable` with the
 * bytes involved, and the ingest core rejects them to the dead-letter store. A file whose header is not an EVTX header
 * is not a recording at all, and throws.
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { declaredValueCount, installSubstitutionValueDecoding } from './evtxSubstitutionValues';
import type { ValueParserPrototype } from './evtxSubstitutionValues';

/** One record rendered as XML, or input that could not be read, with its bytes (a record, or a whole chunk). */
export type EvtxItem = { kind: 'record'; xml: string } | { kind: 'unreadable'; detail: string; bytes: Buffer };

/** A file that is not an EVTX log (wrong signature, short or inconsistent header). */
export class EvtxFormatError extends Error {
    constructor(path: string, why: string) {
        super(`${path}: not a readable EVTX file: ${why}`);
        this.name = 'EvtxFormatError';
    }
}

const CHUNK_SIZE = 0x10000;
const FILE_SIGNATURE = 'ElfFile\0';
const CHUNK_SIGNATURE = 'ElfChnk\0';
/** Header fields read here (libyal EVTX format, "File header"): block size at 40 (u16), chunk count at 42 (u16). */
const HEADER_BLOCK_SIZE_OFFSET = 40;
const HEADER_CHUNK_COUNT_OFFSET = 42;
const MIN_HEADER_SIZE = 128;
/** Chunk layout (libyal EVTX format, "Chunk header"): records start after the 512-byte header; their end is at 0x30. */
const FIRST_RECORD_AT = 0x200;
const NEXT_RECORD_OFFSET_AT = 0x30;

/**
 * The part of @ts-evtx/core 1.1.1 used here. Declared by hand: the package's own declarations import extensionless
 * paths, which `nodenext` resolution cannot follow, so its types arrive as `any`. Tests exercise every member.
 */
interface EvtxLibrary {
    BinaryReader: new (bytes: Uint8Array) => unknown;
    FileHeader: new (reader: unknown, offset: number) => { verify(): boolean };
    ChunkHeader: new (reader: unknown, offset: number) => Chunk;
}
interface Chunk {
    /** Signature, header CRC32 and records CRC32. */
    verify(): boolean;
    records(): Iterator<EvtxRecord>;
}
interface EvtxRecord {
    /** Offset in the chunk. */
    readonly offset: number;
    size(): number;
    /** The size equals its copy at the record's end. */
    verify(): boolean;
    renderXml(): string;
    /** The parsed record; `substitutions` are the values the library found for its template. */
    root(): { substitutions: readonly unknown[] };
}

let library: Promise<EvtxLibrary> | undefined;

/**
 * The library version whose value parser `installSubstitutionValueDecoding` was reviewed against (it replaces one
 * internal method). Another version is refused until the EVTX dataset tests have been run against it and this is
 * updated.
 */
export const REVIEWED_EVTX_LIBRARY_VERSION = '1.1.1';

/** Throws unless `version` (the installed @ts-evtx/core's) is the reviewed one. */
export function assertReviewedLibraryVersion(version: string): void {
    if (version !== REVIEWED_EVTX_LIBRARY_VERSION)
        throw new Error(
            `@ts-evtx/core ${version} is installed; its substitution value decoding was reviewed for ` +
                `${REVIEWED_EVTX_LIBRARY_VERSION} only (see docs/evtx.md)`,
        );
}

/**
 * @ts-evtx/core is an ES module; this project compiles to CommonJS, so it is loaded on first use with `import()`,
 * together with its value parser, around which our decoding of the values it misreads is installed.
 */
function loadLibrary(): Promise<EvtxLibrary> {
    library ??= (async () => {
        const { version } = createRequire(__filename)('@ts-evtx/core/package.json') as { version: string };
        assertReviewedLibraryVersion(version);
        const [core, values] = await Promise.all([
            import('@ts-evtx/core') as Promise<unknown> as Promise<EvtxLibrary>,
            import('@ts-evtx/core/dist/src/evtx/VariantValueParser.js') as Promise<unknown> as Promise<{
                VariantValueParser: { prototype: ValueParserPrototype };
            }>,
        ]);
        installSubstitutionValueDecoding(values.VariantValueParser.prototype);
        return core;
    })();
    return library;
}

function message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/**
 * Yields the records of the EVTX file at `path` in file order. Memory: the header and one chunk.
 * Reads the chunks the header counts (as python-evtx does), then any later block that carries a chunk signature.
 */
export async function* readEvtxRecords(path: string): AsyncGenerator<EvtxItem> {
    const { BinaryReader, ChunkHeader, FileHeader } = await loadLibrary();
    const file = await open(path, 'r');
    try {
        const head = Buffer.alloc(4096);
        const { bytesRead: headBytes } = await file.read(head, 0, head.length, 0);
        if (headBytes < MIN_HEADER_SIZE)
            throw new EvtxFormatError(path, `file is ${headBytes} bytes, shorter than a file header`);
        if (head.toString('latin1', 0, 8) !== FILE_SIGNATURE)
            throw new EvtxFormatError(path, 'the file does not start with the signature "ElfFile\\0"');
        const header = new FileHeader(new BinaryReader(new Uint8Array(head.buffer, head.byteOffset, headBytes)), 0);
        // verify(): signature, version 3.1 or 3.2, a 4096-byte header block, and the CRC32 of the header's first 120 bytes.
        if (!header.verify())
            throw new EvtxFormatError(
                path,
                'the file header fails its checks (version 3.1 or 3.2, 4096-byte header, CRC32)',
            );
        const firstChunkAt = head.readUInt16LE(HEADER_BLOCK_SIZE_OFFSET);
        const chunkCount = head.readUInt16LE(HEADER_CHUNK_COUNT_OFFSET);

        const { size } = await file.stat();
        const chunk = Buffer.alloc(CHUNK_SIZE);
        for (let index = 0; ; index++) {
            const at = firstChunkAt + index * CHUNK_SIZE;
            const where = `chunk ${index} at byte ${at}`;
            if (at >= size) {
                if (index < chunkCount)
                    yield {
                        kind: 'unreadable',
                        detail: `${where}: the header counts ${chunkCount} chunks but the file ends here`,
                        bytes: Buffer.alloc(0),
                    };
                return;
            }
            const { bytesRead } = await file.read(chunk, 0, CHUNK_SIZE, at);
            const signed = bytesRead >= 8 && chunk.toString('latin1', 0, 8) === CHUNK_SIGNATURE;
            // Past the counted chunks: unused space (zeros), unless a chunk is there. Reading every signed chunk loses
            // nothing if the header's count is stale, as it can be in a log copied while still open.
            if (index >= chunkCount && !signed) continue;
            if (bytesRead < CHUNK_SIZE) {
                yield {
                    kind: 'unreadable',
                    detail: `${where}: truncated (${bytesRead} of ${CHUNK_SIZE} bytes)`,
                    bytes: Buffer.from(chunk.subarray(0, bytesRead)),
                };
                return;
            }
            yield* chunkRecords(
                new ChunkHeader(new BinaryReader(new Uint8Array(chunk.buffer, chunk.byteOffset, CHUNK_SIZE)), 0),
                chunk,
                where,
            );
        }
    } finally {
        await file.close();
    }
}

function* chunkRecords(chunk: Chunk, bytes: Buffer, where: string): Generator<EvtxItem> {
    if (bytes.toString('latin1', 0, 8) !== CHUNK_SIGNATURE) {
        yield { kind: 'unreadable', detail: `${where}: no chunk signature "ElfChnk\\0"`, bytes: Buffer.from(bytes) };
        return;
    }
    // A chunk whose checksums fail is not trusted at all: a flipped byte in a record would otherwise render as a
    // plausible event with a wrong value (a PID, a GUID) that correlation would act on.
    let verified: boolean;
    try {
        verified = chunk.verify();
    } catch (error) {
        yield {
            kind: 'unreadable',
            detail: `${where}: chunk header unreadable: ${message(error)}`,
            bytes: Buffer.from(bytes),
        };
        return;
    }
    if (!verified) {
        yield {
            kind: 'unreadable',
            detail: `${where}: chunk checksum mismatch, its records are not trusted`,
            bytes: Buffer.from(bytes),
        };
        return;
    }
    // The library's record walk stops quietly at the first record it cannot frame; where the records should end is in
    // the chunk header (libyal: "next record offset", at 0x30), so a walk that stops short is reported, not lost.
    const recordsEnd = bytes.readUInt32LE(NEXT_RECORD_OFFSET_AT);
    let reached = FIRST_RECORD_AT;
    const records = chunk.records();
    for (;;) {
        let next: IteratorResult<EvtxRecord>;
        try {
            next = records.next();
        } catch (error) {
            yield unreadableTail(bytes, where, reached, recordsEnd, `record list unreadable: ${message(error)}`);
            return;
        }
        if (next.done === true) break;
        const record = next.value;
        reached = Math.max(reached, record.offset + record.size());
        let xml: string;
        try {
            // A record repeats its size in its last four bytes; a mismatch means its framing is damaged.
            if (!record.verify()) throw new Error('the record size and its trailing copy differ');
            xml = record.renderXml();
            // The library locates the value array its own way; where it lands elsewhere, the values would fill the
            // template with other bytes, so the record is not trusted (docs/evtx.md, "Known limits").
            const declared = declaredValueCount(bytes, record.offset);
            const found = record.root().substitutions.length;
            if (declared !== undefined && found !== declared)
                throw new Error(`the record declares ${declared} substitution values, the renderer found ${found}`);
        } catch (error) {
            yield {
                kind: 'unreadable',
                detail: `${where}, record at chunk offset ${record.offset}: ${message(error)}`,
                bytes: recordBytes(bytes, record),
            };
            continue;
        }
        yield { kind: 'record', xml };
    }
    if (reached < recordsEnd) yield unreadableTail(bytes, where, reached, recordsEnd, 'the records stop early');
}

function unreadableTail(bytes: Buffer, where: string, from: number, to: number, why: string): EvtxItem {
    const end = Math.min(Math.max(to, from), bytes.length);
    return {
        kind: 'unreadable',
        detail: `${where}: ${why} at chunk offset ${from}; the chunk header says they run to ${to}`,
        bytes: Buffer.from(bytes.subarray(from, end)),
    };
}

function recordBytes(chunk: Buffer, record: EvtxRecord): Buffer {
    try {
        const size = record.size();
        return Buffer.from(chunk.subarray(record.offset, Math.min(chunk.length, record.offset + size)));
    } catch {
        return Buffer.from(chunk.subarray(record.offset, Math.min(chunk.length, record.offset + 1024)));
    }
}
