/**
 * Builds small EVTX logs byte by byte for tests, following libyal's "Windows XML Event Log (EVTX) format": a file
 * header, one chunk (header with both CRC32s and its common string table, then records), each record a Binary XML
 * fragment holding a template instance whose definition follows inline, then its substitution array (count,
 * size/type descriptors, values). Laid out as Sysmon's records are: the record's template holds `<System>` and one
 * Binary XML (0x21) value, itself a fragment with its own template for `<EventData>` and its own substitution array.
 */
import { crc32 } from 'node:zlib';

/** A substitution value: its Binary XML value type and its bytes; the descriptor declares `bytes.length`. */
export interface SubstitutionValue {
    type: number;
    bytes: Uint8Array;
}

export interface SyntheticRecord {
    recordId: number;
    /** System `EventID`; 3 when not given. */
    eventId?: number;
    /** Values in the record's own array, 18 as Windows writes them unless given (at least 6). */
    systemValueCount?: number;
    /** `<Data Name>` fields in order, each filled by one substitution. */
    fields: readonly (readonly [name: string, value: SubstitutionValue])[];
}

const CHUNK_SIZE = 0x10000;
const FIRST_RECORD_AT = 0x200;
/** The chunk's common string table: 64 offsets of hash chains of names (libyal "Chunk header"). */
const STRING_TABLE_AT = 0x80;
const BINARY_XML = 0x21;
const STRING = 0x01;
const UINT16 = 0x06;
const UINT64 = 0x0a;
const FILETIME = 0x11;

function le(width: number, value: number | bigint): Uint8Array {
    const bytes = new Uint8Array(width);
    let v = BigInt(value);
    for (let i = 0; i < width; i++) {
        bytes[i] = Number(v & 0xffn);
        v >>= 8n;
    }
    return bytes;
}

/** Value builders, labelled by the Binary XML value type they write (libyal "Value types"). */
export const values = {
    string: (text: string): SubstitutionValue => ({ type: STRING, bytes: Buffer.from(text, 'utf16le') }),
    uint16: (n: number): SubstitutionValue => ({ type: UINT16, bytes: le(2, n) }),
    uint32: (n: number): SubstitutionValue => ({ type: 0x08, bytes: le(4, n) }),
    /** BoolType 0x0D; Windows writes 4 bytes, `width` lets a test write the 1-byte form MS-EVEN6 describes. */
    boolean: (value: number, width = 4): SubstitutionValue => ({ type: 0x0d, bytes: le(width, value) }),
    sizeT: (value: bigint, width: 4 | 8): SubstitutionValue => ({ type: 0x10, bytes: le(width, value) }),
    fileTime: (ticks: bigint): SubstitutionValue => ({ type: FILETIME, bytes: le(8, ticks) }),
    /** SysTimeType 0x12: year, month, day of week, day, hour, minute, second, milliseconds. */
    systemTime: (fields: readonly number[]): SubstitutionValue => ({
        type: 0x12,
        bytes: Uint8Array.from(fields.flatMap((field) => [...le(2, field)])),
    }),
    hex32: (n: number): SubstitutionValue => ({ type: 0x14, bytes: le(4, n) }),
    /** A GUID as Windows stores it: the first three groups little-endian. */
    guid: (text: string): SubstitutionValue => {
        const hex = text.replace(/[{}-]/g, '');
        const group = (from: number, to: number) => Buffer.from(hex.slice(from, to), 'hex');
        return {
            type: 0x0f,
            bytes: Buffer.concat([
                group(0, 8).reverse(),
                group(8, 12).reverse(),
                group(12, 16).reverse(),
                group(16, 32),
            ]),
        };
    },
    raw: (type: number, bytes: readonly number[]): SubstitutionValue => ({ type, bytes: Uint8Array.from(bytes) }),
} as const;

/** Writes one chunk's bytes; positions are chunk-relative, as Binary XML's name and template offsets are. */
class ChunkWriter {
    readonly bytes = Buffer.alloc(CHUNK_SIZE);
    pos = FIRST_RECORD_AT;
    private nextTemplateId = 1;

    u8(value: number): void {
        this.bytes[this.pos++] = value;
    }
    put(bytes: Uint8Array): void {
        this.bytes.set(bytes, this.pos);
        this.pos += bytes.length;
    }
    int(width: number, value: number | bigint): void {
        this.put(le(width, value));
    }
    /** A 4-byte size field, filled by the returned function with the number of bytes written after it since. */
    sizeField(): () => void {
        const at = this.pos;
        this.int(4, 0);
        return () => this.bytes.writeUInt32LE(this.pos - at - 4, at);
    }

    /** Offsets of the names written so far; later uses refer back to them, as Windows does. */
    private readonly names = new Map<string, number>();
    private lastNameAt = -1;

    /**
     * A name: stored inline the first time (the offset field points right behind itself, libyal "Name") and linked
     * into the chunk's common string table (readers look names up there), afterwards referred to by offset only.
     */
    name(text: string): void {
        const known = this.names.get(text);
        if (known !== undefined) {
            this.int(4, known);
            return;
        }
        const at = this.pos + 4;
        this.int(4, at);
        this.names.set(text, at);
        // One hash chain is enough for the readers: bucket 0 points at the first name, each name at the next.
        if (this.lastNameAt < 0) this.bytes.writeUInt32LE(at, STRING_TABLE_AT);
        else this.bytes.writeUInt32LE(at, this.lastNameAt);
        this.lastNameAt = at;
        this.int(4, 0); // next name in the chain
        this.int(2, 0); // hash (readers do not check it)
        this.int(2, text.length);
        this.put(Buffer.from(`${text}\0`, 'utf16le'));
    }

    element(name: string, attributes: readonly (readonly [string, () => void])[], content?: () => void): void {
        this.u8(attributes.length > 0 ? 0x41 : 0x01);
        this.int(2, 0xffff); // dependency identifier: none
        const size = this.sizeField();
        this.name(name);
        if (attributes.length > 0) {
            const listSize = this.sizeField();
            attributes.forEach(([attribute, value], index) => {
                this.u8(index === attributes.length - 1 ? 0x06 : 0x46);
                this.name(attribute);
                value();
            });
            listSize();
        }
        if (content) {
            this.u8(0x02);
            content();
            this.u8(0x04);
        } else this.u8(0x03);
        size();
    }

    text(value: string): void {
        this.u8(0x05);
        this.u8(STRING);
        this.int(2, value.length);
        this.put(Buffer.from(value, 'utf16le'));
    }

    substitution(index: number, type: number, optional = false): void {
        this.u8(optional ? 0x0e : 0x0d);
        this.int(2, index);
        this.u8(type);
    }

    /**
     * A fragment with a template instance whose definition follows inline, then its substitution array. `body` writes
     * the template's element; `valueWriters` write the values in place (so a nested fragment gets its true offsets).
     */
    templateInstance(body: () => void, valueWriters: readonly { type: number; write: () => void }[]): void {
        this.put(Uint8Array.of(0x0f, 0x01, 0x01, 0x00)); // fragment header
        this.u8(0x0c);
        this.u8(0x01);
        const id = this.nextTemplateId++;
        this.int(4, id);
        this.int(4, this.pos + 4); // definition offset: right here, inline
        this.int(4, 0); // next template definition
        this.put(Buffer.concat([Buffer.from(le(4, id)), Buffer.alloc(12, 0x7e)])); // template GUID
        const dataSize = this.sizeField();
        this.put(Uint8Array.of(0x0f, 0x01, 0x01, 0x00));
        body();
        this.u8(0x00); // end of stream
        dataSize();
        this.int(4, valueWriters.length);
        const sizeFields = valueWriters.map(({ type }) => {
            const at = this.pos;
            this.put(Uint8Array.of(0, 0, type, 0)); // size (filled below), type, padding
            return at;
        });
        valueWriters.forEach(({ write }, index) => {
            const start = this.pos;
            write();
            this.bytes.writeUInt16LE(this.pos - start, sizeFields[index]);
        });
    }
}

function dataElements(writer: ChunkWriter, fields: SyntheticRecord['fields']): void {
    writer.element('EventData', [], () => {
        fields.forEach(([name, value], index) =>
            writer.element('Data', [['Name', () => writer.text(name)]], () =>
                writer.substitution(index, value.type, true),
            ),
        );
    });
}

const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
const EVENT_NAMESPACE = 'http://schemas.microsoft.com/win/2004/08/events/event';
const RECORD_TIME = 132_012_821_339_507_507n; // 2019-05-02T14:48:53.9507507Z

/**
 * The record's own template holds `<System>` and one Binary XML value. Windows' System template always carries 18
 * values, and @ts-evtx/core 1.1.1 only finds a record's value array when its count is one of a few such numbers
 * (docs/evtx.md), so the unused ones are Null values here.
 */
const SYSTEM_VALUE_COUNT = 18;

function writeRecord(writer: ChunkWriter, record: SyntheticRecord): void {
    const start = writer.pos;
    writer.put(Uint8Array.of(0x2a, 0x2a, 0, 0));
    writer.int(4, 0); // size, filled at the end
    writer.int(8, record.recordId);
    writer.int(8, RECORD_TIME);
    const put = (value: SubstitutionValue) => ({ type: value.type, write: () => writer.put(value.bytes) });
    const system: SubstitutionValue[] = [
        values.uint16(record.eventId ?? 3),
        values.string(SYSMON_CHANNEL),
        values.string('SYNTH'),
        values.fileTime(RECORD_TIME),
        { type: UINT64, bytes: le(8, record.recordId) },
    ];
    const systemNames = ['EventID', 'Channel', 'Computer'];
    const count = record.systemValueCount ?? SYSTEM_VALUE_COUNT;
    const unused = Array.from({ length: count - system.length - 1 }, () => values.raw(0x00, []));
    writer.templateInstance(
        () =>
            writer.element('Event', [['xmlns', () => writer.text(EVENT_NAMESPACE)]], () => {
                writer.element('System', [], () => {
                    systemNames.forEach((name, index) =>
                        writer.element(name, [], () => writer.substitution(index, system[index]!.type, true)),
                    );
                    writer.element('TimeCreated', [['SystemTime', () => writer.substitution(3, FILETIME, true)]]);
                    writer.element('EventRecordID', [], () => writer.substitution(4, UINT64, true));
                });
                writer.substitution(count - 1, BINARY_XML, true);
            }),
        [
            ...system.map(put),
            ...unused.map(put),
            {
                type: BINARY_XML,
                write: () =>
                    writer.templateInstance(
                        () => dataElements(writer, record.fields),
                        record.fields.map(([, value]) => put(value)),
                    ),
            },
        ],
    );
    const size = Math.ceil((writer.pos + 4 - start) / 8) * 8; // records end 8-byte aligned, as Windows writes them
    writer.pos = start + size - 4;
    writer.int(4, size); // the copy of the size that ends every record
    writer.bytes.writeUInt32LE(size, start + 4);
}

/** A version 3.1 file header for `chunkCount` chunks, CRC32 of its first 120 bytes at 124. */
function fileHeader(chunkCount: number, nextRecordId: number): Buffer {
    const header = Buffer.alloc(4096);
    header.write('ElfFile\0', 0, 'latin1');
    header.writeBigUInt64LE(BigInt(chunkCount - 1), 16); // last chunk number
    header.writeBigUInt64LE(BigInt(nextRecordId), 24);
    header.writeUInt32LE(128, 32);
    header.writeUInt16LE(1, 36);
    header.writeUInt16LE(3, 38);
    header.writeUInt16LE(4096, 40);
    header.writeUInt16LE(chunkCount, 42);
    header.writeUInt32LE(crc32(header.subarray(0, 120)) >>> 0, 124);
    return header;
}

/** An EVTX log of one chunk holding `records`, laid out as Sysmon's are. */
export function syntheticEvtx(records: readonly SyntheticRecord[]): Buffer {
    const writer = new ChunkWriter();
    let lastRecordAt = FIRST_RECORD_AT;
    for (const record of records) {
        lastRecordAt = writer.pos;
        writeRecord(writer, record);
    }
    const chunk = writer.bytes;
    chunk.write('ElfChnk\0', 0, 'latin1');
    const first = records[0]?.recordId ?? 1;
    const last = records.at(-1)?.recordId ?? 0;
    for (const [at, value] of [
        [8, 1],
        [16, records.length],
        [24, first],
        [32, last],
    ] as const)
        chunk.writeBigUInt64LE(BigInt(value), at);
    chunk.writeUInt32LE(128, 40);
    chunk.writeUInt32LE(lastRecordAt, 44);
    chunk.writeUInt32LE(writer.pos, 48);
    chunk.writeUInt32LE(crc32(chunk.subarray(FIRST_RECORD_AT, writer.pos)) >>> 0, 52);
    chunk.writeUInt32LE(
        crc32(Buffer.concat([chunk.subarray(0, 120), chunk.subarray(128, FIRST_RECORD_AT)])) >>> 0,
        124,
    );
    return Buffer.concat([fileHeader(1, last + 1), chunk]);
}
