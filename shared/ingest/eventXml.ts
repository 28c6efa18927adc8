/**
 * @module A safe, shape-aware scanner for Windows event XML: raw `<Event>` documents, `<Events>` lists and the
 * `<DataItem><EventData>` string of the Log Analytics `Event` table (docs/architecture.md, "Feed shapes").
 *
 * Why not a general XML parser: one that knows the shape of `EventData` is an order of magnitude faster (figures in
 * docs/performance.md; `npm run bench:ingest` measures both in the same run). Safety rules kept here:
 * - a DTD (`<!DOCTYPE`, `<!ENTITY`, any `<!` other than a comment or CDATA) is rejected, never expanded (billion laughs);
 * - only the five predefined entities and numeric character references are decoded; any other `&name;` is rejected;
 * - nesting depth and input size are bounded by the caller's limits; tags must balance (truncated input is rejected).
 * It is checked against fast-xml-parser by differential property tests (test/unit/ingest/eventXml.test.ts).
 */

/** What the `<System>` block of one event says; every field optional (the `DataItem` form has no System). */
export interface XmlSystemFields {
    provider?: string;
    eventId?: string;
    version?: string;
    channel?: string;
    computer?: string;
    eventRecordId?: string;
    systemTime?: string;
}

/** One event found in the XML: its System fields and its `<Data Name="...">` values by name. */
export interface XmlEvent {
    system: XmlSystemFields;
    /** Values by `Name`, in document order. A Map: names are data, and keyed stores on objects were a hot spot. */
    data: ReadonlyMap<string, string>;
    /**
     * Set instead of `data` (which is then empty) when the caller gave `XmlLimits.dataSlots` and every `<Data Name>`
     * of the event is one of its names: the values by the names' slots, the last one winning as in `data`.
     */
    slots?: (string | undefined)[];
}

export type XmlProblem = 'malformed-xml' | 'xml-dtd-forbidden' | 'xml-undefined-entity' | 'nesting-too-deep';

export type XmlScanResult = { ok: true; events: XmlEvent[] } | { ok: false; problem: XmlProblem; detail: string };

export interface XmlLimits {
    maxDepth: number;
    /**
     * Names the caller reads values by. With it, an event in one of the usual layouts (`scanUsualLayout`) whose data
     * names are all in the table comes back with `slots`: no name strings and no map are made (what that saved:
     * docs/performance.md, "Measurements behind choices in the code").
     */
    dataSlots?: SlotTable;
    /**
     * Events whose System `EventID` this returns true for get no `data`: their `<EventData>` is skipped unread, since
     * nothing downstream looks at it. The skipped part is not checked for well-formedness.
     */
    skipDataOf?: (eventId: string) => boolean;
}

// Maps, not object literals: a lookup by element or entity name must never reach Object.prototype (`&toString;`).
const SYSTEM_TEXT_FIELDS = new Map<string, keyof XmlSystemFields>([
    ['EventID', 'eventId'],
    ['Version', 'version'],
    ['Channel', 'channel'],
    ['Computer', 'computer'],
    ['EventRecordID', 'eventRecordId'],
]);

/**
 * A System record with every field present (absent ones `undefined`): all of them share one hidden class, and stores
 * into it stay monomorphic. Growing `{}` key by key in document order made each store a megamorphic keyed store.
 */
function emptySystem(): XmlSystemFields {
    return {
        provider: undefined,
        eventId: undefined,
        version: undefined,
        channel: undefined,
        computer: undefined,
        eventRecordId: undefined,
        systemTime: undefined,
    };
}

/** `system[field] = value` as named stores (see `emptySystem`). */
function setSystemField(system: XmlSystemFields, field: keyof XmlSystemFields, value: string): void {
    switch (field) {
        case 'provider':
            system.provider = value;
            break;
        case 'eventId':
            system.eventId = value;
            break;
        case 'version':
            system.version = value;
            break;
        case 'channel':
            system.channel = value;
            break;
        case 'computer':
            system.computer = value;
            break;
        case 'eventRecordId':
            system.eventRecordId = value;
            break;
        case 'systemTime':
            system.systemTime = value;
            break;
    }
}

class ScanError extends Error {
    constructor(
        readonly problem: XmlProblem,
        readonly detail: string,
    ) {
        super(detail);
    }
}

const PREDEFINED_ENTITIES = new Map<string, string>([
    ['lt', '<'],
    ['gt', '>'],
    ['amp', '&'],
    ['quot', '"'],
    ['apos', "'"],
]);

/** XML 1.0 `Char` production (§2.2): what a character reference may denote. */
function isXmlChar(code: number): boolean {
    return (
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff)
    );
}

/** XML 1.0 §2.11: a literal CR LF or lone CR in the document reads as LF (character references are not affected). */
function normalizeLineEnds(text: string): string {
    return text.indexOf('\r') === -1 ? text : text.replace(/\r\n?/g, '\n');
}

/**
 * Decodes the predefined XML entities and numeric character references in `text`.
 * Returns `undefined` when `text` holds an entity XML does not predefine (we never expand declared entities).
 * @example decodeXmlEntities('&lt;unknown process&gt;') // '<unknown process>'
 */
export function decodeXmlEntities(text: string): string | undefined {
    let amp = text.indexOf('&');
    if (amp === -1) return text;
    let out = '';
    let from = 0;
    while (amp !== -1) {
        const semi = text.indexOf(';', amp + 1);
        if (semi === -1 || semi - amp > 40) return undefined;
        const name = text.slice(amp + 1, semi);
        let decoded: string | undefined;
        if (name.charCodeAt(0) === 35 /* # */) {
            const isHex = name.charCodeAt(1) === 120; /* x */
            const digits = (isHex ? name.slice(2) : name.slice(1)).replace(/^0+(?=.)/, '');
            const valid = isHex ? /^[0-9a-fA-F]{1,6}$/.test(digits) : /^[0-9]{1,7}$/.test(digits);
            const code = valid ? parseInt(digits, isHex ? 16 : 10) : NaN;
            if (!isXmlChar(code)) return undefined;
            decoded = String.fromCodePoint(code);
        } else {
            decoded = PREDEFINED_ENTITIES.get(name);
        }
        if (decoded === undefined) return undefined;
        out += text.slice(from, amp) + decoded;
        from = semi + 1;
        amp = text.indexOf('&', from);
    }
    return out + text.slice(from);
}

/** Like `decodeXmlEntities`, but leaves unknown entities as written: for JSON feeds that kept XML escapes. */
export function decodeXmlEntitiesLenient(text: string): string {
    if (text.indexOf('&') === -1) return text;
    return text.replace(/&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g, (whole, name: string) => {
        if (name.charCodeAt(0) !== 35) return PREDEFINED_ENTITIES.get(name) ?? whole;
        const code = name.charCodeAt(1) === 120 ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return isXmlChar(code) ? String.fromCodePoint(code) : whole;
    });
}

function decodeOrThrow(raw: string): string {
    const text = normalizeLineEnds(raw);
    const decoded = decodeXmlEntities(text);
    if (decoded === undefined) {
        throw new ScanError('xml-undefined-entity', `entity or character reference not allowed: ${text.slice(0, 60)}`);
    }
    return decoded;
}

function localName(qualified: string): string {
    const colon = qualified.indexOf(':');
    return colon === -1 ? qualified : qualified.slice(colon + 1);
}

function isNameChar(code: number): boolean {
    // Letters, digits, '_', '-', '.', ':' and any non-ASCII character (XML NameChar, simplified).
    return (
        (code >= 97 && code <= 122) ||
        (code >= 65 && code <= 90) ||
        (code >= 48 && code <= 57) ||
        code === 95 ||
        code === 45 ||
        code === 46 ||
        code === 58 ||
        code > 127
    );
}

function isWhitespace(code: number): boolean {
    return code === 32 || code === 10 || code === 13 || code === 9;
}

/**
 * A start tag's rest up to its closing `>`: unquoted text and quoted values, no `<` anywhere. Each alternative starts
 * with a different character, so a failing match cannot backtrack more than linearly.
 */
const TAG_REST = /[^>"'<]*(?:(?:"[^"<]*"|'[^'<]*')[^>"'<]*)*>/y;

/**
 * Finds the `>` that closes the tag opened at `from`, skipping quoted attribute values; -1 when the input ends
 * first, -2 when a `<` appears inside the tag (not well-formed). The sticky regex above answers the usual case (it
 * ran twice as fast as a char loop on the tags of the datasets' Log Analytics rows); the loop tells the two failures
 * apart. Bounded: tags are short, and searching the rest of the document for quotes made this quadratic once.
 */
function findTagEnd(xml: string, from: number): number {
    TAG_REST.lastIndex = from;
    if (TAG_REST.test(xml)) return TAG_REST.lastIndex - 1;
    let quote = 0;
    for (let i = from; i < xml.length; i++) {
        const c = xml.charCodeAt(i);
        if (c === 60 /* < */) return -2;
        if (quote !== 0) {
            if (c === quote) quote = 0;
        } else if (c === 62 /* > */) {
            return i;
        } else if (c === 34 || c === 39) {
            quote = c;
        }
    }
    return -1;
}

/**
 * The UTF-16 code units of a constant, for `hasAt`: comparing against a number array ran faster over the datasets than
 * `charCodeAt` on the constant string (`textAt`; docs/performance.md, "Measurements behind choices in the code").
 */
function codesOf(text: string): readonly number[] {
    return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
}

/**
 * True when `xml` holds `codes` at `at`. An inline compare: `startsWith` is a builtin call, and replacing it on the
 * per-element path made a Data run over the datasets' Log Analytics rows a third faster.
 */
function hasAt(xml: string, at: number, codes: readonly number[]): boolean {
    for (let k = 0; k < codes.length; k++) if (xml.charCodeAt(at + k) !== codes[k]) return false;
    return true;
}

/** `<Data Name=` then a quote, double (the Log Analytics `DataItem`, EVTX libraries) or single (Windows' own rendering). */
const DATA_OPEN = codesOf('<Data Name=');
const DATA_CLOSE = codesOf('</Data>');
const NAME_ATTRIBUTE = codesOf(' Name=');
const EVENT_ID = codesOf('EventID');
const CHANNEL = codesOf('Channel');
const VERSION = codesOf('Version');
const COMPUTER = codesOf('Computer');
const PROVIDER = codesOf('Provider');
const TIME_CREATED = codesOf('TimeCreated');
const EVENT_RECORD_ID = codesOf('EventRecordID');

/** A fixed list of names, each found in place in a document (no slicing) and answered with its index, its slot. */
export class SlotTable {
    readonly names: readonly string[];
    private readonly byLength: (readonly SlotEntry[] | undefined)[] = [];
    private readonly noValues: readonly undefined[];

    constructor(names: readonly string[]) {
        this.names = names;
        this.noValues = names.map(() => undefined);
        names.forEach((name, slot) => {
            const bucket = (this.byLength[name.length] ??= []) as SlotEntry[];
            bucket.push({ codes: codesOf(name), slot });
        });
    }

    /** A fresh array with a slot per name, all empty (a packed array: a copy of a template, not `new Array(n)`). */
    emptySlots(): (string | undefined)[] {
        return this.noValues.slice();
    }

    /** The slot of the name `xml[from, to)` spells exactly, or -1. */
    find(xml: string, from: number, to: number): number {
        const bucket = this.byLength[to - from];
        if (bucket === undefined) return -1;
        for (let k = 0; k < bucket.length; k++) {
            const entry = bucket[k] as SlotEntry;
            if (hasAt(xml, from, entry.codes)) return entry.slot;
        }
        return -1;
    }
}

interface SlotEntry {
    codes: readonly number[];
    slot: number;
}

/** Set by `readDataElement` (module slots, so the per-element path allocates no result object). */
let dataNameEnd = 0;
let dataValueEnd = -1;

/**
 * Reads one `<Data Name="X">value</Data>`, `<Data Name='X'>value</Data>` or `<Data Name="X"/>` at `at`, exactly that
 * shape: the name runs from `at + 12` to `dataNameEnd`, the value (raw) from `dataNameEnd + 2` to `dataValueEnd`, or
 * `dataValueEnd` is -1 for the empty element. Returns the position after the element, or -1 for anything else (a `<`
 * in the name, CDATA, a comment or markup in the value, other attributes, the end of the run).
 */
function readDataElement(xml: string, at: number): number {
    if (!hasAt(xml, at, DATA_OPEN)) return -1;
    const quote = xml.charCodeAt(at + 11);
    if (quote !== 34 && quote !== 39) return -1;
    const nameEnd = xml.indexOf(quote === 34 ? '"' : "'", at + 12);
    if (nameEnd === -1) return -1;
    // One search finds both a `<` inside the name (not well-formed) and, past the name, where the value ends.
    const close = xml.indexOf('<', at + 12);
    if (close !== -1 && close < nameEnd) return -1;
    dataNameEnd = nameEnd;
    const after = xml.charCodeAt(nameEnd + 1);
    if (after === 47 /* / */ && xml.charCodeAt(nameEnd + 2) === 62) {
        dataValueEnd = -1;
        return nameEnd + 3;
    }
    // The next markup must be this element's end tag; anything else (CDATA, a comment, a child) goes the general way.
    if (after !== 62 /* > */ || close === -1 || !hasAt(xml, close, DATA_CLOSE)) return -1;
    dataValueEnd = close;
    return close + 7;
}

/**
 * `fastDataRun` filing values by slot. Returns where it stopped, or -1 at a name the table does not hold or a value
 * with a bad entity (the caller then reads the event the general way, into a map). `plain` as in `fastDataRun`; a
 * name with an entity or a CR is never one of the table's, so it goes the general way.
 */
function fastDataSlots(
    xml: string,
    from: number,
    values: (string | undefined)[],
    table: SlotTable,
    plain: boolean,
): number {
    let i = from;
    for (;;) {
        while (isWhitespace(xml.charCodeAt(i))) i++;
        const next = readDataElement(xml, i);
        if (next === -1) return i;
        const slot = table.find(xml, i + 12, dataNameEnd);
        if (slot === -1) return -1;
        if (dataValueEnd === -1) {
            values[slot] = '';
        } else if (plain) {
            values[slot] = xml.slice(dataNameEnd + 2, dataValueEnd);
        } else {
            // Decoded as `scanGeneral` decodes; a bad entity goes back to `scanGeneral` too, which names it.
            const text = decodeXmlEntities(normalizeLineEnds(xml.slice(dataNameEnd + 2, dataValueEnd)));
            if (text === undefined) return -1;
            values[slot] = text;
        }
        i = next;
    }
}

/**
 * Reads a run of `<Data Name="X">value</Data>` elements (or `Name='X'`: the body of nearly every `EventData`) from
 * `from`, and returns where it stopped. It stops at the first thing that is not exactly that shape
 * (`readDataElement`) and the general scanner carries on from there, so the fast path never decides anything the
 * general one would decide differently: it only skips its per-tag bookkeeping.
 */
function fastDataRun(xml: string, from: number, data: Map<string, string>, plain: boolean): number {
    let i = from;
    for (;;) {
        while (isWhitespace(xml.charCodeAt(i))) i++;
        const next = readDataElement(xml, i);
        if (next === -1) return i;
        const rawName = xml.slice(i + 12, dataNameEnd);
        const rawValue = dataValueEnd === -1 ? '' : xml.slice(dataNameEnd + 2, dataValueEnd);
        data.set(plain ? rawName : decodeOrThrow(rawName), plain ? rawValue : decodeOrThrow(rawValue));
        i = next;
    }
}

/** Which System child the element name at `xml[start, end)` is, compared in place (no slice): most events have six. */
type SystemChild = keyof XmlSystemFields | 'Provider' | 'TimeCreated' | undefined;

function systemChildAt(xml: string, start: number, end: number): SystemChild {
    switch (end - start) {
        case 7:
            if (hasAt(xml, start, EVENT_ID)) return 'eventId';
            if (hasAt(xml, start, CHANNEL)) return 'channel';
            if (hasAt(xml, start, VERSION)) return 'version';
            return undefined;
        case 8:
            if (hasAt(xml, start, COMPUTER)) return 'computer';
            return hasAt(xml, start, PROVIDER) ? 'Provider' : undefined;
        case 11:
            return hasAt(xml, start, TIME_CREATED) ? 'TimeCreated' : undefined;
        case 13:
            return hasAt(xml, start, EVENT_RECORD_ID) ? 'eventRecordId' : undefined;
        default:
            return undefined;
    }
}

/**
 * The value of attribute `wanted` (by local name; the last one wins) among the attributes in `xml[from, to)`, a range
 * inside a tag `findTagEnd` delimited (so it holds no `<`). Every attribute is checked for form and, unless the
 * document is `plain` (no `&`, no CR), decoded, so a bad entity in any of them rejects the document; only the wanted
 * value is kept.
 */
function attributeValue(xml: string, from: number, to: number, wanted: string, plain: boolean): string | undefined {
    let found: string | undefined;
    let i = from;
    while (i < to) {
        while (i < to && isWhitespace(xml.charCodeAt(i))) i++;
        if (i >= to) break;
        const nameStart = i;
        let colon = -1;
        while (i < to && isNameChar(xml.charCodeAt(i))) {
            if (colon === -1 && xml.charCodeAt(i) === 58 /* : */) colon = i;
            i++;
        }
        if (i === nameStart) throw new ScanError('malformed-xml', `bad attribute at offset ${i}`);
        const nameEnd = i;
        while (i < to && isWhitespace(xml.charCodeAt(i))) i++;
        if (xml.charCodeAt(i) !== 61 /* = */)
            throw new ScanError('malformed-xml', `attribute ${xml.slice(nameStart, nameEnd)} has no value`);
        i++;
        while (i < to && isWhitespace(xml.charCodeAt(i))) i++;
        const quote = xml.charCodeAt(i);
        if (quote !== 34 && quote !== 39)
            throw new ScanError('malformed-xml', `attribute ${xml.slice(nameStart, nameEnd)} is not quoted`);
        const valueEnd = xml.indexOf(quote === 34 ? '"' : "'", i + 1);
        if (valueEnd === -1 || valueEnd >= to)
            throw new ScanError('malformed-xml', `attribute ${xml.slice(nameStart, nameEnd)} is not closed`);
        const localStart = colon === -1 ? nameStart : colon + 1;
        const isWanted = nameEnd - localStart === wanted.length && textAt(xml, localStart, wanted);
        if (!plain) {
            const value = decodeOrThrow(xml.slice(i + 1, valueEnd));
            if (isWanted) found = value;
        } else if (isWanted) {
            found = xml.slice(i + 1, valueEnd);
        }
        i = valueEnd + 1;
    }
    return found;
}

/** Set by `plainAttributesEnd`: the wanted attribute's value (a module slot, so the hot path allocates no result object). */
let foundAttribute: string | undefined;

/**
 * For a document with no `&` and no CR: reads the attributes of a start tag from `from` (just after its name) to its
 * `>` or `/>`, each as ` name="value"` (or single quotes), sets `foundAttribute` to the value of `wanted` (by local
 * name, after the first colon as `attributeValue` takes it; the last one wins) and returns the index of the `>`.
 * Returns -1 for anything else (no whitespace before an attribute, a `<` in a value), and the caller hands the element
 * to the general path, which decides.
 */
function plainAttributesEnd(xml: string, from: number, wanted: string): number {
    foundAttribute = undefined;
    // The first `<` after the name, found once: a value reaching past it holds a `<`. (Searching again per attribute
    // made a tag with many attributes quadratic.)
    const firstLt = xml.indexOf('<', from);
    let i = from;
    for (;;) {
        const c = xml.charCodeAt(i);
        if (c === 62 /* > */) return i;
        if (c === 47 /* / */) return xml.charCodeAt(i + 1) === 62 ? i + 1 : -1;
        if (!isWhitespace(c)) return -1;
        while (isWhitespace(xml.charCodeAt(i))) i++;
        const next = xml.charCodeAt(i);
        if (next === 47 || next === 62) continue;
        const nameStart = i;
        let localStart = i;
        for (let n = xml.charCodeAt(i); isNameChar(n); n = xml.charCodeAt(++i))
            if (n === 58 /* : */ && localStart === nameStart) localStart = i + 1;
        if (i === nameStart) return -1;
        const nameEnd = i;
        while (isWhitespace(xml.charCodeAt(i))) i++;
        if (xml.charCodeAt(i) !== 61 /* = */) return -1;
        i++;
        while (isWhitespace(xml.charCodeAt(i))) i++;
        const quote = xml.charCodeAt(i);
        if (quote !== 34 && quote !== 39) return -1;
        const valueEnd = xml.indexOf(quote === 34 ? '"' : "'", i + 1);
        if (valueEnd === -1 || (firstLt !== -1 && firstLt < valueEnd)) return -1;
        if (nameEnd - localStart === wanted.length && textAt(xml, localStart, wanted))
            foundAttribute = xml.slice(i + 1, valueEnd);
        i = valueEnd + 1;
    }
}

/**
 * Reads the children of `<System>` (text leaves and empty elements, with or without attributes) from `from`, and
 * returns where it stopped; like `fastDataRun`, it hands anything unusual back to the general scanner. `plain` says
 * the document has no `&` and no CR, so values are taken as written.
 */
function fastSystemRun(xml: string, from: number, system: XmlSystemFields, plain: boolean): number {
    let i = from;
    // Where the next `&` is, moved forward only as the run does (-2: not looked for yet, -1: none): searching from each
    // child again made a System block of many children quadratic in a document whose only `&` comes late.
    let nextAmp = -2;
    for (;;) {
        while (isWhitespace(xml.charCodeAt(i))) i++;
        if (xml.charCodeAt(i) !== 60 /* < */) return i;
        const next = xml.charCodeAt(i + 1);
        if (next === 47 || next === 33 || next === 63) return i; // an end tag, a declaration, a processing instruction
        let nameEnd = i + 1;
        let colon = -1;
        for (let c = xml.charCodeAt(nameEnd); isNameChar(c); c = xml.charCodeAt(++nameEnd))
            if (c === 58 && colon === -1) colon = nameEnd;
        if (nameEnd === i + 1) return i;
        const after = xml.charCodeAt(nameEnd);
        const child = systemChildAt(xml, colon === -1 ? i + 1 : colon + 1, nameEnd);
        const keepsAttribute = child === 'Provider' || child === 'TimeCreated';
        let gt: number;
        if (plain && keepsAttribute) {
            // The two System children whose attribute we keep: tag end and value in one pass (no regex, no second walk).
            gt = plainAttributesEnd(xml, nameEnd, child === 'Provider' ? 'Name' : 'SystemTime');
            if (gt === -1) return i;
            if (child === 'Provider') system.provider = foundAttribute;
            else system.systemTime = foundAttribute;
        } else {
            gt =
                after === 62 /* > */
                    ? nameEnd
                    : after === 47 && xml.charCodeAt(nameEnd + 1) === 62
                      ? nameEnd + 1
                      : findTagEnd(xml, nameEnd);
            if (gt < 0) return i;
            if (keepsAttribute) {
                const value = attributeValue(
                    xml,
                    nameEnd,
                    xml.charCodeAt(gt - 1) === 47 ? gt - 1 : gt,
                    child === 'Provider' ? 'Name' : 'SystemTime',
                    plain,
                );
                if (child === 'Provider') system.provider = value;
                else system.systemTime = value;
            }
        }
        if (xml.charCodeAt(gt - 1) === 47 /* / */) {
            i = gt + 1;
            continue;
        }
        // Content: text up to this element's own end tag (renderers write `<Provider …></Provider>`, `<EventID
        // Qualifiers="">1</EventID>`); a child element or anything else goes the general way.
        const nameLength = nameEnd - i - 1;
        const lt = xml.indexOf('<', gt + 1);
        if (
            lt === -1 ||
            xml.charCodeAt(lt + 1) !== 47 ||
            xml.charCodeAt(lt + 2 + nameLength) !== 62 ||
            !sameText(xml, i + 1, lt + 2, nameLength)
        )
            return i;
        if (child !== undefined && !keepsAttribute) {
            setSystemField(system, child, plain ? xml.slice(gt + 1, lt) : decodeOrThrow(xml.slice(gt + 1, lt)));
        } else if (!plain) {
            if (nextAmp === -2 || (nextAmp !== -1 && nextAmp <= gt)) nextAmp = xml.indexOf('&', gt + 1);
            if (nextAmp !== -1 && nextAmp < lt) decodeOrThrow(xml.slice(gt + 1, lt)); // still reject bad entities
        }
        i = lt + nameLength + 3;
    }
}

/** True when `xml` holds `text` at `at` (`startsWith` without the builtin call, for short names). */
function textAt(xml: string, at: number, text: string): boolean {
    for (let k = 0; k < text.length; k++) if (xml.charCodeAt(at + k) !== text.charCodeAt(k)) return false;
    return true;
}

/** True when `xml[a, a + length)` and `xml[b, b + length)` hold the same characters (an end tag's name, unsliced). */
function sameText(xml: string, a: number, b: number, length: number): boolean {
    for (let k = 0; k < length; k++) if (xml.charCodeAt(a + k) !== xml.charCodeAt(b + k)) return false;
    return true;
}

/** `<Data Name="X">`, the shape of nearly every element: reads X without walking attributes. */
function fastDataName(xml: string, nameEnd: number, tagEnd: number): string | undefined {
    if (!hasAt(xml, nameEnd, NAME_ATTRIBUTE)) return undefined;
    const quote = xml.charCodeAt(nameEnd + 6);
    if (quote !== 34 && quote !== 39) return undefined;
    const close = xml.indexOf(quote === 34 ? '"' : "'", nameEnd + 7);
    if (close + 1 !== tagEnd) return undefined;
    return decodeOrThrow(xml.slice(nameEnd + 7, close));
}

/**
 * Scans Windows event XML and returns every event in it. A document without an `<Event>` element (the
 * `<DataItem><EventData>` string of the Log Analytics `Event` table) yields one event with data only.
 * Never throws for bad input: problems come back as a value.
 * @example scanEventXml('<EventData><Data Name="UtcTime">2024-05-01 10:15:01.987</Data></EventData>', { maxDepth: 32 })
 * // { ok: true, events: [{ system: {}, data: Map { 'UtcTime' => '2024-05-01 10:15:01.987' } }] }
 */
export function scanEventXml(xml: string, limits: XmlLimits): XmlScanResult {
    return toScanResult(scanAnyLayout, xml, limits);
}

function scanAnyLayout(xml: string, limits: XmlLimits): XmlEvent[] {
    return scanUsualLayout(xml, limits) ?? scanGeneral(xml, limits);
}

/** Runs one of the scanners and turns a `ScanError` into the problem it names; anything else is a bug and throws. */
export function toScanResult(
    read: (xml: string, limits: XmlLimits) => XmlEvent[],
    xml: string,
    limits: XmlLimits,
): XmlScanResult {
    try {
        return { ok: true, events: read(xml, limits) };
    } catch (error) {
        if (error instanceof ScanError) return { ok: false, problem: error.problem, detail: error.detail };
        throw error;
    }
}

const EVENT_OPEN = codesOf('<Event');
const SYSTEM_OPEN = codesOf('<System>');
const SYSTEM_CLOSE = codesOf('</System>');
const EVENT_DATA_OPEN = codesOf('<EventData');
const EVENT_DATA_CLOSE = codesOf('</EventData>');
const EVENT_CLOSE = codesOf('</Event>');
const DATA_ITEM_OPEN = codesOf('<DataItem');
const DATA_ITEM_CLOSE = codesOf('</DataItem>');

/** The `data` of an event whose EventData was skipped or filed by slot: one shared empty map, not one per event. */
const NO_DATA: ReadonlyMap<string, string> = new Map<string, string>();

function skipWhitespace(xml: string, from: number): number {
    let i = from;
    while (isWhitespace(xml.charCodeAt(i))) i++;
    return i;
}

/**
 * The end (`>`) of a start tag whose name, `codes`, begins at `at`, with or without attributes; -1 when the name is
 * something longer (`<Events`, `<EventData` for `<Event`), the tag is empty (`/>`) or does not end well.
 */
function startTagEnd(xml: string, at: number, codes: readonly number[]): number {
    if (!hasAt(xml, at, codes)) return -1;
    const after = at + codes.length;
    const c = xml.charCodeAt(after);
    const gt = c === 62 /* > */ ? after : isWhitespace(c) ? findTagEnd(xml, after) : -1;
    return gt < 0 || xml.charCodeAt(gt - 1) === 47 /* / */ ? -1 : gt;
}

/**
 * The two layouts nearly every input has, read without the general scanner's per-tag bookkeeping: one raw event
 * `<Event …><System>…</System><EventData>…</EventData></Event>`, and the Log Analytics `Event` table's
 * `<DataItem …><EventData …>…</EventData></DataItem>` (documents with escapes only when values are filed by slot).
 * Returns `undefined` at the first thing that differs (a prolog, a prefix, an `<Events>` list, `UserData`, a comment,
 * a child the fast runs do not take), and `scanGeneral` then reads the document from the start; so this path never decides
 * anything `scanGeneral` would decide differently, it only gets there sooner (test/unit/ingest/eventXml.test.ts checks both
 * on the same inputs). In a profile of `npm run bench:ingest`'s raw XML the per-tag bookkeeping took as long as
 * reading the Data elements.
 */
export function scanUsualLayout(xml: string, limits: XmlLimits): XmlEvent[] | undefined {
    // Depth 3 (Event > System > EventID, DataItem > EventData > Data) is as deep as these layouts go.
    if (limits.maxDepth < 3) return undefined;
    const plain = xml.indexOf('&') === -1 && xml.indexOf('\r') === -1;
    // Escaped documents (a `&quot;` in a command line is common) are read here only when values are filed by slot.
    if (!plain && limits.dataSlots === undefined) return undefined;
    let i = skipWhitespace(xml, 0);
    const system = emptySystem();
    let wrapper: readonly number[];
    let gt = startTagEnd(xml, i, EVENT_OPEN);
    if (gt !== -1) {
        wrapper = EVENT_CLOSE;
        i = skipWhitespace(xml, gt + 1);
        if (!hasAt(xml, i, SYSTEM_OPEN)) return undefined;
        try {
            i = fastSystemRun(xml, i + SYSTEM_OPEN.length, system, plain);
        } catch (error) {
            if (error instanceof ScanError) return undefined; // a bad entity: `scanGeneral` meets it at the same place and names it
            throw error;
        }
        if (!hasAt(xml, i, SYSTEM_CLOSE)) return undefined;
        i = skipWhitespace(xml, i + SYSTEM_CLOSE.length);
    } else {
        gt = startTagEnd(xml, i, DATA_ITEM_OPEN);
        if (gt === -1) return undefined;
        wrapper = DATA_ITEM_CLOSE;
        i = skipWhitespace(xml, gt + 1);
    }
    gt = startTagEnd(xml, i, EVENT_DATA_OPEN);
    if (gt === -1) return undefined;
    let data: ReadonlyMap<string, string> = NO_DATA;
    let slots: (string | undefined)[] | undefined;
    const eventId = system.eventId;
    if (eventId !== undefined && limits.skipDataOf?.(eventId)) {
        i = xml.indexOf('</EventData>', gt + 1); // skipped unread, as `scanGeneral` does
        if (i === -1) return undefined;
    } else if (limits.dataSlots !== undefined) {
        slots = limits.dataSlots.emptySlots();
        i = fastDataSlots(xml, gt + 1, slots, limits.dataSlots, plain);
        if (i === -1) return undefined;
    } else {
        const values = new Map<string, string>();
        i = fastDataRun(xml, gt + 1, values, true);
        data = values;
    }
    if (!hasAt(xml, i, EVENT_DATA_CLOSE)) return undefined;
    i = skipWhitespace(xml, i + EVENT_DATA_CLOSE.length);
    if (!hasAt(xml, i, wrapper)) return undefined;
    if (skipWhitespace(xml, i + wrapper.length) !== xml.length) return undefined;
    return [slots === undefined ? { system, data } : { system, data, slots }];
}

/**
 * The general scanner: any layout, tag by tag, with fast runs through `<System>` and `<EventData>` unless `fastRuns`
 * is false (the slowest reading, which the tests take as the reference for both shortcuts). Throws `ScanError` for
 * bad input; {@link toScanResult} turns that into a value.
 */
export function scanGeneral(xml: string, limits: XmlLimits, fastRuns = true): XmlEvent[] {
    const events: XmlEvent[] = [];
    const stack: string[] = [];
    let current: (XmlEvent & { data: Map<string, string> }) | undefined; // the event being read fills its own map
    let sawEventElement = false;
    let inSystem = false;
    // The leaf whose text we collect: a Data element (by its Name) or a System field.
    let collectData: string | undefined;
    let collectSystem: keyof XmlSystemFields | undefined;
    let collectDepth = -1;
    let text = '';
    let sawRoot = false;
    // One look at the whole document for `&` and CR spares a decode attempt per value in the common case.
    const plain = xml.indexOf('&') === -1 && xml.indexOf('\r') === -1;

    const length = xml.length;
    let pos = 0;
    while (pos < length) {
        const lt = xml.indexOf('<', pos);
        const textEnd = lt === -1 ? length : lt;
        if (textEnd > pos) {
            if (stack.length === 0) {
                if (xml.slice(pos, textEnd).trim() !== '')
                    throw new ScanError('malformed-xml', 'text outside the root element');
            } else if (collectDepth !== -1) {
                text += decodeOrThrow(xml.slice(pos, textEnd));
            } else if (!plain) {
                const chunk = xml.slice(pos, textEnd);
                if (chunk.indexOf('&') !== -1) decodeOrThrow(chunk); // reject undeclared entities everywhere, even where we keep no text
            }
        }
        if (lt === -1) break;

        const next = xml.charCodeAt(lt + 1);
        if (next === 33 /* ! */) {
            if (xml.startsWith('<!--', lt)) {
                const end = xml.indexOf('-->', lt + 4);
                if (end === -1) throw new ScanError('malformed-xml', 'unterminated comment');
                pos = end + 3;
                continue;
            }
            if (xml.startsWith('<![CDATA[', lt)) {
                const end = xml.indexOf(']]>', lt + 9);
                if (end === -1) throw new ScanError('malformed-xml', 'unterminated CDATA section');
                if (stack.length === 0) throw new ScanError('malformed-xml', 'CDATA outside the root element');
                if (collectDepth !== -1) text += normalizeLineEnds(xml.slice(lt + 9, end));
                pos = end + 3;
                continue;
            }
            throw new ScanError('xml-dtd-forbidden', `declaration not allowed: ${xml.slice(lt, lt + 20)}`);
        }
        if (next === 63 /* ? */) {
            const end = xml.indexOf('?>', lt + 2);
            if (end === -1) throw new ScanError('malformed-xml', 'unterminated processing instruction');
            pos = end + 2;
            continue;
        }
        if (next === 47 /* / */) {
            const gt = xml.indexOf('>', lt + 2);
            if (gt === -1) throw new ScanError('malformed-xml', 'unterminated end tag');
            const open = stack.pop();
            // Compared in place: the usual end tag is exactly `</name>`; anything else is sliced and compared as before.
            if (open === undefined || gt !== lt + 2 + open.length || !textAt(xml, lt + 2, open)) {
                const name = xml.slice(lt + 2, gt).trimEnd();
                if (open !== name)
                    throw new ScanError('malformed-xml', `end tag </${name}> does not match <${open ?? ''}>`);
            }
            const local = localName(open);
            if (stack.length === collectDepth) {
                if (collectData !== undefined && current) current.data.set(collectData, text);
                else if (collectSystem !== undefined && current) setSystemField(current.system, collectSystem, text);
                collectData = undefined;
                collectSystem = undefined;
                collectDepth = -1;
            }
            if (local === 'System') inSystem = false;
            if (local === 'Event' && current) {
                events.push(current);
                current = undefined;
            }
            pos = gt + 1;
            continue;
        }

        // Start tag.
        const gt = findTagEnd(xml, lt + 1);
        if (gt === -1) throw new ScanError('malformed-xml', 'unterminated start tag');
        if (gt === -2) throw new ScanError('malformed-xml', `'<' inside a start tag at offset ${lt}`);
        const selfClosing = xml.charCodeAt(gt - 1) === 47;
        const tagEnd = selfClosing ? gt - 1 : gt;
        let nameEnd = lt + 1;
        while (nameEnd < tagEnd && isNameChar(xml.charCodeAt(nameEnd))) nameEnd++;
        if (nameEnd === lt + 1) throw new ScanError('malformed-xml', `bad tag at offset ${lt}`);
        const name = xml.slice(lt + 1, nameEnd);
        const local = localName(name);
        if (stack.length === 0) {
            if (sawRoot) throw new ScanError('malformed-xml', 'more than one root element');
            sawRoot = true;
        }
        if (stack.length + 1 > limits.maxDepth) {
            throw new ScanError('nesting-too-deep', `elements nest deeper than ${limits.maxDepth}`);
        }
        if (local === 'Event') {
            if (current) throw new ScanError('malformed-xml', 'nested <Event> elements');
            sawEventElement = true;
            current = { system: emptySystem(), data: new Map() };
        } else if (!current && (local === 'EventData' || local === 'DataItem') && !sawEventElement) {
            current = { system: emptySystem(), data: new Map() };
        }
        // The one attribute each of these elements carries for us (the others are still checked).
        const wanted =
            local === 'Data' || local === 'Provider' ? 'Name' : local === 'TimeCreated' ? 'SystemTime' : undefined;
        const attribute =
            wanted === undefined
                ? undefined
                : ((local === 'Data' ? fastDataName(xml, nameEnd, tagEnd) : undefined) ??
                  attributeValue(xml, nameEnd, tagEnd, wanted, plain));

        if (local === 'System') inSystem = true;
        if (current && wanted !== undefined) {
            if (local === 'Data') {
                const dataName = attribute;
                if (dataName !== undefined && collectDepth === -1) {
                    if (selfClosing) current.data.set(dataName, '');
                    else {
                        collectData = dataName;
                        collectDepth = stack.length;
                        text = '';
                    }
                }
            } else if (inSystem && local === 'Provider') {
                current.system.provider = attribute;
            } else if (inSystem && local === 'TimeCreated') {
                current.system.systemTime = attribute;
            }
        } else if (current && inSystem && collectDepth === -1 && !selfClosing) {
            const field = SYSTEM_TEXT_FIELDS.get(local);
            if (field) {
                collectSystem = field;
                collectDepth = stack.length;
                text = '';
            }
        }
        if (!selfClosing) {
            stack.push(name);
            if (fastRuns && local === 'System' && current && collectDepth === -1 && stack.length < limits.maxDepth) {
                pos = fastSystemRun(xml, gt + 1, current.system, plain);
                continue;
            }
            if (local === 'EventData' && current && collectDepth === -1) {
                const eventId = current.system.eventId;
                if (eventId !== undefined && limits.skipDataOf?.(eventId)) {
                    const close = xml.indexOf(name === 'EventData' ? '</EventData>' : `</${name}>`, gt + 1);
                    if (close !== -1) {
                        pos = close;
                        continue;
                    }
                }
                if (fastRuns && stack.length < limits.maxDepth) {
                    pos = fastDataRun(xml, gt + 1, current.data, plain);
                    continue;
                }
            }
        } else if (local === 'Event' && current) {
            events.push(current); // <Event/>: an event with nothing in it, which normalization then rejects
            current = undefined;
        }
        pos = gt + 1;
    }
    if (stack.length > 0) throw new ScanError('malformed-xml', `input ends inside <${stack[stack.length - 1] ?? ''}>`);
    if (!sawRoot) throw new ScanError('malformed-xml', 'no root element');
    if (current && !sawEventElement) events.push(current);
    return events;
}
