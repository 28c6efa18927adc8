/**
 * @module KQL text for enriching an incident from the Microsoft Sentinel (Log Analytics) workspace. Pure: no I/O.
 *
 * Injection safety rule: a value from an incident (host, image names, process GUID, hash) reaches a query only
 * through {@link kqlString}, bound once by a `let` statement at the top of the query; dates only as `datetime(...)`
 * literals rendered here from validated `Date`s. The query bodies below are constant text.
 */

/** What an incident contributes to enrichment. `firstSeen` / `lastSeen` are ISO 8601 instants. */
export interface EnrichmentInput {
    host: string;
    /** Full image path (or base name) of the injecting process; the pair query needs both images. */
    injectorImage?: string;
    targetImage?: string;
    targetProcessGuid: string;
    firstSeen: string;
    lastSeen: string;
    /** SHA256 of the injector's image (64 hex digits), when known; the hash query is skipped without it. */
    injectorSha256?: string;
}

/** The enrichment parts, one query each. */
export type EnrichmentQueryName = 'pairRarity' | 'hashRarity' | 'alertsOnHost' | 'targetConnections';

/** One workspace query: its KQL and the time range passed to the query API's `timespan`. */
export interface EnrichmentQuery {
    name: EnrichmentQueryName;
    kql: string;
    timespan: { startTime: Date; endTime: Date };
}

/** Rarity looks back this far before the incident. */
export const RARITY_WINDOW_DAYS = 30;
/** Other alerts are searched this long before `firstSeen` and after `lastSeen`. */
export const ALERT_WINDOW_HOURS = 24;
/** The target's network connections are followed this long after `firstSeen`. */
export const CONNECTION_WINDOW_HOURS = 24;
/**
 * Added after `lastSeen` to the rarity windows so that the incident's own events count even when their
 * `TimeGenerated` is a little later than the event time (learn.microsoft.com, "Log data ingestion time in
 * Azure Monitor": `TimeGenerated` is set at collection, ingestion adds further minutes).
 */
export const INGESTION_SLACK_MINUTES = 60;
/** At most this many alert names / connection destinations are returned (`make_set`'s MaxSize). */
export const MAX_LISTED = 10;

/** The input cannot be turned into queries (missing host, unparseable dates, malformed hash). */
export class InvalidEnrichmentInputError extends RangeError {
    constructor(message: string) {
        super(message);
        this.name = 'InvalidEnrichmentInputError';
    }
}

const HOUR_MS = 3_600_000;
const SHA256 = /^[0-9a-f]{64}$/i;

function hex4(code: number): string {
    return code.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Renders `value` as a KQL double-quoted string literal that evaluates back to exactly `value`.
 *
 * Why this form: in a double-quoted literal the only characters with a meaning are `"` (the terminator), `\`
 * (the escape) and CR / LF, which may not appear raw in a single-line literal (learn.microsoft.com, Kusto "The
 * string data type", string literals: "Use the backslash character to escape the enclosing quote characters, tab
 * characters (\t), newline characters (\n), and the backslash itself (\\)"; "The newline character (\n) and the
 * return character (\r) must be enclosed in quotes"). So `\` → `\\`, `"` → `\"`, LF → `\n`, TAB → `\t`, CR → `\r`.
 * Every other control character (C0, DEL, C1), U+2028 / U+2029 (line breaks to Kusto's own text tools) and any
 * unpaired UTF-16 surrogate (not encodable in the UTF-8 request) becomes `\uXXXX`: the string page does not list
 * `\u`, but the lexical grammar of Microsoft's parser (github.com/microsoft/Kusto-Query-Language,
 * src/Kusto.Language/Parser/LexicalGrammar.cs, `Escape`) accepts `\r` and `\u` followed by four hex digits. Such
 * characters never occur in real host names, image names, GUIDs or hashes; escaping them keeps the literal intact.
 * Everything else, `'`, `|`, `;`, `//` and non-ASCII text included, is inert between the quotes and kept as is.
 * The verbatim form `@'...'` was not chosen because it cannot hold CR or LF at all.
 * @example kqlString('a"b\\c') // '"a\\"b\\\\c"'  (that is: "a\"b\\c")
 */
export function kqlString(value: string): string {
    let out = '"';
    for (let i = 0; i < value.length; i++) {
        const code = value.charCodeAt(i);
        switch (code) {
            case 0x5c:
                out += '\\\\';
                continue; // backslash
            case 0x22:
                out += '\\"';
                continue; // double quote
            case 0x0a:
                out += '\\n';
                continue;
            case 0x09:
                out += '\\t';
                continue;
            case 0x0d:
                out += '\\r';
                continue;
        }
        if (code >= 0xd800 && code <= 0xdbff) {
            const next = value.charCodeAt(i + 1); // NaN past the end
            if (next >= 0xdc00 && next <= 0xdfff) {
                out += value.slice(i, i + 2); // a well-formed surrogate pair: one astral character, kept as is
                i++;
                continue;
            }
            out += `\\u${hex4(code)}`;
            continue;
        }
        const escape =
            code < 0x20 ||
            (code >= 0x7f && code <= 0x9f) ||
            code === 0x2028 ||
            code === 0x2029 ||
            (code >= 0xdc00 && code <= 0xdfff);
        out += escape ? `\\u${hex4(code)}` : value.charAt(i);
    }
    return `${out}"`;
}

/** `datetime(...)` literal of a validated instant (ISO 8601 with `Z`: learn.microsoft.com, Kusto "The datetime data type"). */
function kqlDatetime(instant: Date): string {
    return `datetime(${instant.toISOString()})`;
}

function parseInstant(value: string, field: string): Date {
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) throw new InvalidEnrichmentInputError(`${field} is not a date: ${JSON.stringify(value)}`);
    return new Date(ms);
}

/** The base name of a Windows (or POSIX) image path: what follows the last `\` or `/`, trimmed. */
export function imageBaseName(image: string | undefined): string | undefined {
    if (image === undefined) return undefined;
    const name = image.slice(Math.max(image.lastIndexOf('\\'), image.lastIndexOf('/')) + 1).trim();
    return name === '' ? undefined : name;
}

/** Sysmon writes process GUIDs as `{xxxxxxxx-...}`; accept the value with or without braces. */
function sysmonGuid(guid: string): string {
    const core = guid.trim().replace(/^\{/, '').replace(/\}$/, '');
    return `{${core}}`;
}

function windowLets(start: Date, end: Date): string {
    return `let windowStart = ${kqlDatetime(start)};\nlet windowEnd = ${kqlDatetime(end)};\n`;
}

/**
 * Sysmon events of the given ids from both tables Sentinel stores Windows events in, as `Computer`, `EventID`,
 * `TimeGenerated` and `Fields` (a property bag of the event's data fields):
 * - `Event` (legacy agent / AMA "Windows event logs" to the Event table): `EventData` is an XML string
 *   `<DataItem ...><EventData ...><Data Name="Image">...</Data>...`; `parse_xml` turns each `<Data Name="X">v</Data>`
 *   into `{"@Name": "X", "#text": "v"}` (learn.microsoft.com, Kusto "parse_xml()") and `mv-apply` folds them into one
 *   bag. `parse_xml` decodes XML entities, which `extract` on the raw string would not.
 * - `WindowsEvent` (AMA "Windows Forwarded Events" / DCR to WindowsEvent): `EventData` is `dynamic`, sometimes a
 *   JSON string (see test/fixtures/README.md); `parse_json(tostring(...))` handles both.
 * `union isfuzzy=true` keeps the query running when one of the tables does not exist in the workspace; the service
 * then reports the missing leg as a warning, which arrives as a partial result (learn.microsoft.com, Kusto "union
 * operator", isfuzzy).
 */
function sysmonUnion(eventIds: string, eventPrefilter = '', windowsEventPrefilter = ''): string {
    return [
        'union isfuzzy=true',
        '    (Event',
        '        | where TimeGenerated between (windowStart .. windowEnd)',
        `        | where Source == "Microsoft-Windows-Sysmon" and EventID in (${eventIds})${eventPrefilter}`,
        '        | extend Data = parse_xml(EventData).DataItem.EventData.Data',
        '        | mv-apply Data on (summarize Fields = make_bag(bag_pack(tostring(Data["@Name"]), tostring(Data["#text"]))))',
        '        | project TimeGenerated, Computer, EventID, Fields),',
        '    (WindowsEvent',
        '        | where TimeGenerated between (windowStart .. windowEnd)',
        `        | where Provider == "Microsoft-Windows-Sysmon" and EventID in (${eventIds})${windowsEventPrefilter}`,
        '        | project TimeGenerated, Computer, EventID, Fields = parse_json(tostring(EventData)))',
    ].join('\n');
}

/** Exact counts: `dcount` is an estimate (learn.microsoft.com, Kusto "dcount()"), so hosts are counted by grouping. */
const RARITY_TAIL = [
    '| summarize Occurrences = count() by Computer',
    '| summarize Occurrences = sum(Occurrences), Hosts = count()',
].join('\n');

function pairRarityQuery(injectorName: string, targetName: string, start: Date, end: Date): string {
    // EID 1: ParentImage created Image; EID 8 / 10: SourceImage created a remote thread in / opened TargetImage.
    return [
        `// hollowtrace enrichment: pairRarity (injector -> target image pair over ${RARITY_WINDOW_DAYS} days)`,
        `let injectorName = ${kqlString(injectorName)};`,
        `let targetName = ${kqlString(targetName)};`,
        windowLets(start, end) + sysmonUnion('1, 8, 10'),
        '| extend Injector = tostring(iff(EventID == 1, Fields.ParentImage, Fields.SourceImage)),',
        '    Target = tostring(iff(EventID == 1, Fields.Image, Fields.TargetImage))',
        // Base name = the text after the last \ or /; `=~` is the case-insensitive equality (Kusto "String operators").
        '| where extract(@"[^\\\\/]*$", 0, Injector) =~ injectorName and extract(@"[^\\\\/]*$", 0, Target) =~ targetName',
        RARITY_TAIL,
    ].join('\n');
}

function hashRarityQuery(sha256: string, start: Date, end: Date): string {
    // Sysmon EID 1 carries `Hashes` as "SHA1=...,MD5=...,SHA256=...,IMPHASH=..." (the algorithms are configurable).
    // `has` is a term match that the Event table's index can answer before any XML is parsed.
    return [
        `// hollowtrace enrichment: hashRarity (injector SHA256 over ${RARITY_WINDOW_DAYS} days)`,
        `let sha256 = ${kqlString(sha256)};`,
        windowLets(start, end) + sysmonUnion('1', ' and EventData has sha256'),
        '| where extract(@"SHA256=([0-9A-Fa-f]{64})", 1, tostring(Fields.Hashes)) =~ sha256',
        RARITY_TAIL,
    ].join('\n');
}

function alertsOnHostQuery(host: string, start: Date, end: Date): string {
    // Alerts may name the host by its short name where Sysmon wrote the FQDN; an IP address has no short name.
    const firstLabel = host.split('.')[0] ?? '';
    const shortName = /^\d+(\.\d+){3}$/.test(host) || firstLabel === '' ? host : firstLabel;
    // SecurityAlert keeps one row per alert update; the latest row per SystemAlertId is the alert
    // (learn.microsoft.com, Azure Monitor table reference "SecurityAlert").
    return [
        '// hollowtrace enrichment: alertsOnHost (other alerts on the host around the incident)',
        `let hostName = ${kqlString(host)};`,
        `let hostShortName = ${kqlString(shortName)};`,
        windowLets(start, end) + 'SecurityAlert',
        '| where TimeGenerated between (windowStart .. windowEnd)',
        '| where CompromisedEntity =~ hostName or CompromisedEntity =~ hostShortName or Entities has hostName or Entities has hostShortName',
        '| summarize arg_max(TimeGenerated, AlertName) by SystemAlertId',
        `| summarize Alerts = count(), AlertNames = make_set(AlertName, ${MAX_LISTED})`,
    ].join('\n');
}

function targetConnectionsQuery(targetGuid: string, start: Date, end: Date): string {
    // Sysmon EID 3 (NetworkConnect). The remote end is the destination of connections the process initiated and
    // the source of accepted ones; IPv6 addresses are bracketed so that ":port" stays unambiguous.
    return [
        `// hollowtrace enrichment: targetConnections (Sysmon EID 3 of the target, ${CONNECTION_WINDOW_HOURS} h after firstSeen)`,
        `let targetGuid = ${kqlString(targetGuid)};`,
        `let targetGuidCore = ${kqlString(targetGuid.slice(1, -1))};`,
        // `has` on the GUID without braces is a term (phrase) match the index answers before the XML is parsed.
        windowLets(start, end) + sysmonUnion('3', ' and EventData has targetGuidCore'),
        '| where tostring(Fields.ProcessGuid) =~ targetGuid',
        '| extend Outbound = tostring(Fields.Initiated) !~ "false"',
        '| extend RemoteHost = tostring(iff(Outbound, Fields.DestinationHostname, Fields.SourceHostname)),',
        '    RemoteIp = tostring(iff(Outbound, Fields.DestinationIp, Fields.SourceIp)),',
        '    RemotePort = tostring(iff(Outbound, Fields.DestinationPort, Fields.SourcePort))',
        '| extend RemoteName = iff(isnotempty(RemoteHost) and RemoteHost != "-", RemoteHost, iff(RemoteIp contains ":", strcat("[", RemoteIp, "]"), RemoteIp))',
        '| extend Destination = strcat(RemoteName, ":", RemotePort)',
        `| summarize Connections = count(), Destinations = make_set(Destination, ${MAX_LISTED})`,
    ].join('\n');
}

/**
 * Builds the enrichment queries for one incident, each with the time range to pass as the API `timespan`
 * (the queries also filter `TimeGenerated` themselves, so they mean the same when pasted into the portal):
 * - `pairRarity` (only when both images have a base name): Sysmon EID 1 / 8 / 10 where a process named like the
 *   injector created or accessed one named like the target, on any host, `firstSeen - 30 d` .. `lastSeen + 1 h`;
 * - `hashRarity` (only with `injectorSha256`): Sysmon EID 1 with that SHA256, same window;
 * - `alertsOnHost`: SecurityAlert rows naming the host, `firstSeen - 24 h` .. `lastSeen + 24 h`;
 * - `targetConnections`: Sysmon EID 3 of the target process GUID, `firstSeen` .. `firstSeen + 24 h`.
 * @throws InvalidEnrichmentInputError when the host or GUID is empty, a date does not parse, `lastSeen` precedes
 *   `firstSeen`, or `injectorSha256` is not 64 hex digits.
 */
export function buildEnrichmentQueries(input: EnrichmentInput): EnrichmentQuery[] {
    const host = input.host.trim();
    if (host === '') throw new InvalidEnrichmentInputError('host is empty');
    const guid = input.targetProcessGuid.trim();
    if (guid === '' || guid === '{}') throw new InvalidEnrichmentInputError('targetProcessGuid is empty');
    const firstSeen = parseInstant(input.firstSeen, 'firstSeen');
    const lastSeen = parseInstant(input.lastSeen, 'lastSeen');
    if (lastSeen < firstSeen) throw new InvalidEnrichmentInputError('lastSeen is before firstSeen');
    const sha256 = input.injectorSha256?.trim();
    if (sha256 !== undefined && !SHA256.test(sha256)) {
        throw new InvalidEnrichmentInputError('injectorSha256 is not a SHA256 (64 hexadecimal digits)');
    }

    const rarityStart = new Date(firstSeen.getTime() - RARITY_WINDOW_DAYS * 24 * HOUR_MS);
    const rarityEnd = new Date(lastSeen.getTime() + INGESTION_SLACK_MINUTES * 60_000);
    const queries: EnrichmentQuery[] = [];

    const injectorName = imageBaseName(input.injectorImage);
    const targetName = imageBaseName(input.targetImage);
    if (injectorName !== undefined && targetName !== undefined) {
        queries.push({
            name: 'pairRarity',
            kql: pairRarityQuery(injectorName, targetName, rarityStart, rarityEnd),
            timespan: { startTime: rarityStart, endTime: rarityEnd },
        });
    }
    if (sha256 !== undefined) {
        queries.push({
            name: 'hashRarity',
            kql: hashRarityQuery(sha256.toUpperCase(), rarityStart, rarityEnd),
            timespan: { startTime: rarityStart, endTime: rarityEnd },
        });
    }

    const alertStart = new Date(firstSeen.getTime() - ALERT_WINDOW_HOURS * HOUR_MS);
    const alertEnd = new Date(lastSeen.getTime() + ALERT_WINDOW_HOURS * HOUR_MS);
    queries.push({
        name: 'alertsOnHost',
        kql: alertsOnHostQuery(host, alertStart, alertEnd),
        timespan: { startTime: alertStart, endTime: alertEnd },
    });

    const connectionEnd = new Date(firstSeen.getTime() + CONNECTION_WINDOW_HOURS * HOUR_MS);
    queries.push({
        name: 'targetConnections',
        kql: targetConnectionsQuery(sysmonGuid(guid), firstSeen, connectionEnd),
        timespan: { startTime: firstSeen, endTime: connectionEnd },
    });
    return queries;
}
