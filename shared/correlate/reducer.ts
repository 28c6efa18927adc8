/**
 * @module Applies a batch of one host's events to that host's state: remembers processes and image writes, adds
 * evidence to chains, re-scores the chains that changed and says which incidents were created or updated.
 *
 * Idempotent by event identity (a replayed batch adds nothing) and independent of arrival order (a chain is
 * re-scored from its whole evidence set). Pure apart from mutating the state it is given; `now` is the only clock.
 */
import type { CorrelationConfig } from './config';
import { evaluateChain, unusualHostEgress } from './evaluate';
import type { ChainEvaluation } from './evaluate';
import {
    accessFacts,
    baseName,
    commandLineInjection,
    isAccessCandidate,
    isExecutablePath,
    isFollowUpChild,
    isThreadCandidate,
} from './facts';
import type {
    ChainRecord,
    ChainTombstone,
    Evidence,
    EvidenceRef,
    FollowUp,
    HostState,
    ProcessRecord,
    StoredAccessFacts,
} from './state';
import { eventKey, evidenceRef, hash53, stateKey } from './state';
import type { ProcessAccessEvent, ProcessCreateEvent, SysmonEvent } from '../sysmon/types';

/** An incident as the chain's evaluation gives it, plus its identity and version. */
export interface IncidentChange {
    id: string;
    version: number;
    host: string;
    /** The chain's target process GUID (the chain's state key). */
    targetGuid: string;
    createdAt: string;
    updatedAt: string;
    evaluation: ChainEvaluation;
    /** An earlier chain of the same target expired before this chain's evidence arrived. */
    earlier?: { expiredAt: string; version?: number };
}

export interface ApplyResult {
    /** Keys (see `stateKey`) of records added or changed. */
    changed: Set<string>;
    incidents: IncidentChange[];
}

/** Follow-ups kept per process: enough to show activity, bounded so a chatty process costs one small record. */
const MAX_FOLLOW_UPS = 6;
/** Characters of a call trace kept in stored evidence (facts are computed from the full trace first). */
const MAX_STORED_TRACE = 600;
/** Characters of a command line kept in records and evidence. */
const MAX_STORED_COMMAND_LINE = 4_000;

/** Stable incident id for (host, target): the same chain always publishes under the same id. */
export function incidentId(host: string, targetGuid: string): string {
    return `hti-${hash53(`${host.toLowerCase()}|${targetGuid}`)}`;
}

function cut(text: string | undefined, max: number): string | undefined {
    if (text === undefined || text.length <= max) return text;
    const half = Math.floor((max - 5) / 2);
    return `${text.slice(0, half)} ... ${text.slice(text.length - half)}`;
}

/** Keeps the innermost and outermost frames of a long trace: the facts that matter sit at both ends. */
function cutTrace(trace: string | undefined): string | undefined {
    if (trace === undefined || trace.length <= MAX_STORED_TRACE) return trace;
    const frames = trace.split('|');
    const head: string[] = [];
    const tail: string[] = [];
    let length = 5;
    for (let i = 0, j = frames.length - 1; i <= j; i++, j--) {
        const front = frames[i] as string;
        const back = frames[j] as string;
        if (length + front.length + back.length + 2 > MAX_STORED_TRACE) break;
        head.push(front);
        if (i !== j) tail.unshift(back);
        length += front.length + back.length + 2;
    }
    return [...head, '...', ...tail].join('|');
}

function storedAccessFacts(event: ProcessAccessEvent): StoredAccessFacts {
    const facts = accessFacts(event);
    const stored: StoredAccessFacts = {
        codeRights: facts.codeRights,
        allAccess: facts.allAccess,
        directSyscall: facts.directSyscall,
        bofPattern: facts.bofPattern,
        originUnbacked: facts.originUnbacked,
        managedRuntime: facts.managedRuntime,
        unknownFrames: facts.unknownFrames,
    };
    if (facts.originFrame?.kind === 'module') stored.originModule = facts.originFrame.modulePath;
    if (facts.nativeCaller !== undefined) stored.nativeCaller = facts.nativeCaller;
    return stored;
}

/** The event as stored in a chain: long fields cut, undefined fields dropped. */
function compact(event: SysmonEvent): SysmonEvent {
    const copy = JSON.parse(JSON.stringify(event)) as SysmonEvent;
    if (copy.eventId === 10) copy.callTrace = cutTrace(copy.callTrace);
    if (copy.eventId === 1) copy.commandLine = cut(copy.commandLine, MAX_STORED_COMMAND_LINE);
    return copy;
}

function processRecord(state: HostState, guid: string, nowMs: number): ProcessRecord {
    let record = state.processes.get(guid);
    if (!record) {
        record = { guid, followUps: [], updatedAt: nowMs };
        state.processes.set(guid, record);
    }
    return record;
}

function orderRefs(a: EvidenceRef, b: EvidenceRef): number {
    return a.timeMs - b.timeMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Adds a follow-up, keeping the earliest `MAX_FOLLOW_UPS` (order-independent); returns whether anything changed. */
function addFollowUp(record: ProcessRecord, followUp: FollowUp): boolean {
    if (record.followUps.some((f) => f.key === followUp.key)) return false;
    const next = [...record.followUps, followUp].sort(orderRefs).slice(0, MAX_FOLLOW_UPS);
    if (!next.includes(followUp)) return false;
    record.followUps = next;
    return true;
}

/** A new chain on `targetGuid`, remembering the tombstone of an earlier chain of the same target if there is one. */
function openChain(state: HostState, targetGuid: string, nowMs: number): ChainRecord {
    const chain: ChainRecord = { targetGuid, evidence: [], droppedEvidence: 0, updatedAt: nowMs };
    const tombstone = state.tombstones.get(targetGuid);
    if (tombstone) chain.earlier = { ...tombstone };
    state.chains.set(targetGuid, chain);
    return chain;
}

/**
 * Adds evidence to a chain (created when missing); returns whether the chain changed. Refreshes the chain's
 * `updatedAt`, so pending retention counts from the last piece of evidence, not from the first.
 */
function addEvidence(state: HostState, targetGuid: string, evidence: Evidence, nowMs: number, max: number): boolean {
    const chain = state.chains.get(targetGuid) ?? openChain(state, targetGuid, nowMs);
    const key = eventKey(evidence.event);
    if (chain.evidence.some((e) => eventKey(e.event) === key)) return false;
    if (chain.evidence.length >= max) {
        // Keep the earliest `max` events, whatever the arrival order; a later one is not kept (and a replay of it
        // is not kept either, so this stays idempotent). An earlier one evicts the latest kept.
        const latest = chain.evidence[chain.evidence.length - 1] as Evidence;
        if (orderRefs(evidenceRef(evidence.event), evidenceRef(latest.event)) >= 0) return false;
        chain.evidence.pop();
        chain.droppedEvidence++;
    }
    chain.evidence.push(evidence);
    chain.evidence.sort((a, b) => orderRefs(evidenceRef(a.event), evidenceRef(b.event)));
    chain.updatedAt = nowMs;
    return true;
}

/**
 * Opens an (evidence-less) chain for an unusually started hollowing host that called out (`unusualHostEgress`):
 * classic hollowing writes through its creation handle, which Sysmon does not see, so the host's own behaviour may be
 * all there is.
 * Checked on the EID 1 and on the EID 3, so either order opens it; an existing chain is left as it is.
 */
function openChainForUnusualHostEgress(
    state: HostState,
    record: ProcessRecord,
    nowMs: number,
    config: CorrelationConfig,
): boolean {
    if (state.chains.has(record.guid) || unusualHostEgress(record, config) === undefined) return false;
    openChain(state, record.guid, nowMs);
    return true;
}

/**
 * An access that may be its source creating a child from unbacked code: kept on the source's chain as well, so one
 * finding per creator collects all such children (evaluate.ts decides once the child's EID 1 is known).
 */
function mayBeCreationFromUnbackedCode(event: ProcessAccessEvent, facts: StoredAccessFacts): boolean {
    return (
        event.sourceProcessGuid !== event.targetProcessGuid &&
        facts.allAccess &&
        facts.codeRights &&
        facts.originUnbacked &&
        !facts.managedRuntime
    );
}

/**
 * The process a command-line injection names by PID: the utility's own parent when the PID is its parent's, else the
 * latest process with that PID created before the utility; undefined when the host state knows none.
 */
function resolveInjectionTarget(state: HostState, event: ProcessCreateEvent, processId: number): string | undefined {
    if (event.parentProcessId === processId && event.parentProcessGuid !== undefined) return event.parentProcessGuid;
    let best: ProcessRecord | undefined;
    for (const record of state.processes.values()) {
        if (record.processId !== processId || record.createdMs === undefined || record.guid === event.processGuid)
            continue;
        if (record.createdMs > event.timeMs) continue;
        if (!best || record.createdMs > (best.createdMs as number)) best = record;
    }
    return best?.guid;
}

/**
 * Applies events to the state of their host (all events must belong to `state.host`), re-scores touched chains and
 * reports incident creations and updates. `nowMs` stamps records for wall-clock expiry.
 */
export function applyEvents(
    state: HostState,
    events: readonly SysmonEvent[],
    nowMs: number,
    config: CorrelationConfig,
): ApplyResult {
    const changed = new Set<string>();
    const touchedChains = new Set<string>();
    const allowed = new Set(config.allowedSourceImages.map((s) => s.toLowerCase()));
    const touchChain = (guid: string | undefined): void => {
        if (guid !== undefined && state.chains.has(guid)) touchedChains.add(guid);
    };

    for (const event of events) {
        switch (event.eventId) {
            case 1: {
                const record = processRecord(state, event.processGuid, nowMs);
                const ref = evidenceRef(event);
                if (record.created?.key !== ref.key) {
                    record.image = event.image;
                    record.processId = event.processId;
                    record.commandLine = cut(event.commandLine, MAX_STORED_COMMAND_LINE);
                    record.user = event.user;
                    record.parentGuid = event.parentProcessGuid;
                    record.parentImage = event.parentImage;
                    record.parentProcessId = event.parentProcessId;
                    record.createdMs = event.timeMs;
                    record.created = ref;
                    record.updatedAt = nowMs;
                    changed.add(stateKey.process(event.processGuid));
                    if (openChainForUnusualHostEgress(state, record, nowMs, config))
                        changed.add(stateKey.chain(record.guid));
                    touchChain(event.processGuid);
                }
                const asked = commandLineInjection(event);
                if (asked) {
                    // Filed under the target when the host state knows the PID, else under the utility itself.
                    const owner = resolveInjectionTarget(state, event, asked.targetProcessId) ?? event.processGuid;
                    if (addEvidence(state, owner, { event: compact(event) }, nowMs, config.maxEvidencePerChain)) {
                        changed.add(stateKey.chain(owner));
                        touchedChains.add(owner);
                    }
                }
                // A new child can decide its creator's finding (evaluate.ts, creatorFindingHits).
                touchChain(event.parentProcessGuid);
                if (event.parentProcessGuid !== undefined && isFollowUpChild(event.image)) {
                    const parent = processRecord(state, event.parentProcessGuid, nowMs);
                    const followUp: FollowUp = {
                        ...ref,
                        kind: 'child',
                        detail: `started ${baseName(event.image) || event.processGuid}`,
                    };
                    if (addFollowUp(parent, followUp)) {
                        parent.updatedAt = nowMs;
                        changed.add(stateKey.process(parent.guid));
                        touchChain(parent.guid);
                    }
                }
                break;
            }
            case 3: {
                const record = processRecord(state, event.processGuid, nowMs);
                const destination = event.destinationHostname ?? event.destinationIp ?? '?';
                const followUp: FollowUp = {
                    ...evidenceRef(event),
                    kind: 'network',
                    detail: `connected to ${destination}:${event.destinationPort ?? '?'}`,
                    ...(event.destinationPort !== undefined && { destinationPort: event.destinationPort }),
                };
                if (addFollowUp(record, followUp)) {
                    record.updatedAt = nowMs;
                    changed.add(stateKey.process(record.guid));
                    if (openChainForUnusualHostEgress(state, record, nowMs, config))
                        changed.add(stateKey.chain(record.guid));
                    touchChain(record.guid);
                }
                break;
            }
            case 7: {
                if (event.signed !== false) break;
                const record = processRecord(state, event.processGuid, nowMs);
                const followUp: FollowUp = {
                    ...evidenceRef(event),
                    kind: 'unsigned-image',
                    detail: `loaded unsigned ${event.imageLoaded ?? '?'}`,
                };
                if (addFollowUp(record, followUp)) {
                    record.updatedAt = nowMs;
                    changed.add(stateKey.process(record.guid));
                    touchChain(record.guid);
                }
                break;
            }
            case 5: {
                // Nothing to keep: a terminated process's evidence still stands, and records expire by time.
                break;
            }
            case 8: {
                if (!isThreadCandidate(event, allowed)) break;
                touchChain(event.sourceProcessGuid); // a command-line injection filed under the source may be shown now
                if (
                    addEvidence(
                        state,
                        event.targetProcessGuid,
                        { event: compact(event) },
                        nowMs,
                        config.maxEvidencePerChain,
                    )
                ) {
                    changed.add(stateKey.chain(event.targetProcessGuid));
                    touchedChains.add(event.targetProcessGuid);
                }
                break;
            }
            case 10: {
                if (!isAccessCandidate(event, allowed)) break;
                touchChain(event.sourceProcessGuid); // a command-line injection filed under the source may be shown now
                const evidence: Evidence = { event: compact(event), access: storedAccessFacts(event) };
                if (addEvidence(state, event.targetProcessGuid, evidence, nowMs, config.maxEvidencePerChain)) {
                    changed.add(stateKey.chain(event.targetProcessGuid));
                    touchedChains.add(event.targetProcessGuid);
                }
                if (
                    mayBeCreationFromUnbackedCode(event, evidence.access as StoredAccessFacts) &&
                    addEvidence(state, event.sourceProcessGuid, evidence, nowMs, config.maxEvidencePerChain)
                ) {
                    changed.add(stateKey.chain(event.sourceProcessGuid));
                    touchedChains.add(event.sourceProcessGuid);
                }
                break;
            }
            case 11: {
                if (!isExecutablePath(event.targetFilename)) break;
                const path = event.targetFilename.trim().toLowerCase();
                let file = state.files.get(path);
                if (!file) {
                    file = { path, writes: [], updatedAt: nowMs };
                    state.files.set(path, file);
                }
                const ref = evidenceRef(event);
                if (file.writes.some((w) => w.key === ref.key)) break;
                file.writes = [
                    ...file.writes,
                    {
                        ...ref,
                        writerGuid: event.processGuid,
                        ...(event.image !== undefined && { writerImage: event.image }),
                    },
                ]
                    .sort(orderRefs)
                    .slice(-4);
                file.updatedAt = nowMs;
                changed.add(stateKey.file(path));
                // A chain whose target runs this image may now have its image-written-before-start signal.
                for (const chain of state.chains.values()) {
                    if (state.processes.get(chain.targetGuid)?.image?.toLowerCase() === path)
                        touchedChains.add(chain.targetGuid);
                }
                break;
            }
            case 25: {
                if (
                    addEvidence(state, event.processGuid, { event: compact(event) }, nowMs, config.maxEvidencePerChain)
                ) {
                    changed.add(stateKey.chain(event.processGuid));
                    touchedChains.add(event.processGuid);
                }
                break;
            }
        }
    }

    // A creator's finding depends on whether its children became incidents of their own: re-score it with them.
    for (const guid of [...touchedChains]) {
        const creator = state.processes.get(guid)?.parentGuid;
        if (creator !== undefined && state.chains.has(creator)) touchedChains.add(creator);
    }
    const incidents: IncidentChange[] = [];
    for (const guid of [...touchedChains].sort()) {
        const chain = state.chains.get(guid) as ChainRecord;
        const change = rescore(state, chain, nowMs, config);
        if (change) {
            incidents.push(change);
            changed.add(stateKey.chain(guid));
        }
    }
    return { changed, incidents };
}

/** Re-scores one chain; returns the incident change when it crossed the threshold or its content changed. */
function rescore(
    state: HostState,
    chain: ChainRecord,
    nowMs: number,
    config: CorrelationConfig,
): IncidentChange | undefined {
    const evaluation = evaluateChain(chain, state, config);
    if (!evaluation.isIncident) return undefined;
    const fingerprint = hash53(
        JSON.stringify([
            evaluation.score,
            evaluation.technique,
            evaluation.injector,
            evaluation.target,
            evaluation.signals.map((s) => [s.name, s.key]),
        ]),
    );
    if (chain.incident?.fingerprint === fingerprint) return undefined;
    const now = new Date(nowMs).toISOString();
    // A chain rebuilt after its predecessor expired continues that incident's versions: the stores keep the highest
    // version of an id, so starting at 1 again would hide the new chain behind the old one.
    chain.incident = chain.incident
        ? { ...chain.incident, version: chain.incident.version + 1, fingerprint, updatedAt: now }
        : {
              id: incidentId(state.host, chain.targetGuid),
              version: (chain.earlier?.version ?? 0) + 1,
              fingerprint,
              createdAt: now,
              updatedAt: now,
          };
    chain.updatedAt = nowMs;
    return {
        id: chain.incident.id,
        version: chain.incident.version,
        host: state.host,
        targetGuid: chain.targetGuid,
        createdAt: chain.incident.createdAt,
        updatedAt: chain.incident.updatedAt,
        evaluation,
        ...(chain.earlier && {
            earlier: {
                expiredAt: new Date(chain.earlier.expiredAt).toISOString(),
                ...(chain.earlier.version !== undefined && { version: chain.earlier.version }),
            },
        }),
    };
}

/**
 * How long a tombstone is kept: long for a chain that had become an incident (its version must never restart), one
 * more pending window for a chain that had not (enough to say that late evidence missed it, without keeping a record
 * of every pending chain ever opened).
 */
function tombstoneRetentionMs(tombstone: ChainTombstone, config: CorrelationConfig): number {
    return tombstone.version !== undefined ? config.chainTombstoneRetentionMs : config.pendingRetentionMs;
}

/** What an expiry pass over one host's state removed and wrote. */
export interface ExpiryResult {
    /** Keys of records removed. */
    removed: Set<string>;
    /** Keys of records written (tombstones of the chains removed). */
    changed: Set<string>;
}

/**
 * Removes what has waited long enough (Table Storage has no TTL: a timer calls this): chains that never became an
 * incident and process and file records `pendingRetentionMs` after their last change, incident chains after
 * `incidentChainRetentionMs`, tombstones after `chainTombstoneRetentionMs`. Each chain removed leaves a tombstone
 * (its incident's id and last version), so a chain rebuilt on the same target continues at the next version.
 * Outbox entries are never expired here: they leave only once delivered.
 */
export function expireState(state: HostState, nowMs: number, config: CorrelationConfig): ExpiryResult {
    const removed = new Set<string>();
    const changed = new Set<string>();
    const pendingCutoff = nowMs - config.pendingRetentionMs;
    const incidentCutoff = nowMs - config.incidentChainRetentionMs;
    for (const [guid, chain] of state.chains) {
        if (
            (chain.incident && chain.updatedAt < incidentCutoff) ||
            (!chain.incident && chain.updatedAt < pendingCutoff)
        ) {
            state.chains.delete(guid);
            removed.add(stateKey.chain(guid));
            const previous = state.tombstones.get(guid);
            const version = Math.max(chain.incident?.version ?? 0, previous?.version ?? 0, chain.earlier?.version ?? 0);
            const incident = chain.incident?.id ?? previous?.incidentId ?? chain.earlier?.incidentId;
            state.tombstones.set(guid, {
                targetGuid: guid,
                expiredAt: nowMs,
                evidence: chain.evidence.length + chain.droppedEvidence,
                ...(incident !== undefined && { incidentId: incident }),
                ...(version > 0 && { version }),
                updatedAt: nowMs,
            });
            changed.add(stateKey.tombstone(guid));
        }
    }
    for (const [guid, record] of state.processes) {
        if (record.updatedAt < pendingCutoff && !state.chains.has(guid)) {
            state.processes.delete(guid);
            removed.add(stateKey.process(guid));
        }
    }
    for (const [path, file] of state.files) {
        if (file.updatedAt < pendingCutoff) {
            state.files.delete(path);
            removed.add(stateKey.file(path));
        }
    }
    for (const [guid, tombstone] of state.tombstones) {
        if (
            tombstone.updatedAt + tombstoneRetentionMs(tombstone, config) < nowMs &&
            !changed.has(stateKey.tombstone(guid))
        ) {
            state.tombstones.delete(guid);
            removed.add(stateKey.tombstone(guid));
        }
    }
    return { removed, changed };
}

/**
 * The earliest wall-clock ms at which something of this state may expire (undefined when nothing can): the
 * maintenance pass visits the host then and not before, so its cost follows what changed rather than fleet size.
 */
export function nextExpiryMs(state: HostState, config: CorrelationConfig): number | undefined {
    let due = Infinity;
    for (const chain of state.chains.values())
        due = Math.min(
            due,
            chain.updatedAt + (chain.incident ? config.incidentChainRetentionMs : config.pendingRetentionMs),
        );
    for (const record of state.processes.values()) due = Math.min(due, record.updatedAt + config.pendingRetentionMs);
    for (const file of state.files.values()) due = Math.min(due, file.updatedAt + config.pendingRetentionMs);
    for (const tombstone of state.tombstones.values())
        due = Math.min(due, tombstone.updatedAt + tombstoneRetentionMs(tombstone, config));
    return Number.isFinite(due) ? due + 1 : undefined;
}
