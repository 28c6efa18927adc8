/**
 * @module The row hollowtrace uploads to the `HollowtraceIncidents_CL` table for every incident version: the one
 * definition of its columns. The DCR stream declaration and the custom table in `deploy/azuredeploy.json`, the
 * Sentinel publisher's rows and the analytics rule's query are all checked against `INCIDENT_ROW_COLUMNS` in the tests.
 */
import { decodeProcessAccess } from '../decode/accessMask';
import type { Incident, IncidentSignal } from '../correlate/incident';
import { incidentTags } from '../correlate/incident';
import type { ProcessSummary } from '../correlate/evaluate';

/** The custom table (custom tables end in `_CL`: learn.microsoft.com, "Logs Ingestion API in Azure Monitor"). */
export const INCIDENT_TABLE = 'HollowtraceIncidents_CL';
/** The DCR input stream the publisher uploads to (`Custom-` prefix: the same Learn page). */
export const INCIDENT_STREAM = 'Custom-HollowtraceIncidents';

/** Column types as a DCR stream declares them; the table and KQL spellings are derived below. */
export type ColumnType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic';

export interface ColumnDefinition {
    name: string;
    type: ColumnType;
    description: string;
}

function process(prefix: 'Injector' | 'Target', role: string): ColumnDefinition[] {
    return [
        { name: `${prefix}Image`, type: 'string', description: `Full image path of the ${role}` },
        { name: `${prefix}FileName`, type: 'string', description: `File name of the ${role} image (File entity)` },
        { name: `${prefix}Directory`, type: 'string', description: `Directory of the ${role} image (File entity)` },
        { name: `${prefix}ProcessId`, type: 'long', description: `Process id of the ${role}` },
        { name: `${prefix}ProcessGuid`, type: 'string', description: `Sysmon process GUID of the ${role}` },
        { name: `${prefix}CommandLine`, type: 'string', description: `Command line of the ${role}, when seen` },
        {
            name: `${prefix}CreationTime`,
            type: 'datetime',
            description: `Creation time of the ${role} (Sysmon EID 1), when seen`,
        },
    ];
}

/**
 * Every column, in upload order. Names follow the Logs Ingestion rules (a letter first, at most 45 characters of
 * `[A-Za-z0-9_-]`, none of the reserved names such as `Type` or `TenantId`).
 */
export const INCIDENT_ROW_COLUMNS: readonly ColumnDefinition[] = [
    { name: 'TimeGenerated', type: 'datetime', description: 'When hollowtrace uploaded this incident version' },
    { name: 'IncidentId', type: 'string', description: 'Stable id of the chain (hti-...), the same for every version' },
    { name: 'Version', type: 'int', description: 'Incident version; grows as evidence is added' },
    { name: 'Host', type: 'string', description: 'Host name as Sysmon reported it (often the FQDN)' },
    { name: 'HostName', type: 'string', description: 'First label of Host (Host entity)' },
    { name: 'DnsDomain', type: 'string', description: 'Host without its first label, empty for short names' },
    { name: 'Technique', type: 'string', description: 'MITRE ATT&CK technique id (T1055 or a sub-technique)' },
    { name: 'TechniqueName', type: 'string', description: 'MITRE ATT&CK technique name' },
    { name: 'Tactics', type: 'string', description: 'MITRE ATT&CK tactics of the technique, comma separated' },
    { name: 'Score', type: 'int', description: 'Chain score, 0-100' },
    { name: 'Severity', type: 'string', description: 'High, Medium or Low (the alert severity)' },
    ...process('Injector', 'injecting process'),
    ...process('Target', 'target process'),
    { name: 'FirstSeen', type: 'datetime', description: 'Time of the first event of the chain' },
    { name: 'LastSeen', type: 'datetime', description: 'Time of the last event of the chain' },
    {
        name: 'Signals',
        type: 'dynamic',
        description: 'Evidence: [{name, points, time, eventId, recordId, access {mask, rights}, explanation}]',
    },
    { name: 'Explanation', type: 'string', description: 'Why this chain is an incident, in one sentence' },
    { name: 'Tags', type: 'dynamic', description: 'Tags for the Sentinel incident (hollowtrace, technique, kind)' },
];

/** Table column type names (`Microsoft.OperationalInsights/workspaces/tables`: `dateTime`, not `datetime`). */
export function tableColumnType(type: ColumnType): string {
    return type === 'datetime' ? 'dateTime' : type;
}

/** The `(Name:type, ...)` schema string the Kusto language service takes for a table. */
export function kqlSchema(columns: readonly ColumnDefinition[] = INCIDENT_ROW_COLUMNS): string {
    return `(${columns.map((c) => `${c.name}:${c.type}`).join(', ')})`;
}

/**
 * ATT&CK tactics, as Sentinel names them, of the techniques hollowtrace reports: T1055 and all its sub-techniques
 * are Defense Evasion and Privilege Escalation (attack.mitre.org/techniques/T1055); T1620 Reflective Code Loading is
 * Defense Evasion only (attack.mitre.org/techniques/T1620).
 */
export function tacticsOf(technique: string): string[] {
    return technique === 'T1620' ? ['DefenseEvasion'] : ['DefenseEvasion', 'PrivilegeEscalation'];
}

/**
 * A field value is cut by the service above 64 KB (learn.microsoft.com, Azure Monitor service limits, Logs
 * Ingestion API); cutting here keeps the row valid JSON and says that it was cut.
 */
const MAX_TEXT_CHARS = 16_000;

function text(value: string | undefined): string {
    if (value === undefined) return '';
    return value.length <= MAX_TEXT_CHARS ? value : `${value.slice(0, MAX_TEXT_CHARS)}… (cut)`;
}

function splitImage(image: string | undefined): { fileName: string; directory: string } {
    if (!image) return { fileName: '', directory: '' };
    const cut = Math.max(image.lastIndexOf('\\'), image.lastIndexOf('/'));
    return { fileName: image.slice(cut + 1), directory: cut < 0 ? '' : image.slice(0, cut) };
}

function processColumns(prefix: 'Injector' | 'Target', process: ProcessSummary): Record<string, unknown> {
    const { fileName, directory } = splitImage(process.image);
    return {
        [`${prefix}Image`]: text(process.image),
        [`${prefix}FileName`]: fileName,
        [`${prefix}Directory`]: directory,
        // null, not 0: an unknown process id must not become a Process entity with id 0
        [`${prefix}ProcessId`]: process.processId ?? null,
        [`${prefix}ProcessGuid`]: process.processGuid,
        [`${prefix}CommandLine`]: text(process.commandLine),
        [`${prefix}CreationTime`]: process.creationTime ?? null,
    };
}

function signalValue(signal: IncidentSignal): Record<string, unknown> {
    const value: Record<string, unknown> = {
        name: signal.name,
        points: signal.points,
        time: signal.time,
        eventId: signal.eventId,
        explanation: text(signal.detail),
    };
    if (signal.recordId !== undefined) value.recordId = signal.recordId;
    if (signal.grantedAccess !== undefined) {
        const decoded = decodeProcessAccess(signal.grantedAccess);
        value.access = { mask: decoded.hex, rights: decoded.rights };
    }
    return value;
}

/**
 * The row of one incident version. Pure: `now` becomes `TimeGenerated`. Every column of `INCIDENT_ROW_COLUMNS`
 * is present (unknown values are empty strings or null), and no other.
 * @example toIncidentRow(incident, new Date()).IncidentId === incident.id
 */
export function toIncidentRow(incident: Incident, now: Date): Record<string, unknown> {
    const [hostName = '', ...domain] = incident.host.split('.');
    const isAddress = /^\d{1,3}(\.\d{1,3}){3}$/.test(incident.host);
    return {
        TimeGenerated: now.toISOString(),
        IncidentId: incident.id,
        Version: incident.version,
        Host: incident.host,
        HostName: isAddress ? incident.host : hostName,
        DnsDomain: isAddress ? '' : domain.join('.'),
        Technique: incident.technique,
        TechniqueName: incident.techniqueName,
        Tactics: tacticsOf(incident.technique).join(','),
        Score: incident.score,
        Severity: incident.severity,
        ...processColumns('Injector', incident.injector),
        ...processColumns('Target', incident.target),
        FirstSeen: incident.firstSeen,
        LastSeen: incident.lastSeen,
        Signals: incident.signals.map(signalValue),
        Explanation: text(incident.explanation),
        Tags: incidentTags(incident),
    };
}
