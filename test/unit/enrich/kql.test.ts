/**
 * KQL rendering: `kqlString` round-trips every string through a reader written from Microsoft's KQL lexical grammar
 * (github.com/microsoft/Kusto-Query-Language, src/Kusto.Language/Parser/LexicalGrammar.cs: string literals and
 * `Escape`), and the enrichment queries keep every incident value inside literals, whatever the value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
    buildEnrichmentQueries,
    imageBaseName,
    InvalidEnrichmentInputError,
    kqlString,
} from '../../../shared/enrich/kql';
import type { EnrichmentInput, EnrichmentQuery } from '../../../shared/enrich/kql';

// ---------------------------------------------------------------------------------------------------------------
// A tiny KQL reader: string literals, `//` comments, everything else is code
// ---------------------------------------------------------------------------------------------------------------

const HEX = /^[0-9a-fA-F]+$/;

function hexAt(text: string, at: number, digits: number): number {
    const chunk = text.slice(at, at + digits);
    if (chunk.length !== digits || !HEX.test(chunk)) throw new Error(`bad hex escape at ${at}`);
    return parseInt(chunk, 16);
}

/** Reads the quoted literal at `start` (`"`, `'`, `@"` or `@'`); returns its value and the index after it. */
function readLiteral(text: string, start: number): { value: string; end: number } {
    const verbatim = text[start] === '@';
    let i = verbatim ? start + 1 : start;
    const quote = text[i];
    if (quote !== '"' && quote !== "'") throw new Error(`no literal at ${start}`);
    i++;
    let value = '';
    while (i < text.length) {
        const ch = text.charAt(i);
        if (ch === '\r' || ch === '\n') throw new Error(`raw line break inside a literal at ${i}`);
        if (verbatim) {
            if (ch === quote) {
                if (text[i + 1] === quote) {
                    value += quote; // doubled quote
                    i += 2;
                    continue;
                }
                return { value, end: i + 1 };
            }
            value += ch;
            i++;
            continue;
        }
        if (ch === quote) return { value, end: i + 1 };
        if (ch !== '\\') {
            value += ch;
            i++;
            continue;
        }
        const e = text[i + 1];
        const simple: Record<string, string> = {
            '"': '"',
            "'": "'",
            '\\': '\\',
            a: '\x07',
            b: '\b',
            f: '\f',
            n: '\n',
            r: '\r',
            t: '\t',
            v: '\v',
        };
        if (e !== undefined && e in simple) {
            value += simple[e];
            i += 2;
        } else if (e === 'u') {
            value += String.fromCharCode(hexAt(text, i + 2, 4));
            i += 6;
        } else if (e === 'U') {
            value += String.fromCodePoint(hexAt(text, i + 2, 8));
            i += 10;
        } else if (e === 'x') {
            value += String.fromCharCode(hexAt(text, i + 2, 2));
            i += 4;
        } else {
            throw new Error(`unknown escape \\${String(e)} at ${i}`);
        }
    }
    throw new Error('unterminated literal');
}

/** Splits a query into its code (each literal replaced by `§`, comments dropped) and its literal values. */
function splitQuery(kql: string): { code: string; literals: string[] } {
    let code = '';
    const literals: string[] = [];
    let i = 0;
    while (i < kql.length) {
        const ch = kql.charAt(i);
        if (ch === '/' && kql[i + 1] === '/') {
            const eol = kql.indexOf('\n', i);
            i = eol === -1 ? kql.length : eol;
        } else if (ch === '"' || ch === "'" || (ch === '@' && (kql[i + 1] === '"' || kql[i + 1] === "'"))) {
            const literal = readLiteral(kql, i);
            literals.push(literal.value);
            code += '§';
            i = literal.end;
        } else {
            code += ch;
            i++;
        }
    }
    return { code, literals };
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures and generators
// ---------------------------------------------------------------------------------------------------------------

const BASE: EnrichmentInput = {
    host: 'WORKSTATION5.contoso.local',
    injectorImage: 'C:\\Windows\\System32\\mavinject.exe',
    targetImage: 'C:\\Windows\\System32\\notepad.exe',
    targetProcessGuid: '{39e4a257-e328-5f90-d410-000000000700}',
    firstSeen: '2020-10-22T01:40:56.444Z',
    lastSeen: '2020-10-22T01:41:02.517Z',
    injectorSha256: '42ba5cfe0228d26275a9f57f1a7a544287a4c82ff96fe8167975d93ae8fa9514',
};

const HOSTILE = [
    '"; SecurityEvent | take 1 //',
    "'; SecurityEvent | take 1 //",
    '\\"; SecurityEvent | take 1 //',
    'a\\',
    '\\',
    '"',
    '""',
    "'",
    '@"x"',
    'x\n| SecurityEvent | take 1',
    'x\r\n//comment\n',
    'x\u2028| SecurityEvent',
    'tab\there',
    'nul\u0000byte',
    'bell\u0007 del\u007f nel\u0085',
    'a | b ; c // d /* e */',
    '```multi```',
    'h"obfuscated"',
    '{guid}',
    'ünïcødé 主机 🦀',
    'lone \ud800 high',
    'lone \udc00 low',
    ' padded ',
];

/** Any UTF-16 code unit (lone surrogates included), and strings biased toward the characters that matter. */
const codeUnitArb = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const hostileCharArb = fc.constantFrom(
    '"',
    '\\',
    "'",
    '\n',
    '\r',
    '\t',
    '|',
    '/',
    ';',
    '@',
    '`',
    '\u2028',
    '\u0000',
    '\u007f',
    '\ud800',
    '\udc00',
    'x',
    ' ',
);
const anyStringArb = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: codeUnitArb }),
    fc.string({ unit: hostileCharArb }),
    fc.constantFrom(...HOSTILE),
);
const nonBlankArb = anyStringArb.filter((s) => s.trim() !== '' && s.trim() !== '{}');

function byName(queries: EnrichmentQuery[]): Map<string, EnrichmentQuery> {
    return new Map(queries.map((q) => [q.name, q]));
}

const BASELINE = byName(buildEnrichmentQueries(BASE));

/** Every query of `input` has the same code as the baseline's query of that name: values changed only literals. */
function expectSameCodeAsBaseline(input: EnrichmentInput): void {
    for (const query of buildEnrichmentQueries(input)) {
        const baseline = BASELINE.get(query.name);
        expect(baseline, query.name).toBeDefined();
        expect(splitQuery(query.kql).code, query.name).toBe(splitQuery(baseline!.kql).code);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// kqlString
// ---------------------------------------------------------------------------------------------------------------

describe('kqlString', () => {
    it('escapes backslash, double quote and line breaks, and keeps inert characters', () => {
        expect(kqlString('plain')).toBe('"plain"');
        expect(kqlString('')).toBe('""');
        expect(kqlString('a"b')).toBe('"a\\"b"');
        expect(kqlString('C:\\Windows\\notepad.exe')).toBe('"C:\\\\Windows\\\\notepad.exe"');
        expect(kqlString('a\nb\rc\td')).toBe('"a\\nb\\rc\\td"');
        expect(kqlString("it's | ; // @")).toBe('"it\'s | ; // @"');
        expect(kqlString('ünïcødé 主机 🦀')).toBe('"ünïcødé 主机 🦀"');
    });

    it('writes other control characters, line separators and lone surrogates as \\u escapes', () => {
        expect(kqlString('\u0000\u0007\u001f\u007f\u0085\u2028\u2029')).toBe(
            '"\\u0000\\u0007\\u001F\\u007F\\u0085\\u2028\\u2029"',
        );
        expect(kqlString('\ud800x\udc00')).toBe('"\\uD800x\\uDC00"');
        expect(kqlString('\ud83e\udd80')).toBe('"🦀"'); // a well-formed pair stays one character
    });

    it('turns the injection attempt into one inert literal', () => {
        const rendered = kqlString('"; SecurityEvent | take 1 //');
        expect(rendered).toBe('"\\"; SecurityEvent | take 1 //"');
        expect(readLiteral(rendered, 0)).toEqual({ value: '"; SecurityEvent | take 1 //', end: rendered.length });
        expect(splitQuery(`print x = ${rendered}`).code).toBe('print x = §');
    });

    it.each(HOSTILE)('round-trips hostile input %j', (value) => {
        const rendered = kqlString(value);
        expect(readLiteral(rendered, 0)).toEqual({ value, end: rendered.length });
    });

    it('reads back, for any string, to the same string, ending exactly at the closing quote', () => {
        fc.assert(
            fc.property(anyStringArb, (value) => {
                const rendered = kqlString(value);
                const read = readLiteral(rendered, 0);
                expect(read.value).toBe(value);
                expect(read.end).toBe(rendered.length); // no unescaped terminator before the end
            }),
            { numRuns: 2000 },
        );
    });

    it('never emits a raw line break, control character or lone surrogate', () => {
        fc.assert(
            fc.property(anyStringArb, (value) => {
                expect(kqlString(value)).not.toMatch(
                    // eslint-disable-next-line no-control-regex
                    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
                );
            }),
            { numRuns: 1000 },
        );
    });

    it('stays intact when the same literal is followed by more query text', () => {
        fc.assert(
            fc.property(anyStringArb, anyStringArb, (a, b) => {
                const { code, literals } = splitQuery(
                    `let a = ${kqlString(a)};\nlet b = ${kqlString(b)};\nT | where x == a`,
                );
                expect(code).toBe('let a = §;\nlet b = §;\nT | where x == a');
                expect(literals).toEqual([a, b]);
            }),
        );
    });
});

// ---------------------------------------------------------------------------------------------------------------
// buildEnrichmentQueries
// ---------------------------------------------------------------------------------------------------------------

describe('buildEnrichmentQueries', () => {
    it('builds the four queries with their windows', () => {
        const queries = byName(buildEnrichmentQueries(BASE));
        expect([...queries.keys()]).toEqual(['pairRarity', 'hashRarity', 'alertsOnHost', 'targetConnections']);
        const pair = queries.get('pairRarity')!;
        expect(pair.timespan).toEqual({
            startTime: new Date('2020-09-22T01:40:56.444Z'),
            endTime: new Date('2020-10-22T02:41:02.517Z'),
        });
        expect(queries.get('hashRarity')!.timespan).toEqual(pair.timespan);
        expect(queries.get('alertsOnHost')!.timespan).toEqual({
            startTime: new Date('2020-10-21T01:40:56.444Z'),
            endTime: new Date('2020-10-23T01:41:02.517Z'),
        });
        expect(queries.get('targetConnections')!.timespan).toEqual({
            startTime: new Date('2020-10-22T01:40:56.444Z'),
            endTime: new Date('2020-10-23T01:40:56.444Z'),
        });
        // The query text repeats the window, so it means the same when pasted into the portal.
        expect(pair.kql).toContain('let windowStart = datetime(2020-09-22T01:40:56.444Z);');
        expect(pair.kql).toContain('let windowEnd = datetime(2020-10-22T02:41:02.517Z);');
    });

    it('queries Sysmon in both Event and WindowsEvent, matching base names case-insensitively', () => {
        const pair = BASELINE.get('pairRarity')!.kql;
        expect(pair).toMatch(/^\/\/ hollowtrace enrichment: pairRarity/);
        expect(pair).toContain('union isfuzzy=true');
        expect(pair).toContain('(Event\n');
        expect(pair).toContain('Source == "Microsoft-Windows-Sysmon" and EventID in (1, 8, 10)');
        expect(pair).toContain('parse_xml(EventData)');
        expect(pair).toContain('(WindowsEvent\n');
        expect(pair).toContain('Provider == "Microsoft-Windows-Sysmon" and EventID in (1, 8, 10)');
        expect(pair).toContain('=~ injectorName');
        expect(pair).toContain('=~ targetName');
        expect(splitQuery(pair).literals.slice(0, 2)).toEqual(['mavinject.exe', 'notepad.exe']);

        const hash = BASELINE.get('hashRarity')!.kql;
        expect(splitQuery(hash).literals[0]).toBe('42BA5CFE0228D26275A9F57F1A7A544287A4C82FF96FE8167975D93AE8FA9514');
        expect(hash).toContain('EventID in (1)');

        const alerts = BASELINE.get('alertsOnHost')!.kql;
        expect(alerts).toContain('SecurityAlert');
        expect(splitQuery(alerts).literals.slice(0, 2)).toEqual(['WORKSTATION5.contoso.local', 'WORKSTATION5']);

        const connections = BASELINE.get('targetConnections')!.kql;
        expect(connections).toContain('EventID in (3)');
        expect(splitQuery(connections).literals.slice(0, 2)).toEqual([
            '{39e4a257-e328-5f90-d410-000000000700}',
            '39e4a257-e328-5f90-d410-000000000700',
        ]);
    });

    it('matches alerts by FQDN and short name, but never shortens an IP address', () => {
        const literalsFor = (host: string): string[] =>
            splitQuery(byName(buildEnrichmentQueries({ ...BASE, host })).get('alertsOnHost')!.kql).literals.slice(0, 2);
        expect(literalsFor('ws5.contoso.local')).toEqual(['ws5.contoso.local', 'ws5']);
        expect(literalsFor('WS5')).toEqual(['WS5', 'WS5']);
        expect(literalsFor('10.0.0.5')).toEqual(['10.0.0.5', '10.0.0.5']);
        expect(literalsFor('.odd')).toEqual(['.odd', '.odd']);
    });

    it('adds braces to a bare process GUID and takes base names from / paths too', () => {
        const queries = byName(
            buildEnrichmentQueries({
                ...BASE,
                targetProcessGuid: '39e4a257-e328-5f90-d410-000000000700',
                injectorImage: '/usr/bin/Inject',
            }),
        );
        expect(splitQuery(queries.get('targetConnections')!.kql).literals[0]).toBe(
            '{39e4a257-e328-5f90-d410-000000000700}',
        );
        expect(splitQuery(queries.get('pairRarity')!.kql).literals[0]).toBe('Inject');
        expect(imageBaseName('C:\\dir\\')).toBeUndefined();
        expect(imageBaseName('notepad.exe')).toBe('notepad.exe');
    });

    it('skips the pair query without both images and the hash query without a hash', () => {
        const { injectorSha256: _hash, targetImage: _target, ...rest } = BASE;
        expect(buildEnrichmentQueries(rest).map((q) => q.name)).toEqual(['alertsOnHost', 'targetConnections']);
        expect(buildEnrichmentQueries({ ...rest, targetImage: 'C:\\Windows\\' }).map((q) => q.name)).toEqual([
            'alertsOnHost',
            'targetConnections',
        ]);
    });

    it.each([
        [{ host: '  ' }, 'host is empty'],
        [{ targetProcessGuid: '{}' }, 'targetProcessGuid is empty'],
        [{ firstSeen: 'yesterday' }, 'firstSeen is not a date'],
        [{ lastSeen: '2020-10-21T00:00:00Z' }, 'lastSeen is before firstSeen'],
        [{ injectorSha256: 'abc"; SecurityEvent' }, 'not a SHA256'],
    ])('rejects %j', (patch, message) => {
        expect(() => buildEnrichmentQueries({ ...BASE, ...patch })).toThrow(InvalidEnrichmentInputError);
        expect(() => buildEnrichmentQueries({ ...BASE, ...patch })).toThrow(message);
    });

    it.each(HOSTILE.filter((h) => h.trim() !== ''))('keeps hostile value %j inside literals', (hostile) => {
        const input = {
            ...BASE,
            host: hostile,
            injectorImage: `C:\\x\\${hostile}`,
            targetImage: hostile,
            targetProcessGuid: hostile,
        };
        expectSameCodeAsBaseline(input);
        for (const query of buildEnrichmentQueries(input))
            expect(splitQuery(query.kql).code).not.toContain('SecurityEvent');
        const alerts = byName(buildEnrichmentQueries(input)).get('alertsOnHost')!;
        expect(splitQuery(alerts.kql).literals[0]).toBe(hostile.trim());
    });

    it('for any host, images and GUID, the values change only literals, and the host literal is the host', () => {
        fc.assert(
            fc.property(nonBlankArb, anyStringArb, anyStringArb, nonBlankArb, (host, injector, target, guid) => {
                const input = { ...BASE, host, injectorImage: injector, targetImage: target, targetProcessGuid: guid };
                expectSameCodeAsBaseline(input);
                const alerts = byName(buildEnrichmentQueries(input)).get('alertsOnHost')!;
                expect(splitQuery(alerts.kql).literals[0]).toBe(host.trim());
            }),
            { numRuns: 500 },
        );
    });
});
