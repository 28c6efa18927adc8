/**
 * The substitution values @ts-evtx/core 1.1.1 misreads, each pinned with small byte fixtures built here: first the
 * decoder alone, then whole synthetic logs (test/helpers/syntheticEvtx.ts, laid out as Sysmon writes them) read by
 * `readEvtxRecords`, so the library's template rendering and our value decoding are exercised together.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanEventXml } from '../../../../shared/ingest/eventXml';
import { ingestBatch } from '../../../../shared/ingest/ingestBatch';
import {
    REVIEWED_EVTX_LIBRARY_VERSION,
    assertReviewedLibraryVersion,
    readEvtxRecords,
} from '../../../../tools/replay/evtxReader';
import {
    OwnedValueType,
    declaredValueCount,
    decodeOwnedValue,
    installSubstitutionValueDecoding,
    renderFileTime,
} from '../../../../tools/replay/evtxSubstitutionValues';
import type { ValueParserPrototype } from '../../../../tools/replay/evtxSubstitutionValues';
import { readRecordingBatches } from '../../../../tools/replay/recordingReader';
import { syntheticEvtx, values } from '../../../helpers/syntheticEvtx';
import type { SubstitutionValue, SyntheticRecord } from '../../../helpers/syntheticEvtx';

const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-evtx-values-'));
let files = 0;

function bytes(...values: number[]): Uint8Array {
    return Uint8Array.from(values);
}

/** Writes a one-record log with these EventData fields and returns each rendered `<Data>` by name. */
async function renderFields(fields: SyntheticRecord['fields']): Promise<Record<string, string>> {
    const xml = await renderXml([{ recordId: 1, fields }]);
    const scanned = scanEventXml(xml[0]!, { maxDepth: 64 });
    if (!scanned.ok) throw new Error(scanned.detail);
    return Object.fromEntries(scanned.events[0]!.data);
}

async function renderXml(records: SyntheticRecord[]): Promise<string[]> {
    const path = join(dir, `log-${files++}.evtx`);
    writeFileSync(path, syntheticEvtx(records));
    const xml: string[] = [];
    for await (const item of readEvtxRecords(path)) {
        if (item.kind !== 'record') throw new Error(item.detail);
        xml.push(item.xml);
    }
    return xml;
}

/** `name` followed by a string sentinel: the sentinel reads back intact only if `value` was read at its full width. */
function withSentinel(name: string, value: SubstitutionValue): [string, SubstitutionValue][] {
    return [
        [name, value],
        ['After', values.string('sentinel')],
    ];
}

describe('decodeOwnedValue: the value types decoded here, from their declared bytes', () => {
    it('Boolean (0x0D): Windows writes 4 bytes; 1 and 2 bytes read too; any non-zero is true; other widths are not ours', () => {
        expect(decodeOwnedValue(OwnedValueType.Boolean, bytes(1, 0, 0, 0))).toBe(true);
        expect(decodeOwnedValue(OwnedValueType.Boolean, bytes(0, 0, 0, 0))).toBe(false);
        expect(decodeOwnedValue(OwnedValueType.Boolean, bytes(0, 0, 0, 1))).toBe(true); // non-zero in the high byte
        expect(decodeOwnedValue(OwnedValueType.Boolean, bytes(1))).toBe(true); // the 1-byte form MS-EVEN6 describes
        expect(decodeOwnedValue(OwnedValueType.Boolean, bytes(0, 0))).toBe(false);
        expect(decodeOwnedValue(OwnedValueType.Boolean, bytes())).toBeUndefined();
        expect(decodeOwnedValue(OwnedValueType.Boolean, bytes(1, 0, 0, 0, 0))).toBeUndefined();
    });

    it('SizeT (0x10): 4 bytes as a number, 8 bytes as a bigint, other widths are not ours', () => {
        expect(decodeOwnedValue(OwnedValueType.SizeT, bytes(0x78, 0x56, 0x34, 0x12))).toBe(0x12345678);
        expect(decodeOwnedValue(OwnedValueType.SizeT, bytes(0, 0, 0, 0, 0x80, 0xf8, 0xff, 0xff))).toBe(
            0xfffff88000000000n,
        );
        expect(decodeOwnedValue(OwnedValueType.SizeT, bytes(1, 0))).toBeUndefined();
    });

    it('FileTime (0x11): ISO 8601 UTC with all seven digits of its 100 ns ticks', () => {
        // 2019-05-02T14:48:53.9507507Z = 132012821339507507 ticks since 1601 = 0x01D500F629BD0B33
        expect(decodeOwnedValue(OwnedValueType.FileTime, bytes(0x33, 0x0b, 0xbd, 0x29, 0xf6, 0x00, 0xd5, 0x01))).toBe(
            '2019-05-02T14:48:53.9507507Z',
        );
        expect(renderFileTime(0n)).toBe('1601-01-01T00:00:00.0000000Z');
        expect(renderFileTime(116_444_736_000_000_001n)).toBe('1970-01-01T00:00:00.0000001Z');
        expect(renderFileTime(116_444_735_999_999_999n)).toBe('1969-12-31T23:59:59.9999999Z');
        expect(renderFileTime(0xffffffffffffffffn)).toBe('18446744073709551615'); // past year 9999: the ticks
        expect(decodeOwnedValue(OwnedValueType.FileTime, bytes(1, 2, 3, 4))).toBeUndefined();
    });

    it('SystemTime (0x12): the eight 16-bit fields as UTC, whatever the local time zone', () => {
        const fields = [2019, 5, 4, 2, 14, 48, 53, 950]; // year, month, weekday, day, hour, minute, second, ms
        const systemTime = Uint8Array.from(fields.flatMap((field) => [field & 0xff, field >> 8]));
        expect(decodeOwnedValue(OwnedValueType.SystemTime, systemTime)).toBe('2019-05-02T14:48:53.950Z');
        expect(decodeOwnedValue(OwnedValueType.SystemTime, systemTime.subarray(0, 8))).toBeUndefined();
    });

    it('every other type is left to the library', () => {
        for (const type of [0x00, 0x01, 0x04, 0x06, 0x08, 0x0a, 0x0f, 0x13, 0x14, 0x15, 0x21, 0x81])
            expect(decodeOwnedValue(type, bytes(1, 0, 0, 0))).toBeUndefined();
    });
});

describe("declaredValueCount: where the format puts a record's value count", () => {
    const log = syntheticEvtx([{ recordId: 1, fields: [['A', values.string('x')]] }]);
    const chunk = log.subarray(4096);

    it('reads the count behind the inline template definition: 18 in a record laid out as Windows writes it', () => {
        expect(declaredValueCount(chunk, 0x200)).toBe(18);
        const six = syntheticEvtx([{ recordId: 1, systemValueCount: 6, fields: [['A', values.string('x')]] }]);
        expect(declaredValueCount(six.subarray(4096), 0x200)).toBe(6);
    });

    it('is undefined for a record that is not a fragment with a template instance, or is cut short', () => {
        const other = Buffer.from(chunk);
        other[0x200 + 0x18] = 0x01; // an element where the fragment header belongs
        expect(declaredValueCount(other, 0x200)).toBeUndefined();
        expect(declaredValueCount(chunk.subarray(0, 0x200 + 0x20), 0x200)).toBeUndefined();
        expect(declaredValueCount(chunk.subarray(0, 0x200 + 0x18 + 14 + 10), 0x200)).toBeUndefined();
    });
});

describe('installSubstitutionValueDecoding around a value parser', () => {
    /** A stand-in for the library's reader and parser: reads one byte for every type, as 1.1.1 does for Booleans. */
    function fakeParser(data: number[]) {
        let position = 0;
        const calls: [number, number | undefined][] = [];
        const prototype: ValueParserPrototype = {
            parse(type, expectedLength) {
                calls.push([type, expectedLength]);
                const value = data[this.r.tell()];
                this.r.seek(this.r.tell() + 1);
                return { value, consumedBytes: 1 };
            },
        };
        const reader = {
            tell: () => position,
            seek: (to: number) => void (position = to),
            size: data.length,
            bytesAt: (offset: number, length: number) => Uint8Array.from(data.slice(offset, offset + length)),
        };
        return { prototype, reader, calls };
    }

    it('a value with a declared size leaves the reader at its end whoever decodes it; without one the library decides', () => {
        const { prototype, reader, calls } = fakeParser([1, 0, 0, 0, 7, 0, 9]);
        installSubstitutionValueDecoding(prototype);
        const parser = { r: reader };
        expect(prototype.parse.call(parser, OwnedValueType.Boolean, 4)).toEqual({ value: true, consumedBytes: 4 });
        expect(reader.tell()).toBe(4);
        expect(calls).toEqual([]); // decoded here, the library not asked
        expect(prototype.parse.call(parser, 0x06, 2)).toEqual({ value: 7, consumedBytes: 2 }); // library's value...
        expect(reader.tell()).toBe(6); // ...but the declared width
        expect(prototype.parse.call(parser, 0x04)).toEqual({ value: 9, consumedBytes: 1 });
        expect(calls).toEqual([
            [0x06, 2],
            [0x04, undefined],
        ]);
    });

    it('a declared size past the end of the buffer is left to the library, which reports damage its own way', () => {
        const { prototype, reader, calls } = fakeParser([1, 0]);
        installSubstitutionValueDecoding(prototype);
        prototype.parse.call({ r: reader }, OwnedValueType.Boolean, 4);
        expect(calls).toEqual([[OwnedValueType.Boolean, 4]]);
    });

    it('a parser without `parse` is refused, and so is any library version but the reviewed one', () => {
        expect(() => installSubstitutionValueDecoding({} as ValueParserPrototype)).toThrow(/needs review/);
        const manifest = JSON.parse(readFileSync(join(__dirname, '../../../../package.json'), 'utf8')) as {
            devDependencies: Record<string, string>;
        };
        expect(manifest.devDependencies['@ts-evtx/core']).toBe(REVIEWED_EVTX_LIBRARY_VERSION); // pinned together
        expect(() => assertReviewedLibraryVersion(REVIEWED_EVTX_LIBRARY_VERSION)).not.toThrow();
        expect(() => assertReviewedLibraryVersion('1.2.0')).toThrow(
            '@ts-evtx/core 1.2.0 is installed; its substitution value decoding was reviewed for 1.1.1 only',
        );
    });

    it('installing twice wraps once', () => {
        const { prototype, reader, calls } = fakeParser([5, 0, 0, 0]);
        installSubstitutionValueDecoding(prototype);
        const wrapped = prototype.parse;
        installSubstitutionValueDecoding(prototype);
        expect(prototype.parse).toBe(wrapped);
        prototype.parse.call({ r: reader }, 0x08, 4);
        expect(calls).toHaveLength(1);
    });
});

describe('synthetic EVTX logs laid out as Sysmon writes them, read by readEvtxRecords', () => {
    const timeZone = process.env.TZ;
    afterEach(() => {
        if (timeZone === undefined) delete process.env.TZ;
        else process.env.TZ = timeZone;
    });

    /** Sysmon's network connection event (EID 3), its fields in Sysmon's order and Binary XML types. */
    const networkConnection: SyntheticRecord['fields'] = [
        ['RuleName', values.string('')],
        ['UtcTime', values.string('2019-05-02 14:48:51.664')],
        ['ProcessGuid', values.guid('{365abb72-0244-5ccb-0000-00109ae70b00}')],
        ['ProcessId', values.uint32(1508)],
        ['Image', values.string('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe')],
        ['User', values.string('IEWIN7\\IEUser')],
        ['Protocol', values.string('tcp')],
        ['Initiated', values.boolean(1)],
        ['SourceIsIpv6', values.boolean(0)],
        ['SourceIp', values.string('10.0.2.15')],
        ['SourceHostname', values.string('IEWIN7.home')],
        ['SourcePort', values.uint16(49178)],
        ['SourcePortName', values.string('')],
        ['DestinationIsIpv6', values.boolean(0)],
        ['DestinationIp', values.string('151.101.36.133')],
        ['DestinationHostname', values.string('')],
        ['DestinationPort', values.uint16(443)],
        ['DestinationPortName', values.string('https')],
    ];

    it('EID 3: the three 4-byte Booleans read as true/false and every address, host name and port after them is intact', async () => {
        expect(await renderFields(networkConnection)).toEqual({
            RuleName: '',
            UtcTime: '2019-05-02 14:48:51.664',
            ProcessGuid: '{365ABB72-0244-5CCB-0000-00109AE70B00}',
            ProcessId: '1508',
            Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
            User: 'IEWIN7\\IEUser',
            Protocol: 'tcp',
            Initiated: 'true',
            SourceIsIpv6: 'false',
            SourceIp: '10.0.2.15',
            SourceHostname: 'IEWIN7.home',
            SourcePort: '49178',
            SourcePortName: '',
            DestinationIsIpv6: 'false',
            DestinationIp: '151.101.36.133',
            DestinationHostname: '',
            DestinationPort: '443',
            DestinationPortName: 'https',
        });
    });

    it('EID 3 reaches the normalized event with its addresses and ports', async () => {
        const path = join(dir, `log-${files++}.evtx`);
        writeFileSync(path, syntheticEvtx([{ recordId: 10272, fields: networkConnection }]));
        const messages = [];
        for await (const batch of readRecordingBatches(path, 16, '0')) messages.push(...batch);
        const { events, report } = ingestBatch(messages, new Date('2026-01-01T00:00:00Z'));
        expect(report).toMatchObject({ received: 1, accepted: 1 });
        expect(events[0]).toMatchObject({
            eventId: 3,
            host: 'SYNTH',
            recordId: 10272,
            processGuid: '365abb72-0244-5ccb-0000-00109ae70b00',
            initiated: true,
            sourceIp: '10.0.2.15',
            sourcePort: 49178,
            destinationIp: '151.101.36.133',
            destinationPort: 443,
        });
    });

    it('Boolean: the 1-byte form and a 4-byte true with a high byte set both read, and the next value stays aligned', async () => {
        expect(await renderFields(withSentinel('Flag', values.boolean(1, 1)))).toEqual({
            Flag: 'true',
            After: 'sentinel',
        });
        expect(await renderFields(withSentinel('Flag', values.boolean(0x01000000)))).toEqual({
            Flag: 'true',
            After: 'sentinel',
        });
        expect(await renderFields(withSentinel('Flag', values.boolean(0)))).toEqual({
            Flag: 'false',
            After: 'sentinel',
        });
    });

    it('SizeT: 8 bytes read whole (the library read 4), 4 bytes too', async () => {
        expect(await renderFields(withSentinel('Size', values.sizeT(0x1_0000_0002n, 8)))).toEqual({
            Size: '4294967298',
            After: 'sentinel',
        });
        expect(await renderFields(withSentinel('Size', values.sizeT(0x10n, 4)))).toEqual({
            Size: '16',
            After: 'sentinel',
        });
    });

    it('FileTime: in EventData and in System TimeCreated, to 100 ns', async () => {
        const [xml] = await renderXml([
            { recordId: 1, fields: withSentinel('When', values.fileTime(132_012_821_339_507_507n)) },
        ]);
        expect(xml).toContain('<TimeCreated SystemTime="2019-05-02T14:48:53.9507507Z">');
        expect(xml).toContain('<Data Name="When">2019-05-02T14:48:53.9507507Z</Data>');
        expect(xml).toContain('<Data Name="After">sentinel</Data>');
    });

    it('SystemTime: UTC even when the process runs in another time zone', async () => {
        process.env.TZ = 'America/New_York';
        expect(await renderFields(withSentinel('When', values.systemTime([2019, 5, 4, 2, 14, 48, 53, 950])))).toEqual({
            When: '2019-05-02T14:48:53.950Z',
            After: 'sentinel',
        });
    });

    it('any value read narrower than declared (a UInt16 declared 4 bytes wide) no longer shifts the values after it', async () => {
        expect(await renderFields(withSentinel('Port', values.raw(0x06, [0xbb, 0x01, 0x00, 0x00])))).toEqual({
            Port: '443',
            After: 'sentinel',
        });
    });

    it("a record whose value array the library does not find (6 values instead of Windows' 18) is unreadable, not filled with other bytes", async () => {
        const path = join(dir, `log-${files++}.evtx`);
        writeFileSync(
            path,
            syntheticEvtx([
                { recordId: 1, systemValueCount: 6, fields: networkConnection },
                { recordId: 2, fields: networkConnection },
            ]),
        );
        const items = [];
        for await (const item of readEvtxRecords(path)) items.push(item);
        expect(items.map((item) => (item.kind === 'record' ? 'record' : item.detail))).toEqual([
            'chunk 0 at byte 4096, record at chunk offset 512: the record declares 6 substitution values, the renderer found 0',
            'record',
        ]);
    });

    it('the types left to the library render as before: string, UInt16/32, GUID, HexInt32', async () => {
        expect(
            await renderFields([
                ['Text', values.string('a<b & "c"')],
                ['Port', values.uint16(65535)],
                ['Pid', values.uint32(4294967295)],
                ['Guid', values.guid('{5770385f-c22a-43e0-bf4c-06f5698ffbd9}')],
                ['GrantedAccess', values.hex32(0x1fffff)],
            ]),
        ).toEqual({
            Text: 'a<b & "c"',
            Port: '65535',
            Pid: '4294967295',
            Guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}',
            GrantedAccess: '0x1fffff',
        });
    });
});
