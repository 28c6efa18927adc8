/**
 * @module Reads the entities a Sentinel playbook sends, in the three shapes it can send them
 * (docs/architecture.md, "Sentinel playbook payloads"):
 * - the Logic Apps "Microsoft Sentinel incident" trigger body: camelCase, `object.properties.relatedEntities`,
 *   each `{ kind, properties }`, the incident ARM id in `object.id`;
 * - an alert payload: `Entities` as an array or a JSON string, PascalCase, `Type`, JSON.NET `$id` / `$ref` references;
 * - a bare list of entities in either casing.
 * Pure; bad input comes back as a `ValidationProblem` naming the field, never as an exception.
 */
import { isWellFormedText } from '../ports/incidentStore';

export interface HostRef {
    /** Every name the entity gives for the host, lower-cased: hostName, netBiosName, hostName.dnsDomain (FQDN). */
    names: string[];
}

export interface ProcessRef {
    processId?: number;
    commandLine?: string;
    creationTimeUtc?: string;
    /** Image file name or path, when the entity links one. */
    image?: string;
    hostNames: string[];
}

export interface SentinelEntities {
    incidentArmId?: string;
    hosts: HostRef[];
    processes: ProcessRef[];
    /** File names (lower-case) of File entities, for matching images. */
    files: string[];
}

export interface ValidationProblem {
    code: string;
    field: string;
    detail: string;
}

/** Entities read per request: a Sentinel incident lists a few dozen; each host name costs storage queries. */
export const MAX_ENTITIES = 500;
/** Distinct host names (hostName, netBiosName, FQDN, across Host and Process entities) per request. */
export const MAX_HOST_NAMES = 100;
/** DNS names are at most 253 characters (RFC 1035 §2.3.4); longer text is not a host name. */
const MAX_HOST_NAME_CHARS = 255;

export type EntitiesResult = { ok: true; value: SentinelEntities } | { ok: false; problem: ValidationProblem };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A property in camelCase or PascalCase (`hostName` / `HostName`). */
function prop(entity: Json, camel: string): unknown {
    const pascal = camel.charAt(0).toUpperCase() + camel.slice(1);
    return entity[camel] ?? entity[pascal];
}

function text(value: unknown): string | undefined {
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return undefined;
}

/** ProcessId is a decimal string in incidents and a hex string (`0x1eec`) in SecurityAlert entities (B2). */
export function parseProcessId(value: unknown): number | undefined {
    const raw = text(value);
    if (raw === undefined) return undefined;
    if (/^0x[0-9a-f]{1,8}$/i.test(raw)) return parseInt(raw.slice(2), 16);
    if (/^\d{1,10}$/.test(raw)) return Number(raw);
    return undefined;
}

/** Resolves JSON.NET `$ref` references (B2) by `$id`, bounded so a reference cycle cannot loop. */
function resolveReferences(entities: unknown[]): unknown[] {
    const byId = new Map<string, Json>();
    const collect = (value: unknown, depth: number): void => {
        if (depth > 16) return;
        if (Array.isArray(value)) value.forEach((v) => collect(v, depth + 1));
        else if (isObject(value)) {
            if (typeof value.$id === 'string') byId.set(value.$id, value);
            for (const child of Object.values(value)) collect(child, depth + 1);
        }
    };
    collect(entities, 0);
    const resolve = (value: unknown, depth: number): unknown => {
        if (depth > 16) return undefined;
        if (Array.isArray(value)) return value.map((v) => resolve(v, depth + 1));
        if (!isObject(value)) return value;
        if (typeof value.$ref === 'string') {
            const target = byId.get(value.$ref);
            return target ? resolve(target, depth + 1) : undefined;
        }
        const out: Json = {};
        for (const [key, child] of Object.entries(value)) out[key] = resolve(child, depth + 1);
        return out;
    };
    return entities.map((e) => resolve(e, 0));
}

/** An entity's kind and its properties, whichever shape it came in. */
function normalizeEntity(raw: unknown): { kind: string; properties: Json } | undefined {
    if (!isObject(raw)) return undefined;
    if (isObject(raw.properties) && typeof raw.kind === 'string')
        return { kind: raw.kind.toLowerCase(), properties: raw.properties };
    const kind = text(raw.Type ?? raw.type ?? raw.kind);
    return kind ? { kind: kind.toLowerCase(), properties: raw } : undefined;
}

function hostNames(properties: Json): string[] {
    const names = new Set<string>();
    const host = text(prop(properties, 'hostName'));
    const netBios = text(prop(properties, 'netBiosName'));
    const domain = text(prop(properties, 'dnsDomain'));
    const fqdn = text(prop(properties, 'fqdn')) ?? text(prop(properties, 'fQDN'));
    for (const name of [host, netBios, fqdn, host && domain ? `${host}.${domain}` : undefined])
        if (name) names.add(name.toLowerCase());
    return [...names];
}

function fileName(file: unknown): string | undefined {
    if (!isObject(file)) return undefined;
    const name = text(prop(file, 'name')) ?? text(prop(file, 'fileName'));
    const directory = text(prop(file, 'directory'));
    if (!name) return undefined;
    return directory ? `${directory.replace(/\\$/, '')}\\${name}` : name;
}

/**
 * Parses a playbook request body into the hosts and processes to match.
 * @example readSentinelEntities([{ kind: 'Host', properties: { hostName: 'WS01', dnsDomain: 'contoso.local' } }])
 * // { ok: true, value: { hosts: [{ names: ['ws01', 'ws01.contoso.local'] }], processes: [], files: [] } }
 */
export function readSentinelEntities(body: unknown): EntitiesResult {
    let incidentArmId: string | undefined;
    let list: unknown;
    let field = 'body';
    if (Array.isArray(body)) {
        list = body;
    } else if (isObject(body) && isObject(body.object)) {
        const object = body.object;
        incidentArmId = text(object.id);
        const properties = object.properties;
        if (!isObject(properties))
            return {
                ok: false,
                problem: {
                    code: 'missing-field',
                    field: 'object.properties',
                    detail: 'the incident trigger body has no object.properties',
                },
            };
        list = properties.relatedEntities;
        field = 'object.properties.relatedEntities';
    } else if (isObject(body) && ('Entities' in body || 'entities' in body)) {
        list = body.Entities ?? body.entities;
        field = 'Entities';
        incidentArmId = text(body.incidentArmId) ?? text(body.SystemAlertId);
        if (typeof list === 'string') {
            try {
                list = JSON.parse(list);
            } catch {
                return {
                    ok: false,
                    problem: { code: 'invalid-json', field, detail: 'Entities is a string that is not valid JSON' },
                };
            }
        }
    } else {
        return {
            ok: false,
            problem: {
                code: 'unrecognized-body',
                field: 'body',
                detail: 'expected a Sentinel incident trigger body, an alert with Entities, or an array of entities',
            },
        };
    }
    if (!Array.isArray(list))
        return { ok: false, problem: { code: 'wrong-type', field, detail: `${field} must be an array of entities` } };
    if (list.length > MAX_ENTITIES)
        return {
            ok: false,
            problem: {
                code: 'too-many-entities',
                field,
                detail: `at most ${MAX_ENTITIES} entities per request, got ${list.length}`,
            },
        };

    const entities = resolveReferences(list)
        .map(normalizeEntity)
        .filter((e): e is { kind: string; properties: Json } => e !== undefined);
    const hosts: HostRef[] = [];
    const processes: ProcessRef[] = [];
    const files = new Set<string>();
    for (const { kind, properties } of entities) {
        if (kind === 'host') {
            const names = hostNames(properties);
            if (names.length > 0) hosts.push({ names });
        } else if (kind === 'process') {
            const host = prop(properties, 'host');
            const processHostNames = isObject(host)
                ? hostNames(isObject(host.properties) ? host.properties : host)
                : [];
            const ref: ProcessRef = { hostNames: processHostNames };
            const processId = parseProcessId(prop(properties, 'processId'));
            if (processId !== undefined) ref.processId = processId;
            const commandLine = text(prop(properties, 'commandLine'));
            if (commandLine) ref.commandLine = commandLine;
            const created =
                text(prop(properties, 'creationTimeUtc')) ?? text(prop(properties, 'processCreationTimeUtc'));
            if (created) ref.creationTimeUtc = created;
            const image = fileName(prop(properties, 'imageFile')) ?? text(prop(properties, 'image'));
            if (image) ref.image = image;
            processes.push(ref);
        } else if (kind === 'file') {
            const name = text(prop(properties, 'fileName')) ?? text(prop(properties, 'name'));
            if (name) files.add(name.toLowerCase());
        }
    }
    const names = new Set([...hosts.flatMap((h) => h.names), ...processes.flatMap((p) => p.hostNames)]);
    for (const name of names) {
        if (name.length > MAX_HOST_NAME_CHARS || !isWellFormedText(name))
            return {
                ok: false,
                problem: {
                    code: 'invalid-host-name',
                    field,
                    detail: `host names are well-formed text of at most ${MAX_HOST_NAME_CHARS} characters`,
                },
            };
    }
    if (names.size > MAX_HOST_NAMES)
        return {
            ok: false,
            problem: {
                code: 'too-many-host-names',
                field,
                detail: `at most ${MAX_HOST_NAMES} distinct host names per request, got ${names.size}`,
            },
        };
    const value: SentinelEntities = { hosts, processes, files: [...files] };
    if (incidentArmId !== undefined) value.incidentArmId = incidentArmId;
    return { ok: true, value };
}
