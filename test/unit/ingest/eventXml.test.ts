import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';

import {
    SlotTable,
    decodeXmlEntities,
    decodeXmlEntitiesLenient,
    scanEventXml,
    scanUsualLayout,
} from '../../../shared/ingest/eventXml';
import { scanEventXmlGeneral, scanEventXmlTagByTag } from '../../helpers/eventXmlScanners';
import type { XmlEvent, XmlLimits, XmlProblem, XmlScanResult } from '../../../shared/ingest/eventXml';

const LIMITS = { maxDepth: 32 };
const NS = 'http://schemas.microsoft.com/win/2004/08/events/event';
const PROBLEMS: readonly XmlProblem[] = [
    'malformed-xml',
    'xml-dtd-forbidden',
    'xml-undefined-entity',
    'nesting-too-deep',
];

function scan(xml: string, maxDepth = LIMITS.maxDepth): XmlScanResult {
    return scanEventXml(xml, { maxDepth });
}

function expectProblem(xml: string, problem: XmlProblem, maxDepth = LIMITS.maxDepth): void {
    const result = scan(xml, maxDepth);
    expect(result.ok).toBe(false);
    if (!result.ok) {
        expect(result.problem).toBe(problem);
        expect(typeof result.detail).toBe('string');
        expect(result.detail.length).toBeGreaterThan(0);
    }
}

function okEvents(xml: string): { system: Record<string, string | undefined>; data: Record<string, string> }[] {
    const result = scan(xml);
    if (!result.ok) throw new Error(`expected ok, got ${result.problem}: ${result.detail}`);
    return result.events.map((e) => ({
        system: e.system as Record<string, string | undefined>,
        data: Object.fromEntries(e.data),
    }));
}

/** A Sysmon EID 1 as `wevtutil qe /f:xml` renders it (whitespace between elements added for realism). */
const RAW_EVENT = `<?xml version="1.0" encoding="utf-8"?>
<Event xmlns="${NS}">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}" />
    <EventID>1</EventID>
    <Version>5</Version>
    <Level>4</Level>
    <Task>1</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2024-05-01T10:15:01.9876543Z" />
    <EventRecordID>7</EventRecordID>
    <Correlation />
    <Execution ProcessID="3220" ThreadID="4128" />
    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
    <Computer>WS01.contoso.local</Computer>
    <Security UserID="S-1-5-18" />
  </System>
  <EventData>
    <Data Name="RuleName">-</Data>
    <Data Name="UtcTime">2024-05-01 10:15:01.987</Data>
    <Data Name="ProcessGuid">{3710b5c6-1243-6182-8303-000000000a00}</Data>
    <Data Name="ProcessId">4044</Data>
    <Data Name="Image">C:\\Windows\\System32\\svchost.exe</Data>
    <Data Name="CommandLine">C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule &amp; more</Data>
    <Data Name="ParentImage">&lt;unknown process&gt;</Data>
  </EventData>
</Event>
`;

const RAW_EVENT_SYSTEM = {
    provider: 'Microsoft-Windows-Sysmon',
    eventId: '1',
    version: '5',
    channel: 'Microsoft-Windows-Sysmon/Operational',
    computer: 'WS01.contoso.local',
    eventRecordId: '7',
    systemTime: '2024-05-01T10:15:01.9876543Z',
};

const RAW_EVENT_DATA = {
    RuleName: '-',
    UtcTime: '2024-05-01 10:15:01.987',
    ProcessGuid: '{3710b5c6-1243-6182-8303-000000000a00}',
    ProcessId: '4044',
    Image: 'C:\\Windows\\System32\\svchost.exe',
    CommandLine: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule & more',
    ParentImage: '<unknown process>',
};

function miniEvent(recordId: number, computer: string): string {
    return (
        `<Event xmlns="${NS}"><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>3</EventID>` +
        `<EventRecordID>${recordId}</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel>` +
        `<Computer>${computer}</Computer></System><EventData><Data Name="UtcTime">2024-05-01 10:15:0${recordId}.000</Data>` +
        `<Data Name="Initiated">true</Data></EventData></Event>`
    );
}

function dataItem(inner: string): string {
    return (
        `<DataItem type="System.XmlData" time="2024-05-01T10:15:02.0000000Z" sourceHealthServiceId="6f1c3d9e-0000-4000-8000-000000000001">` +
        `<EventData xmlns="${NS}">${inner}</EventData></DataItem>`
    );
}

/** The characters that make or break markup, for the fuzzing properties below. */
const XML_PUNCTUATION = ['<', '>', '&', '"', "'", '/', '!'] as const;

describe('scanEventXml: accepted shapes', () => {
    it('reads System fields and EventData of a raw <Event>', () => {
        const events = okEvents(RAW_EVENT);
        expect(events).toEqual([{ system: RAW_EVENT_SYSTEM, data: RAW_EVENT_DATA }]);
    });

    it('reads every event of an <Events> list, in order', () => {
        const xml = `<Events>\n${miniEvent(1, 'A')}\n${miniEvent(2, 'B')}\n${miniEvent(3, 'C')}\n</Events>`;
        const events = okEvents(xml);
        expect(events).toHaveLength(3);
        expect(events.map((e) => [e.system.eventRecordId, e.system.computer, e.system.eventId])).toEqual([
            ['1', 'A', '3'],
            ['2', 'B', '3'],
            ['3', 'C', '3'],
        ]);
        expect(events[1]?.data).toEqual({ UtcTime: '2024-05-01 10:15:02.000', Initiated: 'true' });
    });

    it('reads the Log Analytics <DataItem><EventData> form as one event with data only', () => {
        const xml = dataItem(
            '<Data Name="UtcTime">2024-05-01 10:15:01.987</Data><Data Name="ProcessGuid">{3710b5c6-1243-6182-8303-000000000a00}</Data><Data Name="X">v</Data>',
        );
        expect(okEvents(xml)).toEqual([
            {
                system: {},
                data: {
                    UtcTime: '2024-05-01 10:15:01.987',
                    ProcessGuid: '{3710b5c6-1243-6182-8303-000000000a00}',
                    X: 'v',
                },
            },
        ]);
    });

    it('reads a bare <EventData> document (the documented example)', () => {
        expect(okEvents('<EventData><Data Name="UtcTime">2024-05-01 10:15:01.987</Data></EventData>')).toEqual([
            { system: {}, data: { UtcTime: '2024-05-01 10:15:01.987' } },
        ]);
    });

    it('gives an empty string for a self-closing <Data Name="RuleName"/> and for <Data Name="X"></Data>', () => {
        expect(okEvents(dataItem('<Data Name="RuleName"/><Data Name="Y" /><Data Name="X"></Data>'))[0]?.data).toEqual({
            RuleName: '',
            Y: '',
            X: '',
        });
    });

    it('accepts single-quoted attributes and whitespace around =', () => {
        const xml = `<Event xmlns='${NS}'><System><Provider  Name = 'Microsoft-Windows-Sysmon' /><TimeCreated\tSystemTime\n=\n"2024-05-01T10:15:01Z"/></System><EventData><Data Name = 'A' >1</Data><Data\nName='B'>it's "quoted"</Data></EventData></Event>`;
        expect(okEvents(xml)).toEqual([
            {
                system: { provider: 'Microsoft-Windows-Sysmon', systemTime: '2024-05-01T10:15:01Z' },
                data: { A: '1', B: 'it\'s "quoted"' },
            },
        ]);
    });

    it('finds Name whatever the attribute order', () => {
        const xml = dataItem('<Data xmlns:x="urn:x" Name="A">a</Data><Data Name="B" x:extra="1">b</Data>');
        expect(okEvents(xml)[0]?.data).toEqual({ A: 'a', B: 'b' });
    });

    it('keeps CDATA content verbatim (no entity decoding inside it)', () => {
        const xml = dataItem(
            '<Data Name="C"><![CDATA[<not a tag> & &amp; ]]></Data><Data Name="D">a<![CDATA[]]]]><![CDATA[>]]>b</Data>',
        );
        expect(okEvents(xml)[0]?.data).toEqual({ C: '<not a tag> & &amp; ', D: 'a]]>b' });
    });

    it('skips an <?xml ...?> prolog and comments anywhere', () => {
        const xml = `<?xml version="1.0" encoding="utf-8"?>\n<!-- before -->\n<EventData><!-- inside --><Data Name="A">x<!-- mid -->y</Data><!----></EventData>\n<!-- after -->\n`;
        expect(okEvents(xml)).toEqual([{ system: {}, data: { A: 'xy' } }]);
    });

    it('matches elements by local name under namespace prefixes', () => {
        const xml =
            `<e:Event xmlns:e="${NS}"><e:System><e:Provider e:Name="Microsoft-Windows-Sysmon"/><e:EventID>10</e:EventID>` +
            `<e:Computer>WS02</e:Computer><e:TimeCreated SystemTime="2024-05-01T10:15:01Z"/></e:System>` +
            `<e:EventData><e:Data Name="GrantedAccess">0x1fffff</e:Data></e:EventData></e:Event>`;
        expect(okEvents(xml)).toEqual([
            {
                system: {
                    provider: 'Microsoft-Windows-Sysmon',
                    eventId: '10',
                    computer: 'WS02',
                    systemTime: '2024-05-01T10:15:01Z',
                },
                data: { GrantedAccess: '0x1fffff' },
            },
        ]);
    });

    it('decodes the predefined entities and numeric character references in text and attributes', () => {
        const xml = dataItem(
            '<Data Name="P">&lt;unknown process&gt;</Data><Data Name="Q">a &amp; b &quot;c&quot; &apos;d&apos;</Data>' +
                '<Data Name="R">&#x41;&#65;&#x1F600;</Data><Data Name="&lt;n&gt;">attr</Data>',
        );
        expect(okEvents(xml)[0]?.data).toEqual({
            P: '<unknown process>',
            Q: 'a & b "c" \'d\'',
            R: 'AA\u{1F600}',
            '<n>': 'attr',
        });
    });

    it('keeps a character reference to CR as CR', () => {
        expect(okEvents(dataItem('<Data Name="A">a&#13;&#10;b&#xD;</Data>'))[0]?.data).toEqual({ A: 'a\r\nb\r' });
    });

    it('returns no events for a well-formed document without Event or EventData', () => {
        expect(scan('<Foo><Bar>x</Bar></Foo>')).toEqual({ ok: true, events: [] });
    });

    // Regression, fixed (eventXml.ts, SYSTEM_TEXT_FIELDS lookup): `SYSTEM_TEXT_FIELDS[local]` reads through Object.prototype, so a
    // <System> child named `constructor`, `toString`, `__proto__`, ... is "collected" and stored under a junk key
    // ("function Object() { [native code] }"). Expected: unknown System children are ignored (system stays {}).
    it('regression: ignores System children named after Object.prototype members', () => {
        const events = okEvents(`<Event><System><constructor>x</constructor><toString>y</toString></System></Event>`);
        expect(events).toEqual([{ system: {}, data: {} }]);
    });

    // Regression, fixed (eventXml.ts, `current.data[dataName] = ...` on a plain `{}`): a Data element named `__proto__` hits the
    // Object.prototype setter and is silently dropped. Expected: data has an own `__proto__` key with value 'x'.
    it('regression: keeps a Data element named __proto__', () => {
        const data = okEvents(dataItem('<Data Name="__proto__">x</Data>'))[0]?.data ?? {};
        expect(Object.prototype.hasOwnProperty.call(data, '__proto__')).toBe(true);
        expect(Object.getOwnPropertyDescriptor(data, '__proto__')?.value).toBe('x');
    });

    // Regression, fixed (eventXml.ts, scan(): self-closing start tag of <Event>): `<Event/>` sets `current` but never pushes or pops,
    // so the event is never closed; the next <Event> then fails with "nested <Event> elements".
    // Input `<Events><Event/><Event/></Events>`: expected ok (two empty events, or at least ok); actual malformed-xml.
    it('regression: accepts self-closing <Event/> elements in an <Events> list', () => {
        const result = scan(`<Events><Event xmlns="${NS}"/><Event xmlns="${NS}"/></Events>`);
        expect(result).toEqual({
            ok: true,
            events: [
                { system: {}, data: new Map() },
                { system: {}, data: new Map() },
            ],
        });
    });

    // Spec conformance, fixed (XML 1.0 §2.11 end-of-line handling): a parser must pass "\r\n" and lone "\r" in character data
    // to the application as "\n". fast-xml-parser does; the scanner keeps the raw CR characters.
    // Input `<EventData><Data Name="A">a\r\nb\rc</Data></EventData>`: expected 'a\nb\nc', actual 'a\r\nb\rc'.
    it('XML 1.0: normalizes raw CR and CRLF in character data to LF (XML 1.0 §2.11)', () => {
        expect(okEvents('<EventData><Data Name="A">a\r\nb\rc</Data></EventData>')[0]?.data).toEqual({ A: 'a\nb\nc' });
    });
});

describe('decodeXmlEntities / decodeXmlEntitiesLenient', () => {
    it('decodes predefined and numeric references', () => {
        expect(decodeXmlEntities('&lt;unknown process&gt;')).toBe('<unknown process>');
        expect(decodeXmlEntities('a&amp;b&quot;&apos;&#x41;&#65;&#x10FFFF;')).toBe('a&b"\'AA\u{10FFFF}');
        expect(decodeXmlEntities('no entities')).toBe('no entities');
    });

    it('refuses undefined entities, NUL, surrogates, out-of-range and malformed references', () => {
        for (const bad of [
            '&foo;',
            '&#0;',
            '&#x0;',
            '&#xD800;',
            '&#xDFFF;',
            '&#55296;',
            '&#x110000;',
            '&#X41;',
            '&#x;',
            '&#;',
            '&amp',
            '&',
            '&#x41',
            '& amp;',
            '&lol9;',
        ]) {
            expect(decodeXmlEntities(`a${bad}b`), bad).toBeUndefined();
        }
    });

    it('lenient decoding leaves unknown or invalid references as written', () => {
        expect(decodeXmlEntitiesLenient('&lt;unknown process&gt; &foo; &#0; &#xD800; &amp;amp;')).toBe(
            '<unknown process> &foo; &#0; &#xD800; &amp;',
        );
        expect(decodeXmlEntitiesLenient('C:\\a&b')).toBe('C:\\a&b');
    });

    // Regression, fixed (eventXml.ts, decodeXmlEntities): `PREDEFINED_ENTITIES[name]` reads through Object.prototype, so
    // `&toString;`, `&valueOf;`, `&constructor;` and `&__proto__;` are "decoded" to the stringified function /
    // "[object Object]" instead of being refused. Input '&toString;': expected undefined, actual
    // 'function toString() { [native code] }'. Through scanEventXml, `<EventData><Data Name="a">&toString;</Data></EventData>`
    // is ok:true with that text instead of `xml-undefined-entity`, contrary to the module's safety rule.
    it('regression: refuses entity names that are Object.prototype members', () => {
        for (const name of ['toString', 'valueOf', 'constructor', '__proto__']) {
            expect(decodeXmlEntities(`&${name};`), name).toBeUndefined();
        }
    });

    it('regression: scanEventXml rejects &toString; as xml-undefined-entity', () => {
        expectProblem('<EventData><Data Name="a">&toString;</Data></EventData>', 'xml-undefined-entity');
    });

    // Regression, fixed (eventXml.ts, decodeXmlEntities): the comment says "XML 1.0 Char production", but only NUL and surrogates are
    // refused. `&#1;`..`&#8;`, `&#xB;`, `&#xC;`, `&#xE;`..`&#x1F;`, `&#xFFFE;`, `&#xFFFF;` are not Chars (WFC: Legal
    // Character). Input '&#1;': expected undefined, actual '\u0001'.
    it('regression: refuses character references to non-Chars (&#1;, &#xFFFE;)', () => {
        expect(decodeXmlEntities('&#1;')).toBeUndefined();
        expect(decodeXmlEntities('&#xFFFE;')).toBeUndefined();
    });

    // Spec conformance, fixed (fails safe): XML allows leading zeros in character references; the 12-char window and the
    // {1,6}/{1,7} digit limits refuse them. Input '&#x0000041;': expected 'A', actual undefined.
    it('XML 1.0: accepts character references with leading zeros (&#x0000041;)', () => {
        expect(decodeXmlEntities('&#x0000041;')).toBe('A');
    });
});

function billionLaughs(): string {
    let dtd = '<!ENTITY lol "lol">';
    for (let i = 1; i <= 9; i++) {
        const prev = i === 1 ? 'lol' : `lol${i - 1}`;
        dtd += `<!ENTITY lol${i} "${`&${prev};`.repeat(10)}">`;
    }
    return `<?xml version="1.0"?><!DOCTYPE lolz [${dtd}]><EventData><Data Name="A">&lol9;</Data></EventData>`;
}

/**
 * How many characters `String.prototype.indexOf` passes over while `run` runs: the scanner's searches, counted instead
 * of timed, so a search that restarts from far back per element shows as work growing with the square of the input.
 */
function charactersSearched(run: () => void): number {
    const descriptor = Object.getOwnPropertyDescriptor(String.prototype, 'indexOf') as PropertyDescriptor;
    const original = descriptor.value as (this: string, search: string, position?: number) => number;
    let searched = 0;
    String.prototype.indexOf = function (this: string, search: string, position?: number): number {
        const from = Math.max(0, Math.min(position ?? 0, this.length));
        const found = original.call(this, search, position);
        searched += (found === -1 ? this.length : found) - from;
        return found;
    };
    try {
        run();
    } finally {
        Object.defineProperty(String.prototype, 'indexOf', descriptor);
    }
    return searched;
}

describe('scanEventXml: linear work on hostile documents', () => {
    const slots = new SlotTable(['UtcTime', 'A']);
    const hostile: [string, string][] = [
        [
            'a Provider with 20,000 attributes',
            `<Event xmlns="${NS}"><System><Provider${' a=""'.repeat(20_000)}/><EventID>1</EventID></System><EventData/></Event>`,
        ],
        [
            '20,000 System children before the only &',
            `<Event xmlns="${NS}"><System>${'<X>a</X>'.repeat(20_000)}<EventID>1</EventID></System><EventData><Data Name="A">&amp;</Data></EventData></Event>`,
        ],
        [
            '20,000 Data elements',
            `<Event xmlns="${NS}"><System><EventID>1</EventID></System><EventData>${'<Data Name="A">x</Data>'.repeat(20_000)}</EventData></Event>`,
        ],
    ];

    it.each(hostile)('%s: indexOf passes over at most 8 characters per character of input', (_label, xml) => {
        for (const limits of [{ maxDepth: 32 }, { maxDepth: 32, dataSlots: slots }]) {
            const searched = charactersSearched(() => {
                expect(scanEventXml(xml, limits).ok).toBe(true);
            });
            expect(searched).toBeLessThanOrEqual(8 * xml.length);
        }
    });
});

describe('scanEventXml: hostile input', () => {
    it('rejects a billion-laughs DOCTYPE quickly, without expanding it', () => {
        const xml = billionLaughs();
        const started = performance.now();
        const result = scan(xml);
        const elapsed = performance.now() - started;
        expect(result.ok).toBe(false);
        if (!result.ok) {
            expect(result.problem).toBe('xml-dtd-forbidden');
            expect(result.detail.length).toBeLessThan(200);
            expect(result.detail).not.toContain('lollol');
        }
        expect(elapsed).toBeLessThan(100);
    });

    it('rejects <!ENTITY and any other <! declaration as xml-dtd-forbidden', () => {
        expectProblem('<!ENTITY x "y"><EventData/>', 'xml-dtd-forbidden');
        expectProblem('<EventData><!ENTITY x "y"><Data Name="A">&x;</Data></EventData>', 'xml-dtd-forbidden');
        expectProblem('<!DOCTYPE Event SYSTEM "file:///etc/passwd"><Event/>', 'xml-dtd-forbidden');
        expectProblem('<EventData><!ELEMENT Data ANY></EventData>', 'xml-dtd-forbidden');
        expectProblem('<EventData><![IGNORE[x]]></EventData>', 'xml-dtd-forbidden');
    });

    it('rejects an entity that XML does not predefine as xml-undefined-entity (text, attribute, unused element)', () => {
        expectProblem(dataItem('<Data Name="A">&foo;</Data>'), 'xml-undefined-entity');
        expectProblem(dataItem('<Data Name="&foo;">x</Data>'), 'xml-undefined-entity');
        expectProblem(`<Event><System><Level>&foo;</Level></System></Event>`, 'xml-undefined-entity');
        expectProblem(dataItem('<Data Name="A">&lol9;</Data>'), 'xml-undefined-entity');
    });

    it('rejects &#0; and &#xD800; as xml-undefined-entity', () => {
        expectProblem(dataItem('<Data Name="A">&#0;</Data>'), 'xml-undefined-entity');
        expectProblem(dataItem('<Data Name="A">&#xD800;</Data>'), 'xml-undefined-entity');
        expectProblem(dataItem('<Data Name="A" x="&#xD800;">v</Data>'), 'xml-undefined-entity');
    });

    it('rejects 10,000 nested elements as nesting-too-deep without overflowing the stack', () => {
        const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
        expectProblem(deep, 'nesting-too-deep', 32);
        const deepData = dataItem('<x>'.repeat(10_000) + '</x>'.repeat(10_000));
        expectProblem(deepData, 'nesting-too-deep', 32);
        // With a limit above the depth the scanner walks it iteratively.
        expect(scan(deep, 20_000)).toEqual({ ok: true, events: [] });
        expect(scan('<a>'.repeat(32) + '</a>'.repeat(32), 32).ok).toBe(true);
        expectProblem('<a>'.repeat(33) + '</a>'.repeat(33), 'nesting-too-deep', 32);
    });

    it('never accepts a truncated document: every prefix before the root closes is ok:false', () => {
        const events = `<Events>\n${miniEvent(1, 'A&amp;B')}\n${miniEvent(2, 'B')}\n</Events>\n`;
        const cdata = dataItem('<Data Name="A"><![CDATA[x]]></Data><!-- c --><Data Name="B">&#x41;</Data>') + '\n';
        for (const doc of [RAW_EVENT, events, cdata]) {
            const rootEnd = Math.max(
                doc.lastIndexOf('</Event>') + 8,
                doc.lastIndexOf('</Events>') + 9,
                doc.lastIndexOf('</DataItem>') + 11,
            );
            const full = scan(doc);
            expect(full.ok).toBe(true);
            // Thousands of cuts: each is checked in plain code and the wrong answers asserted once (an expect each was
            // most of this test's time).
            const wrong: string[] = [];
            for (let cut = 0; cut <= doc.length; cut++) {
                const prefix = doc.slice(0, cut);
                let result: XmlScanResult;
                try {
                    result = scan(prefix);
                } catch (error) {
                    wrong.push(`cut ${cut}: threw ${String(error)}`);
                    continue;
                }
                if (cut >= rootEnd) {
                    expect(result, `cut ${cut}`).toEqual(full);
                } else if (result.ok) {
                    wrong.push(`cut ${cut}: ${JSON.stringify(prefix.slice(-30))} is ok`);
                } else if (!PROBLEMS.includes(result.problem)) {
                    wrong.push(`cut ${cut}: unknown problem ${result.problem}`);
                }
            }
            expect(wrong).toEqual([]);
        }
    });

    it('rejects mismatched end tags as malformed-xml', () => {
        expectProblem('<Event><System></Event></System>', 'malformed-xml');
        expectProblem(dataItem('<Data Name="A">x</Dat>'), 'malformed-xml');
        expectProblem('<EventData></EventData></EventData>', 'malformed-xml');
        expectProblem('</EventData>', 'malformed-xml');
    });

    it('rejects two root elements as malformed-xml', () => {
        expectProblem('<EventData></EventData><EventData></EventData>', 'malformed-xml');
        expectProblem(`${miniEvent(1, 'A')}${miniEvent(2, 'B')}`, 'malformed-xml');
        expectProblem('<Event/><Event/>', 'malformed-xml');
    });

    it('rejects text outside the root as malformed-xml', () => {
        expectProblem('junk<EventData></EventData>', 'malformed-xml');
        expectProblem('<EventData></EventData>junk', 'malformed-xml');
        expectProblem('<EventData></EventData><![CDATA[x]]>', 'malformed-xml');
        expectProblem('', 'malformed-xml');
        expectProblem('   \n', 'malformed-xml');
        expectProblem('just text', 'malformed-xml');
    });

    it("rejects '<' inside an attribute value as malformed-xml", () => {
        expectProblem(dataItem('<Data Name="a<b">x</Data>'), 'malformed-xml');
        expectProblem(`<Event xmlns="a<b"></Event>`, 'malformed-xml');
        expectProblem(`<Event><System><Provider Name='<x'/></System></Event>`, 'malformed-xml');
    });

    it('rejects other broken markup as malformed-xml', () => {
        expectProblem(dataItem('<Data Name=A>x</Data>'), 'malformed-xml');
        expectProblem(dataItem('<Data Name>x</Data>'), 'malformed-xml');
        expectProblem(dataItem('<Data Name="A>x</Data>'), 'malformed-xml');
        expectProblem('<EventData><!-- never closed </EventData>', 'malformed-xml');
        expectProblem('<EventData><![CDATA[never closed</EventData>', 'malformed-xml');
        expectProblem('<?xml version="1.0"', 'malformed-xml');
        expectProblem('< EventData></EventData>', 'malformed-xml');
        expectProblem('<Events><Event><Event></Event></Event></Events>', 'malformed-xml');
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------------------------

const XML_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** Escapes text content: the five specials by name; CR as a character reference so it survives §2.11. */
function escapeText(value: string): string {
    return value.replace(/[&<>"'\r]/g, (c) =>
        c === '&'
            ? '&amp;'
            : c === '<'
              ? '&lt;'
              : c === '>'
                ? '&gt;'
                : c === '"'
                  ? '&quot;'
                  : c === "'"
                    ? '&apos;'
                    : '&#13;',
    );
}

/** Escapes an attribute value: also TAB and LF, which attribute-value normalization (§3.3.3) would turn into spaces. */
function escapeAttribute(value: string): string {
    return escapeText(value).replace(/[\t\n]/g, (c) => (c === '\t' ? '&#9;' : '&#10;'));
}

const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,15}$/);
const trickyArb = fc.constantFrom(
    '&',
    '<',
    '>',
    '"',
    "'",
    ']]>',
    '&amp;',
    '&lt;',
    '<![CDATA[',
    '-->',
    '\r\n',
    '\r',
    '\t',
    ' ',
    '\n',
    '\u00a0',
    '\uFEFF',
);
const valueArb = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }).filter((s) => XML_CHARS.test(s)),
    fc
        .array(fc.oneof(trickyArb, fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 8 })
        .map((parts) => parts.join('')),
);
const dataMapArb = fc.uniqueArray(fc.tuple(nameArb, valueArb), { selector: ([name]) => name, maxLength: 12 });

const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: false,
});

/** Pulls `<Data Name>` values out of fast-xml-parser's tree (single object vs array; '' or missing #text when empty). */
function fxpData(tree: unknown, path: readonly string[]): Record<string, string> {
    let node: unknown = tree;
    for (const key of path)
        node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    if (node === undefined || node === '') return {};
    const items = Array.isArray(node) ? node : [node];
    const out: Record<string, string> = {};
    for (const item of items) {
        if (typeof item === 'string') continue; // a <Data> without attributes
        const record = item as Record<string, unknown>;
        const name = record['@_Name'];
        const text = record['#text'];
        if (typeof name === 'string')
            out[name] = typeof text === 'string' ? text : text === undefined ? '' : JSON.stringify(text);
    }
    return out;
}

function buildDataElements(entries: readonly (readonly [string, string])[]): string {
    return entries
        .map(([name, value]) =>
            value === '' ? `<Data Name="${name}"/>` : `<Data Name="${name}">${escapeText(value)}</Data>`,
        )
        .join('');
}

describe('scanEventXml: properties', () => {
    it('(a) returns exactly the generated EventData map, in the DataItem form, and fast-xml-parser agrees', () => {
        fc.assert(
            fc.property(dataMapArb, (entries) => {
                const xml = dataItem(buildDataElements(entries));
                const expected = Object.fromEntries(entries);
                expect(scan(xml)).toEqual({
                    ok: true,
                    events: [{ system: {}, data: new Map(Object.entries(expected)) }],
                });
                // fast-xml-parser with htmlEntities:false leaves numeric character references (our &#13;) undecoded,
                // contrary to XML 1.0 §4.1; everything else must agree.
                const fxpExpected = Object.fromEntries(entries.map(([n, v]) => [n, v.replace(/\r/g, '&#13;')]));
                expect(fxpData(parser.parse(xml), ['DataItem', 'EventData', 'Data'])).toEqual(fxpExpected);
            }),
            { numRuns: 400 },
        );
    });

    it('(a) returns exactly the generated System fields and EventData map, in the raw Event form, and fast-xml-parser agrees', () => {
        fc.assert(
            fc.property(dataMapArb, valueArb, valueArb, fc.boolean(), (entries, computer, provider, prolog) => {
                const xml =
                    (prolog ? '<?xml version="1.0" encoding="utf-8"?>\r\n' : '') +
                    `<Event xmlns="${NS}"><System><Provider Name="${escapeAttribute(provider)}"/><EventID>1</EventID>` +
                    `<Computer>${escapeText(computer)}</Computer><TimeCreated SystemTime='2024-05-01T10:15:01.000Z'/></System>` +
                    `<EventData>${buildDataElements(entries)}</EventData></Event>`;
                const expected = Object.fromEntries(entries);
                expect(scan(xml)).toEqual({
                    ok: true,
                    events: [
                        {
                            system: { provider, eventId: '1', computer, systemTime: '2024-05-01T10:15:01.000Z' },
                            data: new Map(Object.entries(expected)),
                        },
                    ],
                });
                const fxpExpected = Object.fromEntries(entries.map(([n, v]) => [n, v.replace(/\r/g, '&#13;')]));
                expect(fxpData(parser.parse(xml), ['Event', 'EventData', 'Data'])).toEqual(fxpExpected);
            }),
            { numRuns: 300 },
        );
    });

    it('(a) agrees with fast-xml-parser on raw (unescaped) whitespace other than CR', () => {
        const wsValue = fc
            .array(fc.constantFrom(' ', '\t', '\n', 'a', 'b', '\u00a0'), { maxLength: 10 })
            .map((p) => p.join(''));
        fc.assert(
            fc.property(
                fc.uniqueArray(fc.tuple(nameArb, wsValue), { selector: ([n]) => n, maxLength: 6 }),
                (entries) => {
                    const xml = dataItem(entries.map(([n, v]) => `<Data Name="${n}">${v}</Data>`).join(''));
                    const ours = scan(xml);
                    expect(ours.ok).toBe(true);
                    if (ours.ok)
                        expect(Object.fromEntries(ours.events[0]?.data ?? [])).toEqual(
                            fxpData(parser.parse(xml), ['DataItem', 'EventData', 'Data']),
                        );
                },
            ),
            { numRuns: 300 },
        );
    });

    it('documents where fast-xml-parser (htmlEntities:false) and the scanner differ, and where they now agree', () => {
        // Numeric character references are core XML (§4.1); fast-xml-parser only decodes them with htmlEntities:true.
        const numeric = dataItem('<Data Name="A">&#x41;&#65;</Data>');
        expect(okEvents(numeric)[0]?.data).toEqual({ A: 'AA' });
        expect(fxpData(parser.parse(numeric), ['DataItem', 'EventData', 'Data'])).toEqual({ A: '&#x41;&#65;' });
        // Raw CR: XML 1.0 §2.11 says report '\n'; both do.
        const cr = dataItem('<Data Name="A">a\r\nb</Data>');
        expect(fxpData(parser.parse(cr), ['DataItem', 'EventData', 'Data'])).toEqual({ A: 'a\nb' });
        expect(okEvents(cr)[0]?.data).toEqual({ A: 'a\nb' });
    });

    const validEvent = RAW_EVENT;
    const mutationArb = fc.array(
        fc.record({
            at: fc.double({ min: 0, max: 1, noNaN: true }),
            remove: fc.nat({ max: 3 }),
            insert: fc.constantFrom(
                '',
                ...XML_PUNCTUATION,
                '<!',
                '<!--',
                '-->',
                '<![CDATA[',
                ']]>',
                '&#',
                '&#x',
                '<?',
                '?>',
                '</',
                '/>',
                '=',
            ),
        }),
        { minLength: 1, maxLength: 6 },
    );

    function mutate(source: string, mutations: readonly { at: number; remove: number; insert: string }[]): string {
        let text = source;
        for (const { at, remove, insert } of mutations) {
            const i = Math.min(text.length, Math.floor(at * text.length));
            text = text.slice(0, i) + insert + text.slice(i + remove);
        }
        return text;
    }

    function checkRobust(xml: string, maxDepth = LIMITS.maxDepth): void {
        let result: XmlScanResult | undefined;
        expect(() => (result = scanEventXml(xml, { maxDepth }))).not.toThrow();
        expect(result).toBeDefined();
        if (result?.ok) {
            expect(Array.isArray(result.events)).toBe(true);
            for (const event of result.events) {
                expect(typeof event.system).toBe('object');
                for (const value of event.data.values()) expect(typeof value).toBe('string');
            }
        } else if (result) {
            expect(PROBLEMS).toContain(result.problem);
            expect(typeof result.detail).toBe('string');
        }
    }

    it('(b) never throws on arbitrary strings', () => {
        const loneSurrogates = fc.string({
            unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        });
        fc.assert(
            fc.property(
                fc.oneof(fc.string(), fc.string({ unit: 'binary' }), loneSurrogates),
                fc.integer({ min: 0, max: 40 }),
                (xml, depth) => {
                    checkRobust(xml, depth);
                    checkRobust(`<EventData>${xml}</EventData>`, depth);
                },
            ),
            { numRuns: 500 },
        );
    });

    it('(b) never throws on mutations of a valid event', () => {
        fc.assert(
            fc.property(mutationArb, (mutations) => {
                checkRobust(mutate(validEvent, mutations));
            }),
            { numRuns: 1000 },
        );
    });

    // The usual-layout shortcut (raw <Event> and Log Analytics <DataItem> documents without & or CR) must answer exactly
    // as the general scanner does whenever it answers at all, and hand everything else back.
    const blankArb = fc.constantFrom('', '', ' ', '\n  ', '\t');
    const plainTextArb = fc.stringMatching(/^[A-Za-z0-9 .:{}\\/_-]{0,24}$/);
    const quotedArb = (value: string): fc.Arbitrary<string> => fc.constantFrom(`"${value}"`, `'${value}'`);
    const attributeArb = (name: string): fc.Arbitrary<string> =>
        fc
            .tuple(fc.constantFrom(' ', '  ', '\n'), plainTextArb.chain(quotedArb), fc.constantFrom('=', ' = '))
            .map(([space, value, eq]) => `${space}${name}${eq}${value}`);
    // Values as renderers write them: mostly plain, sometimes escaped (`&quot;` in a command line), with CR LF, or broken.
    const escapedTextArb = fc
        .array(
            fc.oneof(
                plainTextArb,
                fc.constantFrom('&quot;', '&amp;', '&lt;', '&#13;', '&#x41;', '\r\n', '&bogus;', '&'),
            ),
            { maxLength: 4 },
        )
        .map((parts) => parts.join(''));
    const valueTextArb = fc.oneof({ weight: 4, arbitrary: plainTextArb }, { weight: 1, arbitrary: escapedTextArb });
    const systemChildArb = fc.oneof(
        fc
            .tuple(attributeArb('Name'), fc.option(attributeArb('Guid')), blankArb, fc.boolean())
            .map(([n, g, b, open]) =>
                open ? `<Provider${n}${g ?? ''}${b}></Provider>` : `<Provider${n}${g ?? ''}${b}/>`,
            ),
        fc
            .tuple(attributeArb('SystemTime'), blankArb, fc.boolean())
            .map(([t, b, open]) => (open ? `<TimeCreated${t}${b}></TimeCreated>` : `<TimeCreated${t}${b}/>`)),
        fc
            .tuple(
                fc.constantFrom('EventID', 'Version', 'Level', 'Channel', 'Computer', 'EventRecordID', 'Keywords'),
                fc.oneof(valueTextArb, fc.constantFrom('1', '10', '7', '12')),
                fc.constantFrom('', ' Qualifiers=""', " Qualifiers='0'"),
            )
            .map(([name, value, attributes]) => `<${name}${attributes}>${value}</${name}>`),
        fc.constantFrom(
            '<Correlation />',
            '<Correlation/>',
            '<Correlation ActivityID="" RelatedActivityID=""></Correlation>',
            '<Execution ProcessID="3220" ThreadID="4128" />',
            '<Execution ProcessID="3220" ThreadID="4128"></Execution>',
            '<Security UserID="S-1-5-18"/>',
            '<Security UserID="S-1-5-18"></Security>',
            '<Security/>',
        ),
    );
    // Names quoted as the Log Analytics DataItem and EVTX libraries write them ("), or as Windows renders events (').
    const plainDataArb = fc
        .array(
            fc.tuple(
                fc.constantFrom('UtcTime', 'Image', 'ProcessId', 'A', 'a'),
                fc.oneof(valueTextArb, fc.constant('')),
                fc.constantFrom('"', "'"),
            ),
            { maxLength: 6 },
        )
        .map((entries) =>
            entries
                .map(([name, value, q]) =>
                    value === '' ? `<Data Name=${q}${name}${q}/>` : `<Data Name=${q}${name}${q}>${value}</Data>`,
                )
                .join(''),
        );
    const usualLayoutArb = fc.oneof(
        fc
            .tuple(fc.array(fc.tuple(blankArb, systemChildArb), { maxLength: 8 }), plainDataArb, blankArb, blankArb)
            .map(
                ([children, data, b1, b2]) =>
                    `${b1}<Event xmlns="${NS}">${b2}<System>${children.map(([b, c]) => b + c).join('')}</System>${b2}<EventData>${data}</EventData>${b1}</Event>${b2}`,
            ),
        fc
            .tuple(plainDataArb, blankArb)
            .map(
                ([data, b]) =>
                    `<DataItem type="System.XmlData" time="2024-05-01T10:15:01Z">${b}<EventData xmlns="${NS}">${data}${b}</EventData></DataItem>${b}`,
            ),
    );
    const limitsArb = fc
        .tuple(fc.integer({ min: 0, max: 6 }), fc.option(fc.constantFrom('1', '10', '7', '12')))
        .map(
            ([maxDepth, skipped]): XmlLimits =>
                skipped === null ? { maxDepth } : { maxDepth, skipDataOf: (id) => id === skipped },
        );

    // 'a' is left out of the slot table on purpose: an event naming it must go back to the general scanner.
    const slotTable = new SlotTable(['UtcTime', 'Image', 'ProcessId', 'A']);

    /** An event's values as sorted [name, value] pairs, whether filed by slot or in the map. */
    function valuesOf(event: XmlEvent): [string, string][] {
        const pairs: [string, string][] =
            event.slots === undefined
                ? [...event.data]
                : event.slots.flatMap((value, slot) =>
                      value === undefined ? [] : [[slotTable.names[slot] as string, value] as [string, string]],
                  );
        return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }

    let slottedAnswers = 0;

    function checkShortcut(xml: string, limits: XmlLimits): boolean {
        const shortcut = scanUsualLayout(xml, limits);
        const general = scanEventXmlGeneral(xml, limits);
        // The general scanner's own fast runs through <System> and <EventData> against reading tag by tag: the same
        // events, or the same reason (the detail may quote the bad text with or without the blanks before it).
        const tagByTag = scanEventXmlTagByTag(xml, limits);
        if (tagByTag.ok) expect(general).toStrictEqual(tagByTag);
        else expect(general.ok ? 'ok' : general.problem).toBe(tagByTag.problem);
        expect(scanEventXml(xml, limits)).toStrictEqual(
            shortcut === undefined ? general : { ok: true, events: shortcut },
        );
        if (shortcut !== undefined) expect(general).toStrictEqual({ ok: true, events: shortcut });
        // The same document with values filed by slot: the same system fields and values, or the general answer.
        const slotted = scanUsualLayout(xml, { ...limits, dataSlots: slotTable });
        if (slotted !== undefined) {
            if (slotted.some((e) => e.slots !== undefined)) slottedAnswers++;
            expect(general.ok).toBe(true);
            if (general.ok) {
                expect(slotted.map((e) => e.system)).toStrictEqual(general.events.map((e) => e.system));
                expect(slotted.map(valuesOf)).toStrictEqual(general.events.map(valuesOf));
            }
        }
        expect(scanEventXml(xml, { ...limits, dataSlots: slotTable })).toStrictEqual(
            slotted === undefined ? general : { ok: true, events: slotted },
        );
        return shortcut !== undefined;
    }

    it('(c) the usual-layout shortcut answers as the general scanner on generated raw events and DataItem documents', () => {
        let answered = 0;
        let runs = 0;
        fc.assert(
            fc.property(usualLayoutArb, limitsArb, (xml, limits) => {
                runs++;
                if (checkShortcut(xml, limits)) answered++;
            }),
            { numRuns: 600 },
        );
        // Not vacuous: the shortcut answers most of them (it declines when maxDepth < 3 and on odd layouts), and files
        // values by slot for many (not when a name is outside the table, or the event's data is skipped).
        expect(answered).toBeGreaterThan(runs / 3);
        expect(slottedAnswers).toBeGreaterThan(runs / 10);
    });

    it('(c) the usual-layout shortcut answers as the general scanner on mutations of its layouts', () => {
        let answered = 0;
        fc.assert(
            fc.property(usualLayoutArb, mutationArb, limitsArb, (xml, mutations, limits) => {
                if (checkShortcut(mutate(xml, mutations), limits)) answered++;
            }),
            { numRuns: 1500 },
        );
        expect(answered).toBeGreaterThan(0);
    });

    /** Drops, repeats or swaps in another tag: the structural mistakes character mutations rarely make. */
    function editTag(xml: string, index: number, edit: 'drop' | 'repeat' | 'close'): string {
        const tags = [...xml.matchAll(/<[^<>]*>/g)];
        const tag = tags[index % Math.max(1, tags.length)];
        if (tag === undefined) return xml;
        const at = tag.index;
        const replacement =
            edit === 'drop'
                ? ''
                : edit === 'repeat'
                  ? tag[0] + tag[0]
                  : tag[0].startsWith('</')
                    ? tag[0]
                    : `</${/^<([\w:]+)/.exec(tag[0])?.[1] ?? 'x'}>`;
        return xml.slice(0, at) + replacement + xml.slice(at + tag[0].length);
    }

    it('(c) the usual-layout shortcut answers as the general scanner when a tag is dropped, repeated or closed early', () => {
        let answered = 0;
        fc.assert(
            fc.property(
                usualLayoutArb,
                fc.nat(),
                fc.constantFrom<'drop' | 'repeat' | 'close'>('drop', 'repeat', 'close'),
                limitsArb,
                (xml, index, edit, limits) => {
                    if (checkShortcut(editTag(xml, index, edit), limits)) answered++;
                },
            ),
            { numRuns: 1500 },
        );
        expect(answered).toBeGreaterThan(0);
    });

    it('(c) the usual-layout shortcut files the realistic raw event by slot, in double quotes, in single quotes as Windows renders it, and escaped', () => {
        const table = new SlotTable([
            'RuleName',
            'UtcTime',
            'ProcessGuid',
            'ProcessId',
            'Image',
            'CommandLine',
            'ParentImage',
        ]);
        const body = RAW_EVENT.replace('<?xml version="1.0" encoding="utf-8"?>\n', '');
        for (const xml of [body, body.replace(/="([^"]*)"/g, "='$1'")]) {
            const slotted = scanUsualLayout(xml, { maxDepth: 32, dataSlots: table });
            expect(slotted?.[0]?.slots).toBeDefined();
            expect(slotted?.[0]?.system).toEqual(RAW_EVENT_SYSTEM);
            expect(Object.fromEntries(table.names.map((name, slot) => [name, slotted?.[0]?.slots?.[slot]]))).toEqual(
                RAW_EVENT_DATA,
            );
        }
    });

    it('(c) the usual-layout shortcut takes the realistic raw event once its & is gone, and declines it with the &', () => {
        const plainEvent = RAW_EVENT.replace('<?xml version="1.0" encoding="utf-8"?>\n', '')
            .replace(' &amp; more', '')
            .replace('&lt;unknown process&gt;', 'unknown');
        expect(scanUsualLayout(plainEvent, LIMITS)).toBeDefined();
        expect(checkShortcut(plainEvent, LIMITS)).toBe(true);
        expect(scanUsualLayout(RAW_EVENT, LIMITS)).toBeUndefined();
        expect(checkShortcut(RAW_EVENT, LIMITS)).toBe(false);
    });

    it('(b) never throws on markup-heavy random strings', () => {
        const piece = fc.constantFrom(
            ...XML_PUNCTUATION,
            '<Data Name="a">',
            '</Data>',
            '<EventData>',
            '</EventData>',
            '<Event>',
            '</Event>',
            '<System>',
            '</System>',
            '<EventID>',
            '</EventID>',
            '<!--',
            '-->',
            '<![CDATA[',
            ']]>',
            '&amp;',
            '&#',
            ';',
            'x',
            ' ',
            '=',
        );
        fc.assert(
            fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
                checkRobust(pieces.join(''));
            }),
            { numRuns: 1000 },
        );
    });
});
