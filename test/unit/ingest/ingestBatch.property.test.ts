import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import { DEFAULT_INGEST_LIMITS, ingestBatch } from '../../../shared/ingest/ingestBatch';
import type { IngestLimits, IngestMessage, IngestResult } from '../../../shared/ingest/ingestBatch';
import { FieldBag, normalizeSysmonRecord } from '../../../shared/sysmon/normalize';

const NOW = new Date('2024-05-01T10:20:00.000Z');
const NS = 'http://schemas.microsoft.com/win/2004/08/events/event';
const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';
const GUID = '{3710b5c6-1243-6182-8303-000000000a00}';

const SMALL_LIMITS: IngestLimits = { maxMessageBytes: 400, maxDepth: 4, maxDeadLetterRawChars: 64 };

// ---------------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------------

function flatEventJson(recordId: number, computer: string, eventId: number): string {
    return JSON.stringify({
        EventID: eventId,
        Channel: SYSMON_CHANNEL,
        Computer: computer,
        EventRecordID: recordId,
        UtcTime: '2024-05-01 10:15:01.987',
        ProcessGuid: GUID,
        ProcessId: '4044',
        Image: 'C:\\Windows\\System32\\svchost.exe',
        CommandLine: 'svchost.exe',
    });
}

/** The example of the brief, byte for byte. */
const FLAT_EXAMPLE =
    '{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS01","EventRecordID":7,"UtcTime":"2024-05-01 10:15:01.987","ProcessGuid":"{3710b5c6-1243-6182-8303-000000000a00}","ProcessId":"4044","Image":"C:\\\\Windows\\\\System32\\\\svchost.exe","CommandLine":"svchost.exe"}';

const computerArb = fc.stringMatching(/^[A-Z][A-Z0-9-]{0,10}$/);
/** Event IDs that are correlated (and for which the fields above suffice): 1, 5, 11, 25 need only ProcessGuid. */
const simpleEventIdArb = fc.constantFrom(1, 5, 11, 25);

/** A valid flat Sysmon event: as a JSON string body or as an already parsed object body. */
const validFlatArb: fc.Arbitrary<{ body: unknown; events: number }> = fc.oneof(
    fc.constant({ body: FLAT_EXAMPLE, events: 1 }),
    fc.constant({ body: JSON.parse(FLAT_EXAMPLE) as unknown, events: 1 }),
    fc.tuple(fc.nat(), computerArb, simpleEventIdArb, fc.boolean()).map(([recordId, computer, eventId, asObject]) => {
        const json = flatEventJson(recordId, computer, eventId);
        return { body: asObject ? (JSON.parse(json) as unknown) : json, events: 1 };
    }),
);

function dataItemXml(fields: Record<string, string>): string {
    const data = Object.entries(fields)
        .map(([name, value]) => (value === '' ? `<Data Name="${name}"/>` : `<Data Name="${name}">${value}</Data>`))
        .join('');
    return `<DataItem type="System.XmlData" time="2024-05-01T10:15:02.0000000Z" sourceHealthServiceId="6f1c3d9e-0000-4000-8000-000000000001"><EventData xmlns="${NS}">${data}</EventData></DataItem>`;
}

const eventRowArb = computerArb.map((computer) => ({
    Type: 'Event',
    Source: SYSMON_PROVIDER,
    EventLog: SYSMON_CHANNEL,
    Computer: computer,
    EventID: 1,
    EventData: dataItemXml({
        RuleName: '',
        UtcTime: '2024-05-01 10:15:01.987',
        ProcessGuid: GUID,
        ProcessId: '4044',
        Image: 'C:\\Windows\\explorer.exe',
        ParentImage: '&lt;unknown process&gt;',
    }),
}));

const windowsEventRowArb = fc.tuple(computerArb, fc.nat(), fc.boolean()).map(([computer, recordId, asString]) => {
    const eventData = {
        UtcTime: '2024-05-01 10:15:01.987',
        ProcessGuid: GUID,
        ProcessId: 4044,
        Image: 'C:\\Windows\\explorer.exe',
    };
    return {
        Type: 'WindowsEvent',
        Provider: SYSMON_PROVIDER,
        Channel: SYSMON_CHANNEL,
        Computer: computer,
        EventID: 5,
        EventRecordId: recordId,
        EventData: asString ? JSON.stringify(eventData) : eventData,
    };
});

/** A valid Log Analytics data export message `{"records":[...]}`: string or parsed object body. */
const validExportArb: fc.Arbitrary<{ body: unknown; events: number }> = fc
    .tuple(fc.array(fc.oneof(eventRowArb, windowsEventRowArb), { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([records, asString]) => ({
        body: asString ? JSON.stringify({ records }) : { records },
        events: records.length,
    }));

const validXmlArb: fc.Arbitrary<{ body: unknown; events: number }> = fc
    .tuple(fc.nat(), computerArb)
    .map(([recordId, computer]) => ({
        body:
            `<?xml version="1.0" encoding="utf-8"?><Event xmlns="${NS}"><System><Provider Name="${SYSMON_PROVIDER}"/><EventID>1</EventID>` +
            `<EventRecordID>${recordId}</EventRecordID><Channel>${SYSMON_CHANNEL}</Channel><Computer>${computer}</Computer></System>` +
            `<EventData><Data Name="UtcTime">2024-05-01 10:15:01.987</Data><Data Name="ProcessGuid">${GUID}</Data></EventData></Event>`,
        events: 1,
    }));

const validArb = fc.oneof(validFlatArb, validExportArb, validXmlArb);

/** Field names the ingestion looks at, with values that are sometimes right and often not. */
const keyArb = fc.constantFrom(
    'Type',
    'EventID',
    'EventId',
    'eventId',
    'EventData',
    'RawEventData',
    'winlog',
    'records',
    'Source',
    'EventLog',
    'Computer',
    'Hostname',
    'Provider',
    'Channel',
    'UtcTime',
    'ProcessGuid',
    'ProcessId',
    'GrantedAccess',
    'SourceProcessGUID',
    'TargetProcessGUID',
    'EventRecordID',
    'category',
    'event_id',
    'event_data',
    'host',
    'name',
);
const tempting = fc.constantFrom<unknown>(
    'Event',
    'WindowsEvent',
    SYSMON_PROVIDER,
    SYSMON_CHANNEL,
    'Security',
    1,
    5,
    8,
    10,
    4688,
    '10',
    '0x1fffff',
    'nope',
    '-',
    'N/A',
    '',
    '2024-05-01 10:15:01.987',
    '2024-02-31 10:15:01.987',
    GUID,
    '{not-a-guid}',
    'null',
    '{}',
    '[]',
    '{"UtcTime":1}',
    '<EventData><Data Name="UtcTime">2024-05-01 10:15:01.987</Data></EventData>',
    '<!DOCTYPE x><x/>',
    '<x>&foo;</x>',
    '<a>',
    -1,
    1.5,
    2 ** 60,
    true,
    null,
    [],
    {},
);
const hostileRecordArb: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ rec: Record<string, unknown> }>((tie) => ({
    rec: fc.dictionary(keyArb, fc.oneof({ depthSize: 'small' }, tempting, fc.jsonValue({ maxDepth: 2 }), tie('rec')), {
        maxKeys: 8,
    }),
})).rec;

const randomBodyArb: fc.Arbitrary<unknown> = fc.oneof(
    fc.jsonValue(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.uint8Array({ maxLength: 200 }),
    fc.constant(null),
    fc.constant(undefined),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    hostileRecordArb,
    hostileRecordArb.map((r) => JSON.stringify(r)),
    fc.array(hostileRecordArb, { maxLength: 4 }).map((records) => ({ records })),
    fc.array(hostileRecordArb, { maxLength: 4 }).map((records) => JSON.stringify(records)),
    // Cribl wrapper around anything textual.
    fc
        .oneof(
            fc.string(),
            hostileRecordArb.map((r) => JSON.stringify(r)),
            validArb.map((v) => (typeof v.body === 'string' ? v.body : JSON.stringify(v.body))),
        )
        .map((raw) => ({ _raw: raw })),
    // Valid events in Buffers (valid UTF-8) and with junk around.
    validArb.map((v) => Buffer.from(typeof v.body === 'string' ? v.body : JSON.stringify(v.body), 'utf8')),
    fc.tuple(validArb, fc.nat(), fc.string({ maxLength: 3 })).map(([v, at, junk]) => {
        const text = typeof v.body === 'string' ? v.body : JSON.stringify(v.body);
        const i = at % (text.length + 1);
        return text.slice(0, i) + junk + text.slice(i + 1);
    }),
    // Truncated valid messages (malformed JSON or XML, or a cut that still parses).
    fc.tuple(validArb, fc.nat()).map(([v, at]) => {
        const text = typeof v.body === 'string' ? v.body : JSON.stringify(v.body);
        return text.slice(0, at % (text.length + 1));
    }),
    fc.constantFrom(
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>',
        '<EventData><Data Name="UtcTime">&foo;</Data></EventData>',
        '<EventData><Data Name="UtcTime">&#0;</Data></EventData>',
        '<Event><System></Event></System>',
        '<Events></Events>',
        '<Foo/>',
        ' \uFEFF\r\n\t',
        '[]',
        '{"records":[]}',
    ),
    fc.nat({ max: 60 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.nat({ max: 60 }).map((depth) => '<a>'.repeat(depth) + '</a>'.repeat(depth)),
);

const bodyArb: fc.Arbitrary<unknown> = fc.oneof(
    validArb.map((v) => v.body),
    randomBodyArb,
);

const coordinatesArb = fc.record(
    {
        partitionId: fc.constantFrom('0', '1', '31'),
        sequenceNumber: fc.nat(),
        offset: fc.nat().map(String),
        enqueuedTime: fc.constant('2024-05-01T10:15:02.000Z'),
    },
    { requiredKeys: [] },
);

const messageArb: fc.Arbitrary<IngestMessage> = fc
    .tuple(bodyArb, coordinatesArb)
    .map(([body, coordinates]) => ({ body, ...coordinates }));
const batchArb = fc.array(messageArb, { maxLength: 12 });
const limitsArb = fc.constantFrom(DEFAULT_INGEST_LIMITS, SMALL_LIMITS);

// ---------------------------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------------------------

function sum(counts: Partial<Record<string, number>>): number {
    return Object.values(counts).reduce<number>((total, n) => total + (n ?? 0), 0);
}

/**
 * What is wrong with one dead letter (iii), checked in plain code for the caller to assert once: an expect per field
 * of every letter was most of this file's time.
 */
function deadLetterFaults(letter: IngestResult['deadLetters'][number], limits: IngestLimits): string[] {
    const text = (value: unknown): value is string => typeof value === 'string';
    const checks: [string, boolean][] = [
        ['a reason', text(letter.reason) && letter.reason.length > 0],
        ['a detail', text(letter.detail) && letter.detail.length > 0],
        ['raw text of at most 30,000 characters', text(letter.raw) && letter.raw.length <= 30_000],
        [
            'raw text within maxDeadLetterRawChars',
            text(letter.raw) && letter.raw.length <= limits.maxDeadLetterRawChars,
        ],
        ['an id', text(letter.id) && letter.id.length > 0],
        ['rejectedAt = now', letter.rejectedAt === NOW.toISOString()],
    ];
    const shown = JSON.stringify({ ...letter, raw: String(letter.raw).slice(0, 80) });
    return checks.filter(([, ok]) => !ok).map(([what]) => `no ${what}: ${shown}`);
}

function checkInvariants(result: IngestResult, limits: IngestLimits): void {
    const { report, deadLetters, events } = result;
    // (ii)
    expect(report.received).toBe(report.accepted + report.ignored + report.rejected);
    expect(events.length).toBe(report.accepted);
    // (iii)
    expect(deadLetters.length).toBe(report.rejected);
    expect(deadLetters.flatMap((letter) => deadLetterFaults(letter, limits))).toEqual([]);
    // (iv)
    expect(sum(report.rejectedByReason)).toBe(report.rejected);
    expect(sum(report.ignoredByReason)).toBe(report.ignored);
    const lettersByReason: Record<string, number> = {};
    for (const letter of deadLetters) lettersByReason[letter.reason] = (lettersByReason[letter.reason] ?? 0) + 1;
    expect(lettersByReason).toEqual(report.rejectedByReason);
}

describe('ingestBatch: sanity of the generators', () => {
    it('accepts the example flat event as a string body, an object body and a Buffer body', () => {
        const result = ingestBatch(
            [
                { body: FLAT_EXAMPLE },
                { body: JSON.parse(FLAT_EXAMPLE) as unknown },
                { body: Buffer.from(FLAT_EXAMPLE) },
            ],
            NOW,
        );
        expect(result.report).toMatchObject({ received: 3, accepted: 3, ignored: 0, rejected: 0 });
        expect(result.events[0]).toMatchObject({
            eventId: 1,
            host: 'WS01',
            recordId: 7,
            processGuid: '3710b5c6-1243-6182-8303-000000000a00',
            processId: 4044,
            image: 'C:\\Windows\\System32\\svchost.exe',
            time: '2024-05-01T10:15:01.987Z',
        });
    });

    it('every generated valid input is accepted, and counted once per event', () => {
        fc.assert(
            fc.property(fc.array(validArb, { minLength: 1, maxLength: 8 }), (valid) => {
                const result = ingestBatch(
                    valid.map((v) => ({ body: v.body })),
                    NOW,
                );
                const expected = valid.reduce((n, v) => n + v.events, 0);
                expect(result.deadLetters).toEqual([]);
                expect(result.report).toMatchObject({
                    received: expected,
                    accepted: expected,
                    ignored: 0,
                    rejected: 0,
                });
            }),
            { numRuns: 300 },
        );
    });

    it('keeps at most maxDeadLetterRawChars (30,000 by default) of a huge rejected input and says it truncated', () => {
        const junk = 'x'.repeat(40_000);
        const result = ingestBatch([{ body: junk }], NOW);
        expect(result.deadLetters).toHaveLength(1);
        expect(result.deadLetters[0]).toMatchObject({
            reason: 'unrecognized-format',
            rawTruncated: true,
            rawBytes: 40_000,
        });
        expect(result.deadLetters[0]?.raw.length).toBe(30_000);
    });
});

describe('ingestBatch: properties over arbitrary batches', () => {
    it('(i)-(iv) never throws; counts add up; one dead letter per rejection, bounded and explained', () => {
        fc.assert(
            fc.property(batchArb, limitsArb, (messages, limits) => {
                let result: IngestResult | undefined;
                expect(() => (result = ingestBatch(messages, NOW, limits))).not.toThrow();
                checkInvariants(result as IngestResult, limits);
            }),
            { numRuns: 500 },
        );
    });

    it('(i)-(iv) hold with the default limits on single random values of each kind', () => {
        fc.assert(
            fc.property(randomBodyArb, (body) => {
                let result: IngestResult | undefined;
                expect(() => (result = ingestBatch([{ body }], NOW))).not.toThrow();
                checkInvariants(result as IngestResult, DEFAULT_INGEST_LIMITS);
            }),
            { numRuns: 500 },
        );
    });

    it('(v) is deterministic: the same batch twice (same nonce) gives the same report, dead letters (ids) and events', () => {
        fc.assert(
            fc.property(batchArb, limitsArb, (messages, limits) => {
                const first = ingestBatch(messages, NOW, limits, 'fixed');
                const second = ingestBatch(messages, NOW, limits, 'fixed');
                expect(second.report).toEqual(first.report);
                expect(second.deadLetters.map((d) => d.id)).toEqual(first.deadLetters.map((d) => d.id));
                expect(second.deadLetters).toEqual(first.deadLetters);
                expect(second.events).toEqual(first.events);
            }),
            { numRuns: 300 },
        );
    });

    it('dead-letter ids are unique within a batch when messages carry no Cribl _raw wrapper and no sequence numbers', () => {
        const noRaw = (body: unknown): boolean => {
            try {
                const text =
                    typeof body === 'string'
                        ? body
                        : Buffer.isBuffer(body) || body instanceof Uint8Array
                          ? Buffer.from(body).toString('latin1')
                          : JSON.stringify(body);
                return text === undefined || !text.includes('_raw');
            } catch {
                return true;
            }
        };
        fc.assert(
            fc.property(fc.array(bodyArb.filter(noRaw), { maxLength: 12 }), (bodies) => {
                const result = ingestBatch(
                    bodies.map((body) => ({ body, partitionId: '0' })),
                    NOW,
                );
                const ids = result.deadLetters.map((d) => d.id);
                expect(new Set(ids).size).toBe(ids.length);
            }),
            { numRuns: 300 },
        );
    });
});

describe('ingestBatch: bugs found by the properties', () => {
    // Regression, fixed (ingestBatch.ts, ingestJsonRecord + BatchSink.reject): for a record that JSON.stringify cannot render
    // (undefined, a function, a symbol), `raw()` returns undefined instead of throwing, so safeRawText passes it
    // through and `text.length` throws. Input `ingestBatch([{ body: [undefined] }], now)` (also `{ records: [undefined] }`,
    // `body: Symbol()`): expected one rejection 'unrecognized-format'; actual TypeError "Cannot read properties of
    // undefined (reading 'length')" — contrary to "Bad data never throws".
    it('regression: a record JSON.stringify cannot render is rejected instead of throwing', () => {
        const result = ingestBatch([{ body: [undefined] }, { body: { records: [undefined] } }], NOW);
        expect(result.report).toMatchObject({
            received: 2,
            rejected: 2,
            rejectedByReason: { 'unrecognized-format': 2 },
        });
    });

    // Regression, fixed (ingestBatch.ts, ingestJsonRecord's Cribl `_raw` branch): the inner text is ingested with its own record
    // indexes, so two `_raw` rows of one message (or a `_raw` row next to any other row 0) get the same dead-letter id.
    // The store is idempotent by id, so one dead letter silently overwrites the other.
    // Input body '[{"_raw":"x"},{"_raw":"y"}]': expected 2 distinct ids; actual ['p--m0-r0', 'p--m0-r0'].
    it('regression: two Cribl _raw rows of one message get distinct dead-letter ids (none lost in the store)', async () => {
        const result = ingestBatch([{ body: '[{"_raw":"x"},{"_raw":"y"}]' }], NOW);
        expect(result.report.rejected).toBe(2);
        const store = new InMemoryDeadLetterStore();
        await store.putMany(result.deadLetters);
        expect(await store.list()).toHaveLength(2);
    });

    // Regression, fixed (ingestBatch.ts, ingestMessage): for a too-large Buffer or object body the raw text is already cut to
    // maxDeadLetterRawChars before it reaches BatchSink.reject, so the dead letter says rawTruncated:false and rawBytes
    // of the cut text, not "bytes of the whole rejected input" (deadLetter.ts). Input: Buffer of 200 bytes with
    // { maxMessageBytes: 100, maxDeadLetterRawChars: 50 }: expected rawTruncated true, rawBytes 200; actual false, 50.
    it('regression: a too-large Buffer body is marked rawTruncated with its full byte count', () => {
        const limits = { maxMessageBytes: 100, maxDepth: 32, maxDeadLetterRawChars: 50 };
        const result = ingestBatch([{ body: Buffer.alloc(200, 0x41) }], NOW, limits);
        expect(result.deadLetters[0]).toMatchObject({ reason: 'too-large', rawTruncated: true, rawBytes: 200 });
    });

    // Regression, fixed (ingestBatch.ts, ingestMessage, invalid UTF-8): raw is the base64 text, so rawBytes is the length of the
    // base64 (4 for 3 bytes), not the bytes of the rejected input. Input Buffer [0xff,0xfe,0x41]: expected rawBytes 3,
    // actual 4.
    it('regression: rawBytes of an invalid UTF-8 body counts the input bytes, not its base64', () => {
        const result = ingestBatch([{ body: Buffer.from([0xff, 0xfe, 0x41]) }], NOW);
        expect(result.deadLetters[0]).toMatchObject({ reason: 'invalid-utf8', rawBytes: 3 });
    });
});

describe('ingestBatch: JSON nesting limit', () => {
    const reasonsOf = (body: unknown, limits: IngestLimits = DEFAULT_INGEST_LIMITS): Partial<Record<string, number>> =>
        ingestBatch([{ body }], NOW, limits).report.rejectedByReason;

    it('rejects a string or object body nested deeper than maxDepth, and reads one exactly at it', () => {
        const nested = (depth: number): string => `${'['.repeat(depth - 1)}${FLAT_EXAMPLE}${']'.repeat(depth - 1)}`;
        expect(reasonsOf(nested(33))).toEqual({ 'nesting-too-deep': 1 });
        expect(reasonsOf(JSON.parse(nested(33)))).toEqual({ 'nesting-too-deep': 1 });
        expect(reasonsOf(nested(32))).toEqual({ 'unrecognized-format': 1 }); // deep enough to be read, but no event shape
        expect(reasonsOf(`[${FLAT_EXAMPLE}]`)).toEqual({});
    });

    it('counts only real nesting: braces inside string values (GUIDs) do not make a flat event too deep', () => {
        const braces = JSON.stringify({
            ...(JSON.parse(FLAT_EXAMPLE) as object),
            CommandLine: '{'.repeat(50) + '['.repeat(50),
        });
        expect(ingestBatch([{ body: braces }], NOW, { ...DEFAULT_INGEST_LIMITS, maxDepth: 2 }).report).toMatchObject({
            accepted: 1,
            rejected: 0,
        });
        expect(reasonsOf(`{"records":[{"a":{"b":{}}}]}`, { ...DEFAULT_INGEST_LIMITS, maxDepth: 3 })).toEqual({
            'nesting-too-deep': 1,
        });
    });

    it('a body given as text and the same body already parsed get the same depth verdict', () => {
        const limits = { ...DEFAULT_INGEST_LIMITS, maxDepth: 4 };
        fc.assert(
            fc.property(fc.jsonValue({ maxDepth: 7 }), (value) => {
                const fromText = reasonsOf(JSON.stringify(value), limits)['nesting-too-deep'] ?? 0;
                const fromObject = reasonsOf(value, limits)['nesting-too-deep'] ?? 0;
                expect(fromText).toBe(fromObject);
            }),
            { numRuns: 500 },
        );
    });

    it('rejects a Log Analytics WindowsEvent row whose EventData JSON string nests too deep', () => {
        const row = (eventData: string): string =>
            JSON.stringify({
                records: [
                    {
                        Type: 'WindowsEvent',
                        Provider: 'Microsoft-Windows-Sysmon',
                        Channel: SYSMON_CHANNEL,
                        EventID: 1,
                        Computer: 'ws1',
                        EventData: eventData,
                    },
                ],
            });
        const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
        expect(
            ingestBatch([{ body: row(deep) }], NOW).deadLetters.map((l) => [
                l.reason,
                l.detail.startsWith('EventData'),
            ]),
        ).toEqual([['nesting-too-deep', true]]);
        // Braces inside its strings are not nesting.
        expect(
            reasonsOf(
                row(
                    JSON.stringify({
                        UtcTime: '2024-05-01 10:15:01.987',
                        ProcessGuid: '{3710b5c6-1243-6182-8303-000000000a00}',
                        CommandLine: '{'.repeat(40),
                    }),
                ),
            ),
        ).toEqual({});
    });
});

describe('ingestBatch: flat records of other channels', () => {
    it('ignores them as not-sysmon exactly when normalization would, for any channel value', () => {
        const channelArb = fc.oneof(
            fc.constantFrom(
                'Security',
                ' Security ',
                '\u00a0Security',
                '-',
                '',
                'N/A',
                ' N/A ',
                SYSMON_CHANNEL,
                SYSMON_CHANNEL.toLowerCase(),
                ` ${SYSMON_CHANNEL}\u00a0`,
            ),
            fc.string({ maxLength: 8 }),
            fc.constantFrom(42, null, true, { a: 1 }, undefined),
        );
        fc.assert(
            fc.property(channelArb, simpleEventIdArb, (channel, eventId) => {
                const record: Record<string, unknown> = {
                    ...(JSON.parse(flatEventJson(1, 'WS1', eventId)) as object),
                    Channel: channel,
                };
                const slow = normalizeSysmonRecord(
                    { eventId, host: 'WS1', recordId: 1, channel, provider: undefined, decodeXmlEscapes: true },
                    new FieldBag(record),
                    { messageIndex: 0, recordIndex: 0 },
                );
                const { report } = ingestBatch([{ body: record }], NOW);
                const reason = slow.kind === 'accepted' ? undefined : slow.reason;
                expect({
                    accepted: report.accepted,
                    reasons: { ...report.ignoredByReason, ...report.rejectedByReason },
                }).toEqual({
                    accepted: slow.kind === 'accepted' ? 1 : 0,
                    reasons: reason === undefined ? {} : { [reason]: 1 },
                });
            }),
            { numRuns: 300 },
        );
    });
});
