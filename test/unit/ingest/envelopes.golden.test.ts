/**
 * Golden tests for every feed envelope `ingestBatch` accepts (docs/architecture.md, "Feed shapes"), on the small
 * fixtures in test/fixtures/feeds (provenance in test/fixtures/README.md). Each fixture holds the same 6 Sysmon
 * events: 4 recorded (OTRF Security-Datasets `psh_mavinject_dll_notepad`: EID 1, 10, 8, 7) and 2 hand-written
 * (EID 25 edge cases, EID 13 not correlated).
 *
 * Goldens: `test/fixtures/feeds/<fixture>.golden.json` = `{ report, events }` of the string delivery.
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/ingest/envelopes.golden.test.ts` rewrites them; review every diff by eye.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestBatch } from '../../../shared/ingest/ingestBatch';
import type { IngestMessage, IngestResult } from '../../../shared/ingest/ingestBatch';
import type { SysmonEvent } from '../../../shared/sysmon/types';

const FEEDS_DIR = resolve(__dirname, '../../fixtures/feeds');
const NOW = new Date('2026-01-01T00:00:00Z');
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

interface Fixture {
    file: string;
    /** `.jsonl`: one Event Hub message per line; `.json` / `.xml`: the whole file is one message. */
    perLine: boolean;
    json: boolean;
    /** The fixture carries an EventRecordID (invented 1001..1006, see the README); the LA `Event` table has none. */
    hasRecordIds: boolean;
}

const FIXTURES: readonly Fixture[] = [
    { file: 'flat.jsonl', perLine: true, json: true, hasRecordIds: false },
    { file: 'nxlog.jsonl', perLine: true, json: true, hasRecordIds: true },
    { file: 'la-export-event.json', perLine: false, json: true, hasRecordIds: false },
    { file: 'la-export-windowsevent.json', perLine: false, json: true, hasRecordIds: true },
    { file: 'winlogbeat.jsonl', perLine: true, json: true, hasRecordIds: true },
    { file: 'raw-event.xml', perLine: false, json: false, hasRecordIds: true },
    { file: 'raw-events.xml', perLine: false, json: false, hasRecordIds: true },
];
/** The fixtures that hold all 6 events (raw-event.xml holds only the EID 10). */
const FULL_FIXTURES = FIXTURES.filter((f) => f.file !== 'raw-event.xml');

function readFixture(file: string): string {
    return readFileSync(resolve(FEEDS_DIR, file), 'utf8');
}

/** The bodies as the Functions host delivers them when the payload is a string. */
function bodiesOf(fixture: Fixture): string[] {
    const text = readFixture(fixture.file);
    return fixture.perLine ? text.split('\n').filter((line) => line.trim() !== '') : [text];
}

/** Wraps bodies as Event Hub messages with coordinates, as the trigger adapter hands them over. */
function messagesOf(bodies: readonly unknown[], partitionId = '0', firstSequenceNumber = 0): IngestMessage[] {
    return bodies.map((body, i) => ({ body, partitionId, sequenceNumber: firstSequenceNumber + i }));
}

function ingest(bodies: readonly unknown[]): IngestResult {
    return ingestBatch(messagesOf(bodies), NOW);
}

/** Writes the golden under UPDATE_GOLDEN=1, otherwise compares with it (a missing golden fails). */
function expectGolden(name: string, actual: unknown): void {
    const path = resolve(FEEDS_DIR, `${name}.golden.json`);
    if (UPDATE_GOLDEN) {
        writeFileSync(path, JSON.stringify(actual, null, 2) + '\n');
        return;
    }
    if (!existsSync(path)) {
        throw new Error(`golden ${path} is missing: run with UPDATE_GOLDEN=1 and review it before committing`);
    }
    expect(actual).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}

/** An event without its wire position and record id: what every envelope must agree on. */
function meaning(event: SysmonEvent): Omit<SysmonEvent, 'origin' | 'recordId'> {
    const copy: Partial<SysmonEvent> = { ...event };
    delete copy.origin;
    delete copy.recordId;
    return copy as Omit<SysmonEvent, 'origin' | 'recordId'>;
}

const SIX_EVENT_REPORT = {
    received: 6,
    accepted: 5,
    ignored: 1,
    rejected: 0,
    ignoredByReason: { 'event-id-not-correlated': 1 },
    rejectedByReason: {},
    sysmonByEventId: { '1': 1, '7': 1, '8': 1, '10': 1, '13': 1, '25': 1 },
};

describe('feed envelopes: golden { report, events }', () => {
    it.each(FIXTURES.map((f) => [f.file, f] as const))('%s matches its golden', (_file, fixture) => {
        const { report, events, deadLetters } = ingest(bodiesOf(fixture));
        expect(deadLetters).toEqual([]);
        expectGolden(fixture.file, { report, events });
    });

    // Independent of the goldens, so a wrong golden cannot be blessed by UPDATE_GOLDEN=1 alone.
    it.each(FIXTURES.map((f) => [f.file, f] as const))('%s: counts, event ids, record ids', (_file, fixture) => {
        const { report, events, deadLetters } = ingest(bodiesOf(fixture));
        expect(deadLetters).toEqual([]);
        if (fixture.file === 'raw-event.xml') {
            expect(report).toEqual({
                ...SIX_EVENT_REPORT,
                received: 1,
                accepted: 1,
                ignored: 0,
                ignoredByReason: {},
                sysmonByEventId: { '10': 1 },
            });
            expect(events.map((e) => e.eventId)).toEqual([10]);
            expect(events.map((e) => e.recordId)).toEqual([1002]);
            return;
        }
        expect(report).toEqual(SIX_EVENT_REPORT);
        expect(events.map((e) => e.eventId)).toEqual([1, 10, 8, 7, 25]);
        expect(events.map((e) => e.recordId)).toEqual(
            fixture.hasRecordIds
                ? [1001, 1002, 1003, 1004, 1005]
                : [undefined, undefined, undefined, undefined, undefined],
        );
        // Position on the wire: one message per line, or one message with one record per event.
        expect(events.map((e) => [e.origin.messageIndex, e.origin.recordIndex])).toEqual(
            fixture.perLine
                ? [
                      [0, 0],
                      [1, 0],
                      [2, 0],
                      [3, 0],
                      [4, 0],
                  ]
                : [
                      [0, 0],
                      [0, 1],
                      [0, 2],
                      [0, 3],
                      [0, 4],
                  ],
        );
    });
});

describe('feed envelopes: the Functions host may deliver a string, a parsed object or a Buffer', () => {
    it.each(FIXTURES.map((f) => [f.file, f] as const))(
        '%s as Buffers gives the same result as strings',
        (_file, fixture) => {
            const bodies = bodiesOf(fixture);
            const asBuffers = ingest(bodies.map((b) => Buffer.from(b, 'utf8')));
            expect(asBuffers).toEqual(ingest(bodies));
        },
    );

    it.each(FIXTURES.filter((f) => f.json).map((f) => [f.file, f] as const))(
        '%s as already-parsed objects gives the same result as strings',
        (_file, fixture) => {
            const bodies = bodiesOf(fixture);
            const asObjects = ingest(bodies.map((b) => JSON.parse(b) as unknown));
            expect(asObjects).toEqual(ingest(bodies));
        },
    );
});

describe('feed envelopes: all shapes mean the same thing', () => {
    it('the normalized events of every envelope are equal once origin and recordId are removed', () => {
        const reference = ingest(bodiesOf(FIXTURES[0]!)).events.map(meaning);
        expect(reference).toHaveLength(5);
        for (const fixture of FULL_FIXTURES) {
            const events = ingest(bodiesOf(fixture)).events.map(meaning);
            expect({ file: fixture.file, events }).toEqual({ file: fixture.file, events: reference });
        }
        const single = ingest(bodiesOf(FIXTURES.find((f) => f.file === 'raw-event.xml')!)).events.map(meaning);
        expect(single).toEqual([reference[1]]);
    });

    it.each(FULL_FIXTURES.map((f) => [f.file, f] as const))(
        '%s: EID 25 edge cases are normalized',
        (_file, fixture) => {
            const tampering = ingest(bodiesOf(fixture)).events.find((e) => e.eventId === 25);
            expect(tampering && meaning(tampering)).toEqual({
                eventId: 25,
                host: 'WORKSTATION5',
                time: '2020-10-22T01:41:02.517Z',
                timeMs: Date.UTC(2020, 9, 22, 1, 41, 2, 517),
                processGuid: '39e4a257-e32e-5f90-d510-000000000700', // from {39E4A257-E32E-...}
                processId: 0x1eec, // from "0x1eec"
                image: 'C:\\Temp\\a&b<c>.exe', // NXLog &amp; &lt; &gt; and XML escapes decoded
                type: 'Image is replaced',
                user: 'WORKSTATION5\\wardog',
                // RuleName "-" is absent
            });
        },
    );

    it.each(FULL_FIXTURES.map((f) => [f.file, f] as const))(
        '%s: recorded events keep their UtcTime and lower-case GUIDs',
        (_file, fixture) => {
            const [create, access, thread, load] = ingest(bodiesOf(fixture)).events;
            expect(create).toMatchObject({
                eventId: 1,
                time: '2020-10-22T01:40:56.444Z',
                processGuid: '39e4a257-e328-5f90-d310-000000000700',
                processId: 3224,
            });
            expect(access).toMatchObject({
                eventId: 10,
                time: '2020-10-22T01:40:56.458Z',
                grantedAccess: 0x1438,
                targetProcessGuid: '39e4a257-e321-5f90-d210-000000000700',
            });
            expect(thread).toMatchObject({
                eventId: 8,
                startFunction: 'LoadLibraryW',
                sourceProcessGuid: '39e4a257-e328-5f90-d310-000000000700',
            });
            expect(load).toMatchObject({
                eventId: 7,
                time: '2020-10-22T01:40:56.473Z',
                imageLoaded: 'C:\\ProgramData\\T1055.dll',
                signed: false,
            });
            for (const event of [create, access, thread, load]) expect(event?.ruleName).toBeUndefined();
        },
    );
});

describe('Cribl `{ "_raw": ... }` wrapper (ingestBatch.ts header: allowed around any of the shapes)', () => {
    const xml = readFixture('raw-event.xml');

    it('one wrapper around raw-event.xml gives the same result as the bare XML, noting the wrapper', () => {
        const wrapped = ingest([JSON.stringify({ _raw: xml, _time: 1603330856.473 })]);
        expect(wrapped.events.map((e) => e.origin.wrapperIndex)).toEqual([0]);
        const unwrapped = {
            ...wrapped,
            events: wrapped.events.map(({ origin: { wrapperIndex: _w, ...origin }, ...e }) => ({ ...e, origin })),
        };
        expect(unwrapped).toEqual(ingest([xml]));
    });

    // Each wrapper's index is kept as origin.wrapperIndex (the inner recordIndex counts events inside `_raw`),
    // so dead-letter ids of sibling wrappers never collide and none is lost in the store (idempotent by id).
    it('wrappers in one JSON array keep their own index, so dead-letter ids do not collide', () => {
        const body = JSON.stringify([{ _raw: '<Event' }, { _raw: xml }, { _raw: '<Event' }]);
        const result = ingestBatch(messagesOf([body], '3', 7), NOW);
        expect(result.report).toMatchObject({ received: 3, accepted: 1, rejected: 2 });
        expect(result.events.map((e) => [e.origin.wrapperIndex, e.origin.recordIndex])).toEqual([[1, 0]]);
        expect(result.deadLetters.map((l) => l.id)).toEqual(['p3-s7-w0-r0', 'p3-s7-w2-r0']);
    });
});

describe('mixed batch: good envelopes beside bad inputs', () => {
    const flatLines = bodiesOf(FIXTURES[0]!);
    const windowsEventRows = (
        JSON.parse(readFixture('la-export-windowsevent.json')) as { records: Record<string, unknown>[] }
    ).records;
    const eid10Row = windowsEventRows[1]!;
    const eid10WithoutTarget = { ...eid10Row, EventData: { ...(eid10Row.EventData as Record<string, unknown>) } };
    delete (eid10WithoutTarget.EventData as Record<string, unknown>).TargetProcessGUID;
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x45, 0x76, 0xff, 0xfe, 0x22, 0x7d]); // {"Ev<FF><FE>"}
    const winlogbeatLine = bodiesOf(FIXTURES.find((f) => f.file === 'winlogbeat.jsonl')!)[1]!;

    const bodies: unknown[] = [
        /* 0 accepted */ flatLines[0],
        /* 1 not-sysmon */ JSON.stringify({
            EventID: 4688,
            Channel: 'Security',
            Computer: 'WORKSTATION5',
            SourceName: 'Microsoft-Windows-Security-Auditing',
            NewProcessName: 'C:\\Windows\\System32\\mavinject.exe',
        }),
        /* 2 not-sysmon */ JSON.stringify({
            records: [
                {
                    time: '2020-10-22T01:40:57.1000000Z',
                    tenantId: '00000000-0000-0000-0000-000000000000',
                    operationName: 'Publish',
                    category: 'AdvancedHunting-DeviceProcessEvents',
                    properties: {
                        DeviceName: 'workstation5',
                        ActionType: 'ProcessCreated',
                        FileName: 'mavinject.exe',
                        ProcessId: 3224,
                    },
                },
            ],
        }),
        /* 3 malformed-json */ winlogbeatLine.slice(0, 200),
        /* 4 wrong-type */ JSON.stringify({
            EventID: 'abc',
            Channel: 'Microsoft-Windows-Sysmon/Operational',
            Computer: 'WORKSTATION5',
            UtcTime: '2020-10-22 01:40:56.458',
        }),
        /* 5 record 0 accepted, record 1 missing-field */ JSON.stringify({
            records: [windowsEventRows[2], eid10WithoutTarget],
        }),
        /* 6 invalid-utf8 */ invalidUtf8,
        /* 7 xml-dtd-forbidden */
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">' +
            '<System><EventID>1</EventID><Computer>WORKSTATION5</Computer></System><EventData><Data Name="Image">&lol;</Data></EventData></Event>',
        /* 8 accepted */ Buffer.from(readFixture('raw-event.xml'), 'utf8'),
    ];
    const messages: IngestMessage[] = bodies.map((body, i) => ({
        body,
        partitionId: '3',
        sequenceNumber: 500 + i,
        offset: String(8192 + 1024 * i),
        enqueuedTime: '2025-12-31T23:59:00.000Z',
    }));
    const result = ingestBatch(messages, NOW);

    it('each input lands in its named bucket and the counts add up', () => {
        const { report } = result;
        expect(report).toEqual({
            received: 10,
            accepted: 3,
            ignored: 2,
            rejected: 5,
            ignoredByReason: { 'not-sysmon': 2 },
            rejectedByReason: {
                'malformed-json': 1,
                'wrong-type': 1,
                'missing-field': 1,
                'invalid-utf8': 1,
                'xml-dtd-forbidden': 1,
            },
            sysmonByEventId: { '1': 1, '8': 1, '10': 1 },
        });
        expect(report.received).toBe(report.accepted + report.ignored + report.rejected);
        expect(result.events.map((e) => [e.eventId, e.origin.messageIndex, e.origin.recordIndex])).toEqual([
            [1, 0, 0],
            [8, 5, 0],
            [10, 8, 0],
        ]);
    });

    it('dead letters carry reason, position and Event Hub coordinates', () => {
        const letters = result.deadLetters.map((l) => ({
            id: l.id,
            reason: l.reason,
            messageIndex: l.messageIndex,
            recordIndex: l.recordIndex,
            partitionId: l.partitionId,
            sequenceNumber: l.sequenceNumber,
            offset: l.offset,
            enqueuedTime: l.enqueuedTime,
            rejectedAt: l.rejectedAt,
            rawTruncated: l.rawTruncated,
        }));
        const at = (messageIndex: number, recordIndex: number) => ({
            id: `p3-s${500 + messageIndex}-r${recordIndex}`,
            messageIndex,
            recordIndex,
            partitionId: '3',
            sequenceNumber: 500 + messageIndex,
            offset: String(8192 + 1024 * messageIndex),
            enqueuedTime: '2025-12-31T23:59:00.000Z',
            rejectedAt: '2026-01-01T00:00:00.000Z',
            rawTruncated: false,
        });
        expect(letters).toEqual([
            { reason: 'malformed-json', ...at(3, 0) },
            { reason: 'wrong-type', ...at(4, 0) },
            { reason: 'missing-field', ...at(5, 1) },
            { reason: 'invalid-utf8', ...at(6, 0) },
            { reason: 'xml-dtd-forbidden', ...at(7, 0) },
        ]);
    });

    it('dead letters keep the raw input and say which field or rule failed', () => {
        const byReason = new Map(result.deadLetters.map((l) => [l.reason, l]));
        expect(byReason.get('malformed-json')!.raw).toBe(winlogbeatLine.slice(0, 200));
        expect(byReason.get('wrong-type')!.detail).toMatch(/^EventID is string "abc"/);
        expect(byReason.get('missing-field')!.detail).toBe('TargetProcessGUID is missing');
        expect(JSON.parse(byReason.get('missing-field')!.raw)).toEqual(eid10WithoutTarget);
        expect(byReason.get('invalid-utf8')!.raw).toBe(invalidUtf8.toString('base64')); // the exact bytes survive
        expect(byReason.get('invalid-utf8')!.rawBytes).toBe(invalidUtf8.byteLength);
        expect(byReason.get('xml-dtd-forbidden')!.raw).toBe(bodies[7]);
        expect(byReason.get('xml-dtd-forbidden')!.raw).not.toContain('lollol'); // never expanded
    });
});
