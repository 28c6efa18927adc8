/**
 * @module The per-host correlation state: what is remembered about processes, image files and chains.
 * A chain is keyed by (host, target process GUID); the host is the storage partition, so keys here are per host.
 * Every record is plain JSON so a store can persist it as is (state stores keep one entity per key).
 */
import type { SysmonEvent } from '../sysmon/types';
import type { Incident } from './incident';

/** What a process creation (EID 1) told us, plus bounded follow-up activity of that process. */
export interface ProcessRecord {
    guid: string;
    image?: string;
    processId?: number;
    commandLine?: string;
    user?: string;
    parentGuid?: string;
    parentImage?: string;
    parentProcessId?: number;
    /** Event time of the EID 1, when it was seen. */
    createdMs?: number;
    created?: EvidenceRef;
    followUps: FollowUp[];
    /** Wall-clock ms of the last change, for expiry. */
    updatedAt: number;
}

/** Where an event came from, enough to cite it as evidence. */
export interface EvidenceRef {
    key: string;
    eventId: number;
    recordId?: number;
    time: string;
    timeMs: number;
    partitionId?: string;
    sequenceNumber?: number;
}

export interface FollowUp extends EvidenceRef {
    kind: 'network' | 'child' | 'unsigned-image';
    detail: string;
    /** A network follow-up's destination port, when the event gave one (records stored before it existed lack it). */
    destinationPort?: number;
}

/** Recent writes of one executable path (EID 11), for the image-written-before-start check. */
export interface FileRecord {
    path: string;
    writes: (EvidenceRef & { writerGuid: string; writerImage?: string })[];
    updatedAt: number;
}

/** Access facts computed once from the full call trace when the evidence is stored (the stored trace may be cut). */
export interface StoredAccessFacts {
    codeRights: boolean;
    allAccess: boolean;
    directSyscall: boolean;
    /** Optional: records stored before it existed lack it. */
    bofPattern?: boolean;
    originUnbacked: boolean;
    originModule?: string;
    managedRuntime: boolean;
    nativeCaller?: string;
    unknownFrames: number;
}

export interface Evidence {
    event: SysmonEvent;
    access?: StoredAccessFacts;
}

/** The published state of a chain's incident: created once, then versioned as evidence grows. */
export interface IncidentMarker {
    id: string;
    version: number;
    fingerprint: string;
    createdAt: string;
    updatedAt: string;
}

export interface ChainRecord {
    targetGuid: string;
    evidence: Evidence[];
    /** Evidence events evicted by earlier ones once the chain held `maxEvidencePerChain`. */
    droppedEvidence: number;
    incident?: IncidentMarker;
    /** Wall-clock ms of the last change (evidence added, incident versioned), for expiry. */
    updatedAt: number;
    /** An earlier chain of this target expired before this one was opened (copied from its tombstone). */
    earlier?: ChainTombstone;
}

/**
 * What is left of an expired chain: enough for a chain rebuilt on the same target to continue its incident's
 * versions (n + 1, never 1 again, so the incident store and Sentinel take the new version) and to say that earlier
 * evidence expired. Small, and kept much longer than chains (`chainTombstoneRetentionMs`).
 */
export interface ChainTombstone {
    targetGuid: string;
    /** Wall-clock ms when the (latest) chain of this target expired. */
    expiredAt: number;
    /** Evidence events the expired chain held. */
    evidence: number;
    /** The expired chain's incident id and highest version, when it had become an incident. */
    incidentId?: string;
    version?: number;
    updatedAt: number;
}

/**
 * A committed incident version not yet delivered to one publisher (the transactional outbox). Written in the same
 * entity group transaction as the chain record that carries this version, deleted once that publisher took it.
 * Holds the incident as committed, so later changes to the chain (or its expiry) do not change what is delivered.
 */
export interface OutboxEntry {
    publisher: string;
    /** State key of the chain record this version belongs to: the Table store keeps both in one transaction. */
    chainKey: string;
    incident: Incident;
    /** Wall-clock ms of the commit. */
    createdAt: number;
}

/**
 * Written with every save of a host's state. Two correlators that both hold the host then always touch one common
 * record, so the second writer's ETag check fails even when their other records do not overlap: the stale one
 * re-reads everything instead of scoring with a process record it never saw.
 */
export interface HostMeta {
    saves: number;
    updatedAt: number;
    /**
     * Wall-clock ms by which the maintenance pass should visit this host: something may expire by then, or an outbox
     * entry waits for delivery. Never later than the true time (it may be earlier: the visit then finds nothing).
     * Absent on a host whose meta record predates it.
     */
    dueAt?: number;
}

export interface HostState {
    host: string;
    meta: HostMeta;
    processes: Map<string, ProcessRecord>;
    files: Map<string, FileRecord>;
    chains: Map<string, ChainRecord>;
    tombstones: Map<string, ChainTombstone>;
    /** Pending deliveries by state key (`stateKey.outbox`). */
    outbox: Map<string, OutboxEntry>;
}

export function emptyHostState(host: string): HostState {
    return {
        host,
        meta: { saves: 0, updatedAt: 0 },
        processes: new Map(),
        files: new Map(),
        chains: new Map(),
        tombstones: new Map(),
        outbox: new Map(),
    };
}

/** Whether a host's state holds nothing but its meta record (the meta record then goes too). */
export function isEmptyHostState(state: HostState): boolean {
    return (
        state.processes.size + state.files.size + state.chains.size + state.tombstones.size + state.outbox.size === 0
    );
}

/** Storage keys of the records: one entity each. */
export const stateKey = {
    meta: 'm:host',
    process: (guid: string): string => `p:${guid}`,
    file: (path: string): string => `f:${hash53(path)}`,
    chain: (guid: string): string => `c:${guid}`,
    tombstone: (guid: string): string => `t:${guid}`,
    /** Zero-padded version, so a partition lists an incident's pending versions in order. */
    outbox: (publisher: string, incidentId: string, version: number): string =>
        `o:${publisher}:${incidentId}:${String(version).padStart(10, '0')}`,
};

export type StateRecord =
    | { kind: 'meta'; value: HostMeta }
    | { kind: 'process'; value: ProcessRecord }
    | { kind: 'file'; value: FileRecord }
    | { kind: 'chain'; value: ChainRecord }
    | { kind: 'tombstone'; value: ChainTombstone }
    | { kind: 'outbox'; value: OutboxEntry };

/** The record stored under `key`, if any. */
export function recordAt(state: HostState, key: string): StateRecord | undefined {
    const id = key.slice(2);
    if (key === stateKey.meta) return { kind: 'meta', value: state.meta };
    if (key.startsWith('p:')) {
        const value = state.processes.get(id);
        return value && { kind: 'process', value };
    }
    if (key.startsWith('c:')) {
        const value = state.chains.get(id);
        return value && { kind: 'chain', value };
    }
    if (key.startsWith('t:')) {
        const value = state.tombstones.get(id);
        return value && { kind: 'tombstone', value };
    }
    if (key.startsWith('o:')) {
        const value = state.outbox.get(key);
        return value && { kind: 'outbox', value };
    }
    for (const value of state.files.values()) if (stateKey.file(value.path) === key) return { kind: 'file', value };
    return undefined;
}

/** Puts a loaded record back into a state (stores rebuild state this way). */
export function putRecord(state: HostState, record: StateRecord): void {
    if (record.kind === 'meta') state.meta = record.value;
    else if (record.kind === 'process') state.processes.set(record.value.guid, record.value);
    else if (record.kind === 'chain') state.chains.set(record.value.targetGuid, record.value);
    else if (record.kind === 'tombstone') state.tombstones.set(record.value.targetGuid, record.value);
    else if (record.kind === 'outbox') {
        const { publisher, incident } = record.value;
        state.outbox.set(stateKey.outbox(publisher, incident.id, incident.version), record.value);
    } else state.files.set(record.value.path, record.value);
}

/**
 * cyrb53 (public domain, bryc): a fast 53-bit string hash, as 14 hex digits, for stable ids and keys (not security).
 * Two Math.imul lanes instead of BigInt FNV: this runs for every stored event.
 */
export function hash53(text: string, seed = 0): string {
    let h1 = 0xdeadbeef ^ seed;
    let h2 = 0x41c6ce57 ^ seed;
    for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ ch, 2654435761);
        h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/**
 * The identity of an event for de-duplication: the record id when the feed carries one, otherwise a hash of the
 * event's content (the Log Analytics `Event` table has no record id:
 * learn.microsoft.com/azure/azure-monitor/reference/tables/event).
 */
export function eventKey(event: SysmonEvent): string {
    if (event.recordId !== undefined) return `${event.eventId}:r${event.recordId}`;
    const { origin: _origin, ...content } = event;
    return `${event.eventId}:h${hash53(JSON.stringify(content))}`;
}

export function evidenceRef(event: SysmonEvent): EvidenceRef {
    const ref: EvidenceRef = { key: eventKey(event), eventId: event.eventId, time: event.time, timeMs: event.timeMs };
    if (event.recordId !== undefined) ref.recordId = event.recordId;
    if (event.origin.partitionId !== undefined) ref.partitionId = event.origin.partitionId;
    if (event.origin.sequenceNumber !== undefined) ref.sequenceNumber = event.origin.sequenceNumber;
    return ref;
}

/** Serializes a record; Maps are not used inside records, so plain JSON round-trips them exactly. */
export function serializeRecord(record: StateRecord): string {
    return JSON.stringify(record);
}

export function deserializeRecord(text: string): StateRecord {
    return JSON.parse(text) as StateRecord;
}
