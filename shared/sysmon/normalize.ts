/**
 * @module Normalizes one Sysmon record, whatever feed it came from, into a typed `SysmonEvent`, or says why not.
 *
 * Fields are found by name, never by position, and case-insensitively (EID 10 writes `SourceProcessGUID`, EID 8
 * `SourceProcessGuid`: detection-anchors.md §1.5, §1.6). `-`, empty and `N/A` mean absent (§10.4 item 8).
 * GUIDs lose their braces and are lower-cased (§10.4 item 3). The event time is Sysmon `UtcTime`, because some
 * feeds stamp `TimeCreated` in local time with a `Z` (../shared/datasets/README.md, "How the flat fields were filled").
 */
import { decodeXmlEntitiesLenient } from '../ingest/eventXml';
import type { EventOrigin, SysmonEvent } from './types';
import { CORRELATED_EVENT_IDS } from './types';

/** Reason codes for inputs that are not Sysmon events hollowtrace correlates (counted, not stored). */
export type IgnoreReason = 'not-sysmon' | 'event-id-not-correlated' | 'no-events';

/** Reason codes for inputs that are broken; each goes to the dead-letter store with its raw text. */
export type RejectReason =
    | 'empty-message'
    | 'too-large'
    | 'invalid-utf8'
    | 'malformed-json'
    | 'malformed-xml'
    | 'xml-dtd-forbidden'
    | 'xml-undefined-entity'
    | 'nesting-too-deep'
    | 'unrecognized-format'
    | 'missing-field'
    | 'wrong-type'
    | 'invalid-value';

/** Case-insensitive, name-based access to one record's fields; the lower-case index is built only on a miss. */
export class FieldBag {
    private lowerCaseIndex: Map<string, unknown> | undefined;

    constructor(private readonly source: Readonly<Record<string, unknown>>) {}

    get(name: string): unknown {
        const exact = Object.prototype.hasOwnProperty.call(this.source, name) ? this.source[name] : undefined;
        if (exact !== undefined) return exact;
        if (!this.lowerCaseIndex) {
            this.lowerCaseIndex = new Map();
            for (const key of Object.keys(this.source)) {
                const lower = key.toLowerCase();
                if (!this.lowerCaseIndex.has(lower)) this.lowerCaseIndex.set(lower, this.source[key]);
            }
        }
        return this.lowerCaseIndex.get(name.toLowerCase());
    }
}

/** What a feed adapter found around the Sysmon data: the System-level fields, each as the feed wrote it. */
export interface RecordEnvelope {
    eventId: unknown;
    host: unknown;
    recordId?: unknown;
    /** Channel or provider when the feed says; a record that names another one is ignored as `not-sysmon`. */
    channel?: unknown;
    provider?: unknown;
    /** JSON feeds may keep XML escapes in values (`&lt;unknown process&gt;`); XML sources are decoded already. */
    decodeXmlEscapes: boolean;
}

export type NormalizeOutcome =
    | { kind: 'accepted'; event: SysmonEvent }
    | { kind: 'ignored'; reason: IgnoreReason; eventId?: number; detail: string }
    | { kind: 'rejected'; reason: RejectReason; detail: string };

const SYSMON_CHANNEL = 'microsoft-windows-sysmon/operational';
const SYSMON_PROVIDER = 'microsoft-windows-sysmon';
const CORRELATED = new Set<number>(CORRELATED_EVENT_IDS);

class RecordRejected extends Error {
    constructor(
        readonly reason: RejectReason,
        readonly detail: string,
    ) {
        super(detail);
    }
}

/** Values that mean "no value" in Sysmon renderings (detection-anchors.md §10.4 item 8). */
function isAbsentText(text: string): boolean {
    return text === '' || text === '-' || text === 'N/A';
}

function describe(value: unknown): string {
    if (Array.isArray(value)) return 'an array';
    if (value === null) return 'null';
    return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40) ?? ''}`;
}

/** Reads fields of one record with the rules above; throws `RecordRejected` for bad values. */
class FieldReader {
    constructor(
        private readonly bag: FieldBag,
        private readonly decodeEscapes: boolean,
    ) {}

    text(name: string): string | undefined {
        const value = this.bag.get(name);
        if (value === undefined || value === null) return undefined;
        if (typeof value === 'string') {
            const trimmed = value.trim();
            if (isAbsentText(trimmed)) return undefined;
            return this.decodeEscapes ? decodeXmlEntitiesLenient(value) : value;
        }
        if (typeof value === 'number' || typeof value === 'boolean') return String(value);
        throw new RecordRejected('wrong-type', `${name} is ${describe(value)}, expected text`);
    }

    requiredText(name: string): string {
        const value = this.text(name);
        if (value === undefined) throw new RecordRejected('missing-field', `${name} is missing`);
        return value;
    }

    integer(name: string): number | undefined {
        return parseInteger(name, this.bag.get(name));
    }

    guid(name: string): string | undefined {
        const value = this.text(name);
        return value === undefined ? undefined : normalizeGuid(name, value);
    }

    requiredGuid(name: string): string {
        const value = this.guid(name);
        if (value === undefined) throw new RecordRejected('missing-field', `${name} is missing`);
        return value;
    }

    boolean(name: string): boolean | undefined {
        const value = this.bag.get(name);
        if (typeof value === 'boolean') return value;
        const text = this.text(name);
        if (text === undefined) return undefined;
        const lower = text.toLowerCase();
        if (lower === 'true') return true;
        if (lower === 'false') return false;
        throw new RecordRejected('wrong-type', `${name} is ${describe(value)}, expected true or false`);
    }
}

/**
 * Parses a decimal or `0x` hexadecimal integer given as a number or text (ProcessId may be `"0x1eec"` in alerts,
 * integration-and-perf.md §0). Absent values give `undefined`; anything else that is not a non-negative safe
 * integer is rejected as `wrong-type`.
 */
function parseInteger(name: string, value: unknown): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number') {
        if (Number.isSafeInteger(value) && value >= 0) return value;
        throw new RecordRejected('wrong-type', `${name} is ${describe(value)}, expected a non-negative integer`);
    }
    if (typeof value !== 'string') {
        throw new RecordRejected('wrong-type', `${name} is ${describe(value)}, expected an integer`);
    }
    const text = value.trim();
    if (isAbsentText(text)) return undefined;
    let parsed = NaN;
    if (/^[0-9]{1,16}$/.test(text)) parsed = Number(text);
    else if (/^0[xX][0-9a-fA-F]{1,13}$/.test(text)) parsed = parseInt(text.slice(2), 16);
    if (!Number.isSafeInteger(parsed)) {
        throw new RecordRejected('wrong-type', `${name} is ${describe(value)}, expected a decimal or 0x integer`);
    }
    return parsed;
}

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function normalizeGuid(name: string, text: string): string {
    let guid = text.trim().toLowerCase();
    if (guid.charCodeAt(0) === 123 /* { */ && guid.charCodeAt(guid.length - 1) === 125 /* } */) {
        guid = guid.slice(1, -1);
    }
    if (!GUID_PATTERN.test(guid)) {
        throw new RecordRejected('invalid-value', `${name} is not a GUID: ${JSON.stringify(text.slice(0, 60))}`);
    }
    return guid;
}

const UTC_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/;

/**
 * Parses Sysmon `UtcTime` (`YYYY-MM-DD HH:MM:SS.mmm`, UTC, no zone; detection-anchors.md §1.9) to epoch ms.
 * Returns `undefined` when the text is not such a time.
 * @example parseUtcTime('2020-10-22 01:40:38.739') // 1603330838739
 */
export function parseUtcTime(text: string): number | undefined {
    const match = UTC_TIME_PATTERN.exec(text.trim());
    if (!match) return undefined;
    const [, year, month, day, hour, minute, second, fraction] = match;
    const ms = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
    const epoch = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), ms);
    const check = new Date(epoch);
    // Date.UTC rolls 2020-02-31 over to March; a real UtcTime never does.
    if (Number.isNaN(epoch) || check.getUTCDate() !== Number(day) || check.getUTCHours() !== Number(hour)) return undefined;
    return epoch;
}

/**
 * Normalizes one record. Never throws for bad data: the outcome says accepted, ignored (with reason) or
 * rejected (with reason and a detail naming the field).
 * @example normalizeSysmonRecord({ eventId: 5, host: 'ws1', decodeXmlEscapes: false },
 *   new FieldBag({ UtcTime: '2024-05-01 10:15:01.987', ProcessGuid: '{3710B5C6-1243-6182-8303-000000000A00}' }),
 *   { messageIndex: 0, recordIndex: 0 }) // { kind: 'accepted', event: { eventId: 5, processGuid: '3710b5c6-…', … } }
 */
export function normalizeSysmonRecord(envelope: RecordEnvelope, bag: FieldBag, origin: EventOrigin): NormalizeOutcome {
    try {
        return normalizeOrThrow(envelope, bag, origin);
    } catch (error) {
        if (error instanceof RecordRejected) return { kind: 'rejected', reason: error.reason, detail: error.detail };
        throw error;
    }
}

function envelopeText(name: string, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return isAbsentText(value.trim()) ? undefined : value.trim();
    if (typeof value === 'number') return String(value);
    throw new RecordRejected('wrong-type', `${name} is ${describe(value)}, expected text`);
}

function normalizeOrThrow(envelope: RecordEnvelope, bag: FieldBag, origin: EventOrigin): NormalizeOutcome {
    const channel = envelopeText('Channel', envelope.channel);
    if (channel !== undefined && channel.toLowerCase() !== SYSMON_CHANNEL) {
        return { kind: 'ignored', reason: 'not-sysmon', detail: `channel ${channel}` };
    }
    const provider = envelopeText('Provider', envelope.provider);
    if (provider !== undefined && provider.toLowerCase() !== SYSMON_PROVIDER) {
        return { kind: 'ignored', reason: 'not-sysmon', detail: `provider ${provider}` };
    }
    const eventId = parseInteger('EventID', envelope.eventId);
    if (eventId === undefined) throw new RecordRejected('missing-field', 'EventID is missing');
    if (!CORRELATED.has(eventId)) {
        return { kind: 'ignored', reason: 'event-id-not-correlated', eventId, detail: `EventID ${eventId}` };
    }
    const host = envelopeText('Computer', envelope.host);
    if (host === undefined) throw new RecordRejected('missing-field', 'Computer (host) is missing');
    const recordId = parseInteger('EventRecordID', envelope.recordId);

    const read = new FieldReader(bag, envelope.decodeXmlEscapes);
    const utcTime = read.requiredText('UtcTime');
    const timeMs = parseUtcTime(utcTime);
    if (timeMs === undefined) {
        throw new RecordRejected('invalid-value', `UtcTime is not a time: ${JSON.stringify(utcTime.slice(0, 40))}`);
    }
    const base = {
        host,
        time: new Date(timeMs).toISOString(),
        timeMs,
        origin,
        ...(recordId !== undefined && { recordId }),
        ...optional('ruleName', read.text('RuleName')),
    };

    const event = buildEvent(eventId as SysmonEvent['eventId'], read, base);
    return { kind: 'accepted', event };
}

/** Spreads `{ [key]: value }` only when the value is present, so events carry no `undefined` keys. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
    return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

type EventBase = Pick<SysmonEvent, 'host' | 'time' | 'timeMs' | 'origin' | 'recordId' | 'ruleName'>;

function buildEvent(eventId: SysmonEvent['eventId'], read: FieldReader, base: EventBase): SysmonEvent {
    switch (eventId) {
        case 1:
            return {
                ...base,
                eventId,
                processGuid: read.requiredGuid('ProcessGuid'),
                ...optional('processId', read.integer('ProcessId')),
                ...optional('image', read.text('Image')),
                ...optional('originalFileName', read.text('OriginalFileName')),
                ...optional('commandLine', read.text('CommandLine')),
                ...optional('currentDirectory', read.text('CurrentDirectory')),
                ...optional('user', read.text('User')),
                ...optional('integrityLevel', read.text('IntegrityLevel')),
                ...optional('hashes', read.text('Hashes')),
                ...optional('parentProcessGuid', read.guid('ParentProcessGuid')),
                ...optional('parentProcessId', read.integer('ParentProcessId')),
                ...optional('parentImage', read.text('ParentImage')),
                ...optional('parentCommandLine', read.text('ParentCommandLine')),
                ...optional('parentUser', read.text('ParentUser')),
            };
        case 3:
            return {
                ...base,
                eventId,
                processGuid: read.requiredGuid('ProcessGuid'),
                ...optional('processId', read.integer('ProcessId')),
                ...optional('image', read.text('Image')),
                ...optional('user', read.text('User')),
                ...optional('protocol', read.text('Protocol')),
                ...optional('initiated', read.boolean('Initiated')),
                ...optional('sourceIp', read.text('SourceIp')),
                ...optional('sourcePort', read.integer('SourcePort')),
                ...optional('destinationIp', read.text('DestinationIp')),
                ...optional('destinationHostname', read.text('DestinationHostname')),
                ...optional('destinationPort', read.integer('DestinationPort')),
            };
        case 5:
            return {
                ...base,
                eventId,
                processGuid: read.requiredGuid('ProcessGuid'),
                ...optional('processId', read.integer('ProcessId')),
                ...optional('image', read.text('Image')),
                ...optional('user', read.text('User')),
            };
        case 7:
            return {
                ...base,
                eventId,
                processGuid: read.requiredGuid('ProcessGuid'),
                ...optional('processId', read.integer('ProcessId')),
                ...optional('image', read.text('Image')),
                ...optional('imageLoaded', read.text('ImageLoaded')),
                ...optional('originalFileName', read.text('OriginalFileName')),
                ...optional('hashes', read.text('Hashes')),
                ...optional('signed', read.boolean('Signed')),
                ...optional('signature', read.text('Signature')),
                ...optional('signatureStatus', read.text('SignatureStatus')),
                ...optional('user', read.text('User')),
            };
        case 8:
            return {
                ...base,
                eventId,
                sourceProcessGuid: read.requiredGuid('SourceProcessGuid'),
                ...optional('sourceProcessId', read.integer('SourceProcessId')),
                ...optional('sourceImage', read.text('SourceImage')),
                targetProcessGuid: read.requiredGuid('TargetProcessGuid'),
                ...optional('targetProcessId', read.integer('TargetProcessId')),
                ...optional('targetImage', read.text('TargetImage')),
                ...optional('newThreadId', read.integer('NewThreadId')),
                ...optional('startAddress', read.text('StartAddress')),
                ...optional('startModule', read.text('StartModule')),
                ...optional('startFunction', read.text('StartFunction')),
                ...optional('sourceUser', read.text('SourceUser')),
                ...optional('targetUser', read.text('TargetUser')),
            };
        case 10: {
            const grantedAccessText = read.requiredText('GrantedAccess');
            const grantedAccess = parseInteger('GrantedAccess', grantedAccessText);
            if (grantedAccess === undefined || grantedAccess > 0xffffffff) {
                throw new RecordRejected('invalid-value', `GrantedAccess is not an access mask: ${grantedAccessText}`);
            }
            return {
                ...base,
                eventId,
                sourceProcessGuid: read.requiredGuid('SourceProcessGUID'),
                ...optional('sourceProcessId', read.integer('SourceProcessId')),
                ...optional('sourceThreadId', read.integer('SourceThreadId')),
                ...optional('sourceImage', read.text('SourceImage')),
                targetProcessGuid: read.requiredGuid('TargetProcessGUID'),
                ...optional('targetProcessId', read.integer('TargetProcessId')),
                ...optional('targetImage', read.text('TargetImage')),
                grantedAccess,
                ...optional('callTrace', read.text('CallTrace')),
                ...optional('sourceUser', read.text('SourceUser')),
                ...optional('targetUser', read.text('TargetUser')),
            };
        }
        case 11:
            return {
                ...base,
                eventId,
                processGuid: read.requiredGuid('ProcessGuid'),
                ...optional('processId', read.integer('ProcessId')),
                ...optional('image', read.text('Image')),
                ...optional('targetFilename', read.text('TargetFilename')),
                ...optional('creationUtcTime', read.text('CreationUtcTime')),
                ...optional('user', read.text('User')),
            };
        case 25:
            return {
                ...base,
                eventId,
                processGuid: read.requiredGuid('ProcessGuid'),
                ...optional('processId', read.integer('ProcessId')),
                ...optional('image', read.text('Image')),
                ...optional('type', read.text('Type')),
                ...optional('user', read.text('User')),
            };
    }
}
