/**
 * @module Stage 1 core: one Event Hub batch in, typed Sysmon events plus dead letters plus a report out.
 *
 * Every input lands in exactly one bucket: accepted, ignored (with reason) or rejected (with reason and position),
 * and `received = accepted + ignored + rejected` always holds. An input is one event: a Log Analytics export or an
 * `<Events>` list in one message counts once per row; a message that cannot be read at all counts once.
 *
 * Feed shapes (docs/architecture.md, "Feed shapes", with their public sources):
 * 1. Log Analytics data export `{"records":[...]}`, rows of `Type` `Event` (XML `EventData`) and `WindowsEvent`
 *    (`EventData` object or JSON string; `RawEventData` XML when Log Analytics could not parse it);
 * 2. raw Windows event XML, one `<Event>` or an `<Events>` list;
 * 3. Winlogbeat raw `winlog.*` documents;
 * 4. flat NXLog-style JSON with the EventData fields at top level (NXLog, the Security-Datasets lab-VM shape,
 *    and the flat `.sysmon.jsonl` shape);
 * and, for any of these, a JSON array of them or a Cribl-style `{ "_raw": ... }` wrapper.
 */
import type { DeadLetter } from './deadLetter';
import { SlotTable, scanEventXml } from './eventXml';
import type { XmlEvent } from './eventXml';
import {
    FieldBag,
    MapFields,
    SlotFields,
    isSysmonChannel,
    isSysmonProvider,
    isUncorrelatedEventId,
    namesAnotherChannel,
    normalizeSysmonRecord,
} from '../sysmon/normalize';
import type { FieldSource, IgnoreReason, RecordEnvelope, RejectReason } from '../sysmon/normalize';
import type { EventOrigin, SysmonEvent } from '../sysmon/types';
import { SYSMON_DATA_NAMES } from '../sysmon/fieldNames';
import { deadLetterIdBase, newBatchNonce } from './deadLetterId';
import { eventHubCoordinates } from './eventHubCoordinates';

/** One Event Hub message as the trigger adapter hands it over: the body and its coordinates, plain values. */
export interface IngestMessage {
    body: unknown;
    /**
     * Set by a reader that could not decode this input (a damaged `.evtx` chunk or record): the message is rejected as
     * `unreadable-record` with this detail, its bytes (`body`) kept as base64. Event Hub messages never carry it.
     */
    unreadable?: string;
    /**
     * The reason an `unreadable` message is rejected under (default `unreadable-record`): a file reader also reports a
     * line over the message limit (`too-large`, `body` its first bytes), a gzip stream that ends early
     * (`truncated-gzip`) and a file it cannot read on (`unreadable-file`), so a replay counts them and goes on.
     */
    unreadableReason?: 'unreadable-record' | 'too-large' | 'truncated-gzip' | 'unreadable-file';
    /** Size of the whole input in bytes when `body` holds only its start (a line cut at the limit). */
    unreadableBytes?: number;
    partitionId?: string;
    sequenceNumber?: number;
    offset?: string;
    enqueuedTime?: string;
}

export interface IngestLimits {
    /** Largest accepted message, in UTF-8 bytes. Event Hubs Standard caps an event at 1 MB (learn.microsoft.com, Event Hubs quotas). */
    maxMessageBytes: number;
    /** Deepest accepted nesting of JSON values or XML elements; real events nest at most 5 deep. */
    maxDepth: number;
    /** Characters of raw text kept per dead letter. */
    maxDeadLetterRawChars: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
    maxMessageBytes: 1024 * 1024,
    maxDepth: 32,
    maxDeadLetterRawChars: 30_000,
};

/** The batch report; its counts always add up (`received = accepted + ignored + rejected`). */
export interface IngestReport {
    received: number;
    accepted: number;
    ignored: number;
    rejected: number;
    ignoredByReason: Partial<Record<IgnoreReason, number>>;
    rejectedByReason: Partial<Record<RejectReason, number>>;
    /** Sysmon events by EventID, accepted or ignored as not correlated; the dataset README counts the same. */
    sysmonByEventId: Record<string, number>;
}

export interface IngestResult {
    events: SysmonEvent[];
    deadLetters: DeadLetter[];
    report: IngestReport;
}

/** Creates an empty report; `mergeReports` adds one into another (replay sums batches). */
export function emptyReport(): IngestReport {
    return {
        received: 0,
        accepted: 0,
        ignored: 0,
        rejected: 0,
        ignoredByReason: {},
        rejectedByReason: {},
        sysmonByEventId: {},
    };
}

export function mergeReports(into: IngestReport, from: IngestReport): IngestReport {
    into.received += from.received;
    into.accepted += from.accepted;
    into.ignored += from.ignored;
    into.rejected += from.rejected;
    for (const [reason, n] of Object.entries(from.ignoredByReason) as [IgnoreReason, number][]) {
        into.ignoredByReason[reason] = (into.ignoredByReason[reason] ?? 0) + n;
    }
    for (const [reason, n] of Object.entries(from.rejectedByReason) as [RejectReason, number][]) {
        into.rejectedByReason[reason] = (into.rejectedByReason[reason] ?? 0) + n;
    }
    for (const [id, n] of Object.entries(from.sysmonByEventId)) {
        into.sysmonByEventId[id] = (into.sysmonByEventId[id] ?? 0) + n;
    }
    return into;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The XML scanner files Sysmon values by these names' slots (`XmlLimits.dataSlots`), read back through `SlotFields`. */
const SYSMON_SLOTS = new SlotTable(SYSMON_DATA_NAMES);

/** Collects outcomes for one batch. */
class BatchSink {
    readonly events: SysmonEvent[] = [];
    readonly deadLetters: DeadLetter[] = [];
    readonly report = emptyReport();

    constructor(
        private readonly limits: IngestLimits,
        private readonly rejectedAt: string,
        private readonly nonce: string,
    ) {}

    accept(event: SysmonEvent): void {
        this.report.received++;
        this.report.accepted++;
        this.countEventId(event.eventId);
        this.events.push(event);
    }

    ignore(reason: IgnoreReason, eventId: number | undefined): void {
        this.report.received++;
        this.report.ignored++;
        this.report.ignoredByReason[reason] = (this.report.ignoredByReason[reason] ?? 0) + 1;
        if (reason === 'event-id-not-correlated' && eventId !== undefined) this.countEventId(eventId);
    }

    /** `rawBytes` overrides the byte count when `raw` is a rendering (base64, a prefix) rather than the input itself. */
    reject(reason: RejectReason, detail: string, origin: EventOrigin, raw: () => string, rawBytes?: number): void {
        this.report.received++;
        this.report.rejected++;
        this.report.rejectedByReason[reason] = (this.report.rejectedByReason[reason] ?? 0) + 1;
        const text = safeRawText(raw);
        const max = this.limits.maxDeadLetterRawChars;
        const bytes = rawBytes ?? Buffer.byteLength(text, 'utf8');
        this.deadLetters.push({
            id: deadLetterId(origin, text, this.nonce),
            reason,
            detail,
            raw: text.length > max ? text.slice(0, max) : text,
            rawTruncated:
                text.length > max ||
                (rawBytes !== undefined && rawBytes > Buffer.byteLength(text, 'utf8') && reason !== 'invalid-utf8'),
            rawBytes: bytes,
            ...eventHubCoordinates(origin),
            messageIndex: origin.messageIndex,
            recordIndex: origin.recordIndex,
            rejectedAt: this.rejectedAt,
        });
    }

    private countEventId(eventId: number): void {
        // A number key names the same property as its string ("10") without making the string: per event, this counted.
        const counts = this.report.sysmonByEventId;
        counts[eventId] = (counts[eventId] ?? 0) + 1;
    }
}

function safeRawText(raw: () => string): string {
    try {
        const text: unknown = raw();
        // JSON.stringify(undefined) gives undefined rather than throwing.
        return typeof text === 'string' ? text : String(text);
    } catch {
        return '<raw text unavailable>'; // e.g. a circular object from a custom caller; the reason still says why
    }
}

/**
 * The same input in a replayed batch gets the same id when it has a place in the hub, so a retried batch overwrites
 * its own dead letters instead of adding copies (Event Hubs is at-least-once:
 * learn.microsoft.com/azure/azure-functions/functions-reliable-event-processing); see deadLetterId.ts for the rest.
 */
function deadLetterId(origin: EventOrigin, text: string, nonce: string): string {
    const wrapper = origin.wrapperIndex !== undefined ? `w${origin.wrapperIndex}-` : '';
    return `${deadLetterIdBase(origin, origin.messageIndex, () => text, nonce)}-${wrapper}r${origin.recordIndex}`;
}

/**
 * Ingests one batch. Pure but for `nonce` (random unless given): `now` is the only clock. Bad data never throws; it
 * becomes a rejection. `nonce` keeps the dead-letter ids of messages without hub coordinates apart from other batches'.
 * @example ingestBatch([{ body: '{"EventID":5,"Computer":"ws1","Channel":"Microsoft-Windows-Sysmon/Operational","UtcTime":"2024-05-01 10:15:01.987","ProcessGuid":"{3710b5c6-1243-6182-8303-000000000a00}"}' }], new Date())
 * // report: { received: 1, accepted: 1, ignored: 0, rejected: 0, … }
 */
export function ingestBatch(
    messages: readonly IngestMessage[],
    now: Date,
    limits: IngestLimits = DEFAULT_INGEST_LIMITS,
    nonce: string = newBatchNonce(),
): IngestResult {
    const sink = new BatchSink(limits, now.toISOString(), nonce);
    for (let messageIndex = 0; messageIndex < messages.length; messageIndex++) {
        const message = messages[messageIndex] as IngestMessage;
        ingestMessage(message, messageIndex, sink, limits);
    }
    return { events: sink.events, deadLetters: sink.deadLetters, report: sink.report };
}

/**
 * One object literal with every coordinate (absent ones `undefined`, which JSON drops): all origins share one hidden
 * class, which the per-event hot path of `npm run bench:ingest` rewards.
 */
function originOf(
    message: IngestMessage,
    messageIndex: number,
    recordIndex: number,
    wrapperIndex?: number,
): EventOrigin {
    return {
        partitionId: message.partitionId,
        sequenceNumber: message.sequenceNumber,
        offset: message.offset,
        enqueuedTime: message.enqueuedTime,
        messageIndex,
        recordIndex,
        wrapperIndex,
    };
}

/**
 * Walks a parsed JSON value iteratively and reports whether it nests too deep or holds too much text. Parallel
 * stacks rather than [node, depth] pairs: this runs once per message on the hot path.
 */
function measureJson(value: unknown, maxDepth: number, maxChars: number): 'ok' | 'nesting-too-deep' | 'too-large' {
    if (value === null || typeof value !== 'object') return 'ok';
    const nodes: object[] = [value];
    const depths: number[] = [1];
    let chars = 0;
    while (nodes.length > 0) {
        const node = nodes.pop() as object;
        const depth = depths.pop() as number;
        if (depth > maxDepth) return 'nesting-too-deep';
        if (Array.isArray(node)) {
            for (let i = 0; i < node.length; i++) {
                const child: unknown = node[i];
                if (typeof child === 'string') chars += child.length;
                else if (child !== null && typeof child === 'object') {
                    nodes.push(child);
                    depths.push(depth + 1);
                }
            }
        } else {
            const record = node as Record<string, unknown>;
            for (const key in record) {
                chars += key.length;
                const child = record[key];
                if (typeof child === 'string') chars += child.length;
                else if (child !== null && typeof child === 'object') {
                    nodes.push(child);
                    depths.push(depth + 1);
                }
            }
        }
        if (chars > maxChars) return 'too-large';
    }
    return 'ok';
}

function ingestMessage(message: IngestMessage, messageIndex: number, sink: BatchSink, limits: IngestLimits): void {
    const origin = originOf(message, messageIndex, 0);
    let body = message.body;
    if (message.unreadable !== undefined) {
        const bytes =
            body instanceof Uint8Array
                ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
                : Buffer.from(String(body));
        const reason = message.unreadableReason ?? 'unreadable-record';
        // A damaged record's bytes are kept as base64; the others are text (or nothing) and read best as such.
        const raw = (): string => bytes.toString(reason === 'unreadable-record' ? 'base64' : 'utf8');
        sink.reject(reason, message.unreadable, origin, raw, message.unreadableBytes ?? bytes.byteLength);
        return;
    }

    if (body instanceof Uint8Array) {
        const bytes = body;
        if (bytes.byteLength > limits.maxMessageBytes) {
            const prefix = (): string =>
                Buffer.from(
                    bytes.buffer,
                    bytes.byteOffset,
                    Math.min(bytes.byteLength, limits.maxDeadLetterRawChars),
                ).toString('utf8');
            sink.reject(
                'too-large',
                `message is ${bytes.byteLength} bytes, limit ${limits.maxMessageBytes}`,
                origin,
                prefix,
                bytes.byteLength,
            );
            return;
        }
        try {
            body = utf8.decode(bytes);
        } catch {
            // Kept as base64 so the exact bytes survive for inspection.
            sink.reject(
                'invalid-utf8',
                'message body is not valid UTF-8 (raw kept as base64)',
                origin,
                () => Buffer.from(bytes).toString('base64'),
                bytes.byteLength,
            );
            return;
        }
    }

    if (typeof body === 'string') {
        ingestText(body, message, messageIndex, sink, limits);
        return;
    }
    if (body === null || body === undefined) {
        sink.reject('empty-message', 'message body is empty', origin, () => String(body));
        return;
    }
    const measured = measureJson(body, limits.maxDepth, limits.maxMessageBytes);
    if (measured !== 'ok') {
        const detail =
            measured === 'too-large'
                ? `message holds more than ${limits.maxMessageBytes} characters`
                : `JSON nests deeper than ${limits.maxDepth}`;
        sink.reject(measured, detail, origin, () => JSON.stringify(body));
        return;
    }
    ingestJsonValue(body, message, messageIndex, sink, limits);
}

function ingestText(
    text: string,
    message: IngestMessage,
    messageIndex: number,
    sink: BatchSink,
    limits: IngestLimits,
    wrapperIndex?: number,
): void {
    const origin = originOf(message, messageIndex, 0, wrapperIndex);
    // A UTF-16 code unit takes at most 3 UTF-8 bytes, so most strings skip the exact count.
    if (text.length * 3 > limits.maxMessageBytes && Buffer.byteLength(text, 'utf8') > limits.maxMessageBytes) {
        sink.reject('too-large', `message is over ${limits.maxMessageBytes} bytes`, origin, () => text);
        return;
    }
    const start = firstNonSpace(text);
    if (start === -1) {
        sink.reject('empty-message', 'message body is empty', origin, () => text);
        return;
    }
    const first = text.charCodeAt(start);
    if (first === 60 /* < */) {
        ingestXmlText(text, message, messageIndex, sink, limits, wrapperIndex);
        return;
    }
    if (first === 123 /* { */ || first === 91 /* [ */) {
        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch (error) {
            const detail = error instanceof Error ? error.message : 'not JSON';
            sink.reject('malformed-json', `message is not valid JSON: ${detail}`, origin, () => text);
            return;
        }
        const measured = measureJson(value, limits.maxDepth, limits.maxMessageBytes);
        if (measured !== 'ok') {
            sink.reject(measured, `JSON nests deeper than ${limits.maxDepth}`, origin, () => text);
            return;
        }
        ingestJsonValue(value, message, messageIndex, sink, limits, wrapperIndex);
        return;
    }
    sink.reject('unrecognized-format', 'message is neither JSON nor XML', origin, () => text);
}

function firstNonSpace(text: string): number {
    const c0 = text.charCodeAt(0);
    if (c0 === 123 || c0 === 91 || c0 === 60) return 0; // '{', '[', '<': the usual first character
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 0xfeff) return i;
    }
    return -1;
}

function ingestXmlText(
    text: string,
    message: IngestMessage,
    messageIndex: number,
    sink: BatchSink,
    limits: IngestLimits,
    wrapperIndex?: number,
): void {
    const scanned = scanEventXml(text, {
        maxDepth: limits.maxDepth,
        skipDataOf: isUncorrelatedEventId,
        dataSlots: SYSMON_SLOTS,
    });
    if (!scanned.ok) {
        sink.reject(scanned.problem, scanned.detail, originOf(message, messageIndex, 0, wrapperIndex), () => text);
        return;
    }
    if (scanned.events.length === 0) {
        sink.reject(
            'unrecognized-format',
            'XML holds no <Event> and no <EventData>',
            originOf(message, messageIndex, 0, wrapperIndex),
            () => text,
        );
        return;
    }
    scanned.events.forEach((xmlEvent, recordIndex) => {
        const system = xmlEvent.system;
        if (isClearlyUncorrelated(system.eventId, system.channel, system.provider)) {
            sink.ignore('event-id-not-correlated', Number(system.eventId));
            return;
        }
        const origin = originOf(message, messageIndex, recordIndex, wrapperIndex);
        normalizeInto(sink, xmlEnvelope(xmlEvent), fieldsOf(xmlEvent), origin, () => text);
    });
}

/**
 * A Sysmon event correlation does not use, recognized from its envelope alone, so normalization is skipped (about
 * half of a real feed). Anything less clear (another channel, odd spelling, a bad EventID) goes through
 * normalization, which says exactly why it is ignored or rejected.
 */
function isClearlyUncorrelated(eventId: unknown, channel: unknown, provider: unknown): boolean {
    return (
        isUncorrelatedEventId(eventId) &&
        (channel === undefined || (typeof channel === 'string' && isSysmonChannel(channel))) &&
        (provider === undefined || (typeof provider === 'string' && isSysmonProvider(provider)))
    );
}

/** The values of a scanned event, by slot when the scanner filed them so, else from its name/value map. */
function fieldsOf(xmlEvent: XmlEvent | undefined): FieldSource {
    if (xmlEvent === undefined) return new MapFields(new Map<string, string>());
    return xmlEvent.slots !== undefined ? new SlotFields(xmlEvent.slots) : new MapFields(xmlEvent.data);
}

function xmlEnvelope(xmlEvent: XmlEvent): RecordEnvelope {
    return {
        eventId: xmlEvent.system.eventId,
        host: xmlEvent.system.computer,
        recordId: xmlEvent.system.eventRecordId,
        channel: xmlEvent.system.channel,
        provider: xmlEvent.system.provider,
        decodeXmlEscapes: false,
    };
}

function normalizeInto(
    sink: BatchSink,
    envelope: RecordEnvelope,
    bag: FieldSource,
    origin: EventOrigin,
    raw: () => string,
): void {
    const outcome = normalizeSysmonRecord(envelope, bag, origin);
    if (outcome.kind === 'accepted') sink.accept(outcome.event);
    else if (outcome.kind === 'ignored') sink.ignore(outcome.reason, outcome.eventId);
    else sink.reject(outcome.reason, outcome.detail, origin, raw);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function ingestJsonValue(
    value: unknown,
    message: IngestMessage,
    messageIndex: number,
    sink: BatchSink,
    limits: IngestLimits,
    wrapperIndex?: number,
): void {
    const rows = Array.isArray(value)
        ? value
        : isPlainObject(value) && Array.isArray(value.records)
          ? (value.records as unknown[])
          : undefined;
    if (rows === undefined) {
        ingestJsonRecord(value, message, messageIndex, 0, sink, limits, wrapperIndex);
        return;
    }
    if (rows.length === 0) {
        sink.ignore('no-events', undefined); // an export or list with no rows: counted, nothing to keep
        return;
    }
    rows.forEach((row, recordIndex) => {
        ingestJsonRecord(row, message, messageIndex, recordIndex, sink, limits, wrapperIndex);
    });
}

/** One JSON record of any known shape (a Log Analytics row, a Winlogbeat document, a flat event, a Cribl wrapper). */
function ingestJsonRecord(
    record: unknown,
    message: IngestMessage,
    messageIndex: number,
    recordIndex: number,
    sink: BatchSink,
    limits: IngestLimits,
    wrapperIndex?: number,
): void {
    const origin = originOf(message, messageIndex, recordIndex, wrapperIndex);
    const raw = (): string => JSON.stringify(record);
    if (!isPlainObject(record)) {
        sink.reject(
            'unrecognized-format',
            `record is ${Array.isArray(record) ? 'an array' : typeof record}, expected an object`,
            origin,
            raw,
        );
        return;
    }

    const type = record.Type;
    if (type === 'Event') {
        ingestLogAnalyticsEventRow(record, origin, sink, limits, raw);
        return;
    }
    if (type === 'WindowsEvent') {
        ingestLogAnalyticsWindowsEventRow(record, origin, sink, limits, raw);
        return;
    }
    if (isPlainObject(record.winlog)) {
        ingestWinlogbeat(record, record.winlog, origin, sink, raw);
        return;
    }
    if (typeof record._raw === 'string') {
        // Cribl keeps the original payload in `_raw` (github.com/criblpacks/cribl-windows-events): read it as a message of its own,
        // one level deep only (a `_raw` inside `_raw` is not unwrapped again).
        if (wrapperIndex !== undefined) {
            sink.reject('unrecognized-format', 'nested _raw wrappers are not unwrapped', origin, raw);
            return;
        }
        ingestText(record._raw, message, messageIndex, sink, limits, recordIndex);
        return;
    }
    if (record.EventID !== undefined || record.EventId !== undefined || record.eventId !== undefined) {
        ingestFlat(record, origin, sink, raw);
        return;
    }
    if (typeof record.category === 'string' || type !== undefined) {
        // Another Log Analytics table or a Defender XDR streaming row (AdvancedHunting-*): not Sysmon.
        sink.ignore('not-sysmon', undefined);
        return;
    }
    sink.reject(
        'unrecognized-format',
        'record has no EventID, no winlog, no records[] and no Log Analytics Type',
        origin,
        raw,
    );
}

/** Log Analytics `Event` table row: `EventData` is an XML string; no record id (learn.microsoft.com/azure/azure-monitor/reference/tables/event). */
function ingestLogAnalyticsEventRow(
    row: Record<string, unknown>,
    origin: EventOrigin,
    sink: BatchSink,
    limits: IngestLimits,
    raw: () => string,
): void {
    const envelope: RecordEnvelope = {
        eventId: row.EventID,
        host: row.Computer,
        channel: row.EventLog,
        provider: row.Source,
        decodeXmlEscapes: false,
    };
    if (!isSysmonSource(row.Source, row.EventLog)) {
        sink.ignore('not-sysmon', undefined);
        return;
    }
    if (isUncorrelatedEventId(row.EventID)) {
        // Dropped by EventID before its XML is read: correlation never needs it (about half of a real feed). The
        // provider was checked above, so this is exactly what normalization would conclude, without its cost.
        sink.ignore('event-id-not-correlated', Number(row.EventID));
        return;
    }
    const eventData = row.EventData;
    if (typeof eventData !== 'string') {
        sink.reject(
            eventData === undefined || eventData === null ? 'missing-field' : 'wrong-type',
            'EventData must be an XML string',
            origin,
            raw,
        );
        return;
    }
    const scanned = scanEventXml(eventData, { maxDepth: limits.maxDepth, dataSlots: SYSMON_SLOTS });
    if (!scanned.ok) {
        sink.reject(scanned.problem, `EventData: ${scanned.detail}`, origin, raw);
        return;
    }
    normalizeInto(sink, envelope, fieldsOf(scanned.events[0]), origin, raw);
}

function isSysmonSource(provider: unknown, channel: unknown): boolean {
    if (typeof provider === 'string') return isSysmonProvider(provider);
    if (typeof channel === 'string') return isSysmonChannel(channel);
    return false;
}

/** Log Analytics `WindowsEvent` row: `EventData` dynamic (object or JSON string), `RawEventData` XML on parse failure. */
function ingestLogAnalyticsWindowsEventRow(
    row: Record<string, unknown>,
    origin: EventOrigin,
    sink: BatchSink,
    limits: IngestLimits,
    raw: () => string,
): void {
    if (!isSysmonSource(row.Provider, row.Channel)) {
        sink.ignore('not-sysmon', undefined);
        return;
    }
    const envelope: RecordEnvelope = {
        eventId: row.EventID,
        host: row.Computer,
        recordId: row.EventRecordId,
        channel: row.Channel,
        provider: row.Provider,
        decodeXmlEscapes: false,
    };
    let eventData = row.EventData;
    if (typeof eventData === 'string') {
        try {
            eventData = JSON.parse(eventData);
        } catch (error) {
            const detail = error instanceof Error ? error.message : 'not JSON';
            sink.reject('malformed-json', `EventData is not valid JSON: ${detail}`, origin, raw);
            return;
        }
        const measured = measureJson(eventData, limits.maxDepth, limits.maxMessageBytes);
        if (measured !== 'ok') {
            sink.reject(measured, 'EventData nests too deep or is too large', origin, raw);
            return;
        }
    }
    if ((eventData === null || eventData === undefined) && typeof row.RawEventData === 'string') {
        const scanned = scanEventXml(row.RawEventData, { maxDepth: limits.maxDepth, dataSlots: SYSMON_SLOTS });
        if (!scanned.ok) {
            sink.reject(scanned.problem, `RawEventData: ${scanned.detail}`, origin, raw);
            return;
        }
        normalizeInto(sink, envelope, fieldsOf(scanned.events[0]), origin, raw);
        return;
    }
    if (!isPlainObject(eventData)) {
        const reason = eventData === null || eventData === undefined ? 'missing-field' : 'wrong-type';
        sink.reject(reason, 'EventData must be an object (or a JSON string of one)', origin, raw);
        return;
    }
    normalizeInto(sink, envelope, new FieldBag(eventData), origin, raw);
}

/** Winlogbeat raw document (elastic/beats winlogbeat sysmon golden files): `winlog.event_id` is a string, data in `winlog.event_data`. */
function ingestWinlogbeat(
    document: Record<string, unknown>,
    winlog: Record<string, unknown>,
    origin: EventOrigin,
    sink: BatchSink,
    raw: () => string,
): void {
    const host = isPlainObject(document.host) ? document.host.name : undefined;
    const envelope: RecordEnvelope = {
        eventId: winlog.event_id,
        host: winlog.computer_name ?? host,
        recordId: winlog.record_id,
        channel: winlog.channel,
        provider: winlog.provider_name,
        decodeXmlEscapes: false,
    };
    const eventData = winlog.event_data;
    if (eventData !== undefined && !isPlainObject(eventData)) {
        sink.reject('wrong-type', 'winlog.event_data must be an object', origin, raw);
        return;
    }
    normalizeInto(sink, envelope, new FieldBag(eventData ?? {}), origin, raw);
}

/**
 * Flat JSON with EventData fields at top level: NXLog `im_msvistalog` (`Hostname`, `RecordNumber`, `SourceName`),
 * the Security-Datasets lab-VM shape (`Hostname`, no record number) and the flat `.sysmon.jsonl` shape
 * (`Computer`, `EventRecordID`). NXLog keeps XML escapes in values (datasets README), so they are decoded.
 */
function ingestFlat(record: Record<string, unknown>, origin: EventOrigin, sink: BatchSink, raw: () => string): void {
    if (namesAnotherChannel(record.Channel)) {
        // Most of a collector's flat stream is other channels (Security, PowerShell, ...): counted, not normalized.
        sink.ignore('not-sysmon', undefined);
        return;
    }
    const eventId = record.EventID ?? record.EventId ?? record.eventId;
    const provider = record.SourceName ?? record.ProviderName ?? record.Provider;
    if (isClearlyUncorrelated(eventId, record.Channel, provider)) {
        sink.ignore('event-id-not-correlated', Number(eventId));
        return;
    }
    const envelope: RecordEnvelope = {
        eventId,
        host: record.Computer ?? record.Hostname ?? record.computer_name,
        recordId: record.EventRecordID ?? record.RecordNumber ?? record.EventRecordId,
        channel: record.Channel,
        provider,
        decodeXmlEscapes: true,
    };
    normalizeInto(sink, envelope, new FieldBag(record), origin, raw);
}
