/**
 * @module Our decoding of the EVTX substitution values @ts-evtx/core 1.1.1 gets wrong, installed around its value
 * parser. Facts and sources: docs/evtx.md ("Substitution values").
 *
 * A record's Binary XML is a template plus an array of substitution values: a count, one descriptor per value (its
 * size in bytes and its value type), then the values back to back (libyal "Windows XML Event Log (EVTX) format",
 * "Template instance data"). The library reads each value from the current position and then carries on from
 * wherever that read stopped, never from where the descriptor's size says the next value starts, so one value read
 * with the wrong width shifts every later value of the record. It reads a Boolean (type 0x0D) as one byte, as the
 * MS-EVEN6 text describes it, but Windows writes `win:Boolean` as a 4-byte BOOL (libyal: "32-bit integer"; the evtx
 * crate issue omerbenamram/evtx#206 sees the same). Sysmon's network connection event (EID 3) carries three Booleans
 * before its addresses and ports, so everything after `Initiated` came out shifted by 3 bytes per Boolean.
 *
 * The wrapper: every value that has a descriptor is decoded from exactly its declared bytes, and the reader is left at
 * the declared end, whatever the value type. The types the library decodes wrongly are decoded here; the others
 * (strings, integers, GUIDs, SIDs, hex integers, binary, nested Binary XML, string arrays) stay the library's.
 */

/** Binary XML value types (MS-EVEN6 2.2.18, libyal "Value types") decoded here rather than by the library. */
export const OwnedValueType = {
    /** 0x0D BoolType: Windows writes a 4-byte BOOL; any declared width is read, non-zero is true. */
    Boolean: 0x0d,
    /** 0x10 SizeTType: 4 or 8 bytes, whichever the descriptor declares (the library always reads 4). */
    SizeT: 0x10,
    /** 0x11 FileTimeType: rendered to the 100 ns the format holds (the library keeps milliseconds). */
    FileTime: 0x11,
    /** 0x12 SysTimeType: a UTC SYSTEMTIME (the library builds it in the machine's local time zone). */
    SystemTime: 0x12,
} as const;

/** What a value decodes to, in the form the library's XML renderer turns into text (`String(value)` for these types). */
export type DecodedValue = boolean | number | bigint | string;

/** 100 ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const TICKS_PER_MS = 10_000n;

function littleEndian(bytes: Uint8Array): bigint {
    let value = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number);
    return value;
}

function pad(value: number, width: number): string {
    return String(value).padStart(width, '0');
}

/**
 * A FILETIME as ISO 8601 UTC with all seven fraction digits (100 ns), e.g. `2019-05-02T14:48:53.9507507Z`, the
 * resolution Windows renders `SystemTime` with. Dates past year 9999 come back as the tick count.
 */
export function renderFileTime(ticks: bigint): string {
    const sinceUnix = ticks - FILETIME_UNIX_EPOCH;
    const ms = sinceUnix >= 0n ? sinceUnix / TICKS_PER_MS : -((-sinceUnix + TICKS_PER_MS - 1n) / TICKS_PER_MS);
    const date = new Date(Number(ms));
    if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1601 || date.getUTCFullYear() > 9999)
        return ticks.toString();
    const subMillisecond = Number(sinceUnix - ms * TICKS_PER_MS); // 0-9999 ticks
    return `${date.toISOString().slice(0, 19)}.${pad(date.getUTCMilliseconds(), 3)}${pad(subMillisecond, 4)}Z`;
}

/** A SYSTEMTIME (eight little-endian 16-bit fields: year, month, weekday, day, hour, minute, second, ms) in UTC. */
export function renderSystemTime(bytes: Uint8Array): string {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const field = (index: number): number => view.getUint16(index * 2, true);
    return (
        `${pad(field(0), 4)}-${pad(field(1), 2)}-${pad(field(3), 2)}T` +
        `${pad(field(4), 2)}:${pad(field(5), 2)}:${pad(field(6), 2)}.${pad(field(7), 3)}Z`
    );
}

/**
 * Decodes one substitution value from exactly its declared bytes, for the types in `OwnedValueType`; `undefined` for
 * every other type (the library's decoding is right for them once it starts at the right place) and for a width the
 * type cannot have, which the library then reads as before.
 */
export function decodeOwnedValue(type: number, bytes: Uint8Array): DecodedValue | undefined {
    switch (type) {
        case OwnedValueType.Boolean:
            return bytes.length >= 1 && bytes.length <= 4 ? littleEndian(bytes) !== 0n : undefined;
        case OwnedValueType.SizeT:
            if (bytes.length === 4) return Number(littleEndian(bytes));
            return bytes.length === 8 ? littleEndian(bytes) : undefined;
        case OwnedValueType.FileTime:
            return bytes.length === 8 ? renderFileTime(littleEndian(bytes)) : undefined;
        case OwnedValueType.SystemTime:
            return bytes.length === 16 ? renderSystemTime(bytes) : undefined;
        default:
            return undefined;
    }
}

/** The library's reader, as far as the wrapper uses it. */
interface LibraryReader {
    tell(): number;
    seek(position: number): void;
    readonly size: number;
    bytesAt(offset: number, length: number): Uint8Array;
}

interface ParseResult {
    value: unknown;
    consumedBytes: number;
}

/** `VariantValueParser.prototype` of @ts-evtx/core 1.1.1 (dist/src/evtx/VariantValueParser.js). */
export interface ValueParserPrototype {
    parse: (this: { r: LibraryReader }, type: number, expectedLength?: number) => ParseResult;
}

const INSTALLED = Symbol.for('hollowtrace.evtxSubstitutionValues');

/**
 * Wraps the library's `parse(type, declaredSize)` so that a value with a declared size is decoded from those bytes
 * (here for the owned types, else by the library) and the reader always ends at the declared end. Calls without a
 * declared size (values inside the template itself) stay the library's. Idempotent.
 */
export function installSubstitutionValueDecoding(prototype: ValueParserPrototype): void {
    const marked = prototype as ValueParserPrototype & { [INSTALLED]?: true };
    if (marked[INSTALLED]) return;
    const libraryParse = prototype.parse;
    if (typeof libraryParse !== 'function')
        throw new Error('@ts-evtx/core: VariantValueParser.prototype.parse not found; the EVTX value fix needs review');
    prototype.parse = function parse(this: { r: LibraryReader }, type: number, declaredSize?: number): ParseResult {
        if (declaredSize === undefined) return libraryParse.call(this, type);
        const start = this.r.tell();
        const end = start + declaredSize;
        // A declared size past the buffer is damage: the library's own handling (it catches and reports) applies.
        if (end > this.r.size) return libraryParse.call(this, type, declaredSize);
        const ours = decodeOwnedValue(type, this.r.bytesAt(start, declaredSize));
        const value = ours !== undefined ? ours : libraryParse.call(this, type, declaredSize).value;
        this.r.seek(end);
        return { value, consumedBytes: declaredSize };
    };
    Object.defineProperty(prototype, INSTALLED, { value: true });
}

/** Record layout (libyal "Event record"): a 24-byte header, then the record's Binary XML. */
const RECORD_HEADER_SIZE = 0x18;
const FRAGMENT_HEADER_TOKEN = 0x0f;
const TEMPLATE_INSTANCE_TOKEN = 0x0c;
/** Template instance: token, one unknown byte, template id (4), definition offset (4). */
const TEMPLATE_INSTANCE_SIZE = 10;
/** Template definition header: next definition offset (4), GUID (16), data size (4), then the data. */
const TEMPLATE_DEFINITION_HEADER_SIZE = 24;

/**
 * The number of substitution values the record at `recordOffset` of `chunk` declares, read where the format puts it:
 * after the fragment header, the template instance and, when the definition follows inline (its offset points right
 * behind the instance), the definition. `undefined` when the record is not a template instance or is cut short.
 * The library finds this count by adding up the lengths of the nodes it parsed, which lands on it only for some
 * counts (docs/evtx.md); comparing the two catches a record it would fill with the wrong bytes.
 */
export function declaredValueCount(chunk: Uint8Array, recordOffset: number): number | undefined {
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = recordOffset + RECORD_HEADER_SIZE;
    if (at + 4 + TEMPLATE_INSTANCE_SIZE > chunk.length) return undefined;
    if (chunk[at] !== FRAGMENT_HEADER_TOKEN || chunk[at + 4] !== TEMPLATE_INSTANCE_TOKEN) return undefined;
    at += 4;
    const definitionAt = view.getUint32(at + 6, true);
    at += TEMPLATE_INSTANCE_SIZE;
    if (definitionAt === at) {
        if (at + TEMPLATE_DEFINITION_HEADER_SIZE > chunk.length) return undefined;
        at += TEMPLATE_DEFINITION_HEADER_SIZE + view.getUint32(at + 20, true);
    }
    return at + 4 <= chunk.length ? view.getUint32(at, true) : undefined;
}
