/**
 * @module Scores one chain from all of its evidence, whatever order it arrived in: the result is a pure function of
 * the evidence set and the host's process and file records, so replays, duplicates and reordering change nothing.
 *
 * A chain is about one process, its owner. Evidence on the owner's side (a thread started in it, a write handle to
 * it, its image replaced, it started unusually, it calling out) can make it the victim of an injection. Evidence
 * about the owner's own code (it started children from unbacked code) makes it a finding of its own: the process
 * runs code no file backs (T1620), raised once per process, however many children it starts.
 *
 * What a chain does not catch (see also README, "Known gaps"): Sysmon has no event for WriteProcessMemory,
 * SetThreadContext or ResumeThread (docs/detection.md), so classic hollowing is seen only through the handles its
 * creator opens (EID 10, which must be enabled for the targets), remote threads (EID 8) and EID 25. Injection whose
 * handle comes from a fully module-backed path and which starts no remote thread stays invisible.
 */
import { decodeProcessAccess } from '../decode/accessMask';
import type { CorrelationConfig, SignalName } from './config';
import { SIGNALS } from './config';
import { argumentsOf, baseName, commandLineInjection, isUnderWindows, isUserWritable, threadFacts } from './facts';
import type { ImageCandidate } from './imageNames';
import { isUnknownProcess, resolveImage } from './imageNames';
import type { ChainRecord, Evidence, EvidenceRef, FileRecord, FollowUp, HostState, ProcessRecord } from './state';
import { evidenceRef } from './state';

export type Technique = 'T1055' | 'T1055.001' | 'T1055.002' | 'T1055.003' | 'T1055.012' | 'T1620';
export type Severity = 'High' | 'Medium' | 'Low';

export interface SignalHit extends EvidenceRef {
    name: SignalName;
    /** Points this hit adds: the first hit of each signal counts, repeats add 0. */
    points: number;
    detail: string;
    /** The process that did it (injector candidate), when the event names one. */
    actorGuid?: string;
    /** The GrantedAccess of an EID 10 hit, for decoding in answers. */
    grantedAccess?: number;
    /**
     * The hit comes from the creation handle the creator always gets, so it describes the creator's code, not
     * anything done to the chain's process.
     */
    onCreator?: boolean;
}

export interface ProcessSummary {
    image?: string;
    processGuid: string;
    processId?: number;
    commandLine?: string;
    /** UTC time of the process's creation event (Sysmon EID 1), when it was seen. */
    creationTime?: string;
}

/** The creation time of a process whose EID 1 was seen, as ISO 8601 UTC. */
function creationTimeOf(record: ProcessRecord | undefined): { creationTime: string } | undefined {
    return record?.createdMs === undefined ? undefined : { creationTime: new Date(record.createdMs).toISOString() };
}

export interface ChainEvaluation {
    score: number;
    isIncident: boolean;
    severity: Severity;
    technique: Technique;
    injector: ProcessSummary;
    target: ProcessSummary;
    signals: SignalHit[];
    contributions: { signal: SignalName; points: number }[];
    firstSeen: string;
    lastSeen: string;
    explanation: string;
    /** What the incident should say besides its signals: image names corrected across a process's events. */
    notes: string[];
}

/**
 * Sigma proc_tampering_susp_process_hollowing (c4b890e5-8d8c-4496-8c66-c805753817cd) filters Program Files and
 * WMIADAP; an image Sysmon could not name is not evidence either.
 */
function isKnownBenignTampering(image: string | undefined): boolean {
    if (!image) return false;
    return (
        /:\\program files( \(x86\))?\\/i.test(image) || /\\wbem\\wmiadap\.exe$/i.test(image) || isUnknownProcess(image)
    );
}

interface Context {
    /** The process the chain is about. */
    owner: string;
    state: HostState;
    target: ProcessRecord | undefined;
    file: FileRecord | undefined;
    config: CorrelationConfig;
    /** The image of a process by GUID as its events agree on it (`imageNames.ts`), else the fallback. */
    imageOf: (guid: string | undefined, fallback: string | undefined) => string | undefined;
    /** Lower-case base name of `imageOf`, or the GUID. */
    nameOf: (guid: string | undefined, fallback: string | undefined) => string;
}

function hit(name: SignalName, evidence: EvidenceRef, detail: string, actorGuid?: string): SignalHit {
    return { ...evidence, name, points: 0, detail, ...(actorGuid !== undefined && { actorGuid }) };
}

function describeMask(mask: number): string {
    const decoded = decodeProcessAccess(mask);
    return `${decoded.hex}${decoded.allAccess ? ` (${decoded.allAccess})` : ` (${decoded.rights.join('|')})`}`;
}

/** The signals one evidence event raises, given what is known about the target. */
function signalsOf(evidence: Evidence, context: Context): SignalHit[] {
    const event = evidence.event;
    const ref = evidenceRef(event);
    const hits: SignalHit[] = [];
    if (event.eventId === 1) {
        const asked = commandLineInjection(event);
        // Filed under the utility itself, the PID matched no known process; when the utility's own thread or handle
        // into that PID is in the state, that chain shows the injection and names the target (no second incident).
        const seenDirectly =
            asked !== undefined &&
            event.processGuid === context.owner &&
            [...context.state.chains.values()].some(
                (chain) =>
                    chain.targetGuid !== context.owner &&
                    chain.evidence.some(
                        ({ event: e }) =>
                            (e.eventId === 8 || e.eventId === 10) &&
                            e.sourceProcessGuid === event.processGuid &&
                            (e.targetProcessId === undefined || e.targetProcessId === asked.targetProcessId),
                    ),
            );
        if (asked && !seenDirectly) {
            const who = context.nameOf(event.processGuid, event.image);
            hits.push(
                hit(
                    'command-line-injection',
                    ref,
                    `${who} was started to load ${asked.dll} into process ${asked.targetProcessId}`,
                    event.processGuid,
                ),
            );
        }
        return hits;
    }
    if (event.eventId === 8) {
        const thread = threadFacts(event);
        const who = context.nameOf(event.sourceProcessGuid, event.sourceImage);
        if (thread.unbacked) {
            hits.push(
                hit(
                    'remote-thread-unbacked',
                    ref,
                    `${who} started a thread at ${event.startAddress ?? 'an address'} outside any module`,
                    event.sourceProcessGuid,
                ),
            );
        } else if (thread.loadLibrary) {
            hits.push(
                hit(
                    'remote-thread-loadlibrary',
                    ref,
                    `${who} started a thread at ${event.startFunction ?? 'LoadLibrary'} in ${event.startModule ?? '?'}`,
                    event.sourceProcessGuid,
                ),
            );
        } else if (thread.foreignModule) {
            hits.push(
                hit(
                    'remote-thread-foreign-module',
                    ref,
                    `${who} started a thread in ${thread.foreignModule}${event.startFunction ? ` (${event.startFunction})` : ''}`,
                    event.sourceProcessGuid,
                ),
            );
        }
        return hits;
    }
    if (event.eventId === 25) {
        if (isKnownBenignTampering(event.image ?? context.target?.image)) return hits;
        if (/image is replaced/i.test(event.type ?? ''))
            hits.push(hit('image-replaced', ref, `EID 25: ${event.type ?? ''}`));
        else if (/locked/i.test(event.type ?? '')) hits.push(hit('image-locked', ref, `EID 25: ${event.type ?? ''}`));
        return hits;
    }
    // An access by the owner to another process is the owner's own evidence (`creatorFindingHits`).
    if (event.eventId !== 10 || !evidence.access || event.targetProcessGuid !== context.owner) return hits;

    const facts = evidence.access;
    const who = context.nameOf(event.sourceProcessGuid, event.sourceImage);
    const mask = describeMask(event.grantedAccess);
    // Every signal of an access is the doing of its source process.
    const bySource = (name: SignalName, detail: string): SignalHit => hit(name, ref, detail, event.sourceProcessGuid);
    const fromUserWritableModule = (): SignalHit =>
        bySource('access-from-user-writable-module', `the request came from ${facts.originModule ?? ''}`);
    const target = context.target;
    const isCreator = target?.parentGuid !== undefined && target.parentGuid === event.sourceProcessGuid;
    const atCreation =
        isCreator &&
        facts.allAccess &&
        target?.createdMs !== undefined &&
        Math.abs(event.timeMs - target.createdMs) <= context.config.creationAccessWindowMs;
    const unbackedNotManaged = facts.originUnbacked && !facts.managedRuntime;
    const userWritableOrigin = facts.originModule !== undefined && isUserWritable(facts.originModule);
    // The handle every creator gets: what its call trace shows is the creator's code (except that a creation without
    // CreateProcess builds the child from a section, which is about the child).
    const markCreator = (list: SignalHit[]): SignalHit[] => {
        if (atCreation) for (const h of list) if (h.name !== 'native-process-creation') h.onCreator = true;
        return list;
    };

    // Sigma's BOF rule: exactly these masks with the three-frame stack.
    if (facts.bofPattern === true && (event.grantedAccess === 0x1028 || event.grantedAccess === 0x1fffff)) {
        hits.push(
            bySource(
                'access-bof-injection-pattern',
                `${who} opened it (${mask}) from a three-frame ntdll/KERNELBASE/unbacked stack`,
            ),
        );
    }
    if (facts.directSyscall && facts.codeRights) {
        hits.push(
            bySource('access-direct-syscall', `${who} opened it (${mask}) with a system call issued outside ntdll`),
        );
    }
    if (isCreator) {
        if (unbackedNotManaged && facts.codeRights) {
            hits.push(
                bySource(
                    'creator-access-from-unbacked-code',
                    `${who} opened its new child (${mask}) from unbacked code`,
                ),
            );
        }
        if (atCreation && facts.nativeCaller) {
            hits.push(
                bySource(
                    'native-process-creation',
                    `${who} created it from ${facts.nativeCaller} without CreateProcess`,
                ),
            );
        }
        if (!atCreation && facts.codeRights) {
            hits.push(bySource('creator-reopened-with-code-rights', `${who} opened its child again with ${mask}`));
            if (userWritableOrigin) {
                hits.push(fromUserWritableModule());
            }
        }
        return withAccess(markCreator(hits), event.grantedAccess);
    }
    if (facts.codeRights && unbackedNotManaged) {
        hits.push(bySource('third-party-access-from-unbacked-code', `${who} opened it (${mask}) from unbacked code`));
    }
    const sourceImage = context.imageOf(event.sourceProcessGuid, event.sourceImage);
    if (facts.codeRights && sourceImage !== undefined && !isUnderWindows(sourceImage)) {
        hits.push(bySource('third-party-code-access', `${who} opened it with ${mask}`));
    }
    if (facts.codeRights && userWritableOrigin) {
        hits.push(fromUserWritableModule());
    }
    return withAccess(hits, event.grantedAccess);
}

function withAccess(hits: SignalHit[], grantedAccess: number): SignalHit[] {
    for (const h of hits) h.grantedAccess = grantedAccess;
    return hits;
}

/** Sigma net_connection_win_notepad excludes DestinationPort 9100: printing. */
const PRINTING_PORT = 9100;

/** How a usual hollowing host (config `hollowingHosts`) was started out of the ordinary, if it was. */
interface UnusualStart {
    withoutArguments: boolean;
    /** The creator's base name, when the host has expected parents and this is not one of them. */
    unexpectedParent?: string;
}

function unusualStart(target: ProcessRecord, config: CorrelationConfig): UnusualStart | undefined {
    const host = config.hollowingHosts[baseName(target.image)];
    if (!target.created || !host) return undefined;
    const args = argumentsOf(target.commandLine);
    const withoutArguments = host.requiresArguments ? !host.requiresArguments.test(` ${args} `) : args === '';
    const parent = baseName(target.parentImage);
    const unexpectedParent =
        host.expectedParents && parent !== '' && !host.expectedParents.includes(parent) ? parent : undefined;
    if (!withoutArguments && unexpectedParent === undefined) return undefined;
    return { withoutArguments, ...(unexpectedParent !== undefined && { unexpectedParent }) };
}

/**
 * The first connection a usual hollowing host from the Windows folders made within the follow-up window of an
 * unusual start, by a creator that is not allow-listed; printing excluded. A same-named binary elsewhere is another
 * program (the Store's Notepad lives in Program Files\WindowsApps).
 */
export function unusualHostEgress(target: ProcessRecord, config: CorrelationConfig): FollowUp | undefined {
    if (
        target.createdMs === undefined ||
        target.image === undefined ||
        !isUnderWindows(target.image) ||
        !unusualStart(target, config)
    )
        return undefined;
    const creator = baseName(target.parentImage);
    if (config.allowedSourceImages.some((allowed) => allowed.toLowerCase() === creator)) return undefined;
    const from = target.createdMs;
    const until = from + config.followUpWindowMs;
    return target.followUps.find(
        (f) => f.kind === 'network' && f.destinationPort !== PRINTING_PORT && f.timeMs >= from && f.timeMs <= until,
    );
}

/** Signals that come from the target's own records rather than from one evidence event. */
function contextSignals(context: Context, firstEventPrimaryMs: number | undefined): SignalHit[] {
    const hits: SignalHit[] = [];
    const target = context.target;
    if (!target?.created) return hits;
    let firstPrimaryMs = firstEventPrimaryMs;
    let egress: FollowUp | undefined;
    const unusual = unusualStart(target, context.config);
    if (unusual) {
        if (unusual.withoutArguments) {
            hits.push(
                hit(
                    'hollowing-host-without-arguments',
                    target.created,
                    `${context.nameOf(target.guid, target.image)} started as ${JSON.stringify(target.commandLine ?? '')}`,
                ),
            );
        }
        if (unusual.unexpectedParent !== undefined) {
            hits.push(
                hit(
                    'hollowing-host-unexpected-parent',
                    target.created,
                    `${context.nameOf(target.guid, target.image)} started by ${unusual.unexpectedParent}`,
                ),
            );
        }
        egress = unusualHostEgress(target, context.config);
        if (egress) {
            // Its creator started it unusually: the creator is the suspected injector.
            hits.push(
                hit(
                    'hollowing-host-network',
                    egress,
                    `${context.nameOf(target.guid, target.image)} ${egress.detail}`,
                    target.parentGuid,
                ),
            );
            firstPrimaryMs = Math.min(firstPrimaryMs ?? egress.timeMs, egress.timeMs);
        }
    }
    if (context.file && target.parentGuid && target.createdMs !== undefined) {
        const write = context.file.writes.find(
            (w) =>
                w.writerGuid === target.parentGuid &&
                w.timeMs <= target.createdMs! + 1_000 &&
                target.createdMs! - w.timeMs <= context.config.imageWriteWindowMs,
        );
        if (write)
            hits.push(
                hit(
                    'image-written-before-start',
                    write,
                    `${context.nameOf(write.writerGuid, write.writerImage)} wrote ${context.file.path} then started it`,
                    write.writerGuid,
                ),
            );
    }
    if (firstPrimaryMs !== undefined) {
        const until = firstPrimaryMs + context.config.followUpWindowMs;
        const kinds = {
            network: 'follow-up-network',
            child: 'follow-up-child-process',
            'unsigned-image': 'follow-up-unsigned-image',
        } as const;
        for (const followUp of target.followUps) {
            if (followUp.timeMs < firstPrimaryMs || followUp.timeMs > until || followUp.key === egress?.key) continue;
            hits.push(hit(kinds[followUp.kind], followUp, followUp.detail));
        }
    }
    return hits;
}

function compareHits(a: SignalHit, b: SignalHit): number {
    return (
        a.timeMs - b.timeMs ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    );
}

/** Sentinel severities (learn.microsoft.com, SecurityIncident table: High, Medium, Low, Informational). */
function severityOf(score: number, config: CorrelationConfig): Severity {
    return score >= config.severity.high ? 'High' : score >= config.severity.medium ? 'Medium' : 'Low';
}

/** Whether a hit is evidence on the side of the chain's own process (see `SignalDefinition.side`). */
function isVictimEvidence(h: SignalHit): boolean {
    return SIGNALS[h.name].side === 'victim' && h.onCreator !== true;
}

/**
 * The owner started children from unbacked code: one `process-created-from-unbacked-code` hit per such child, unless
 * the child is an incident of its own (then that incident names the owner as the injector and shows the same handle).
 */
function creatorFindingHits(chain: ChainRecord, state: HostState, context: Context): SignalHit[] {
    const hits: SignalHit[] = [];
    for (const evidence of chain.evidence) {
        const event = evidence.event;
        if (event.eventId !== 10 || event.sourceProcessGuid !== chain.targetGuid) continue;
        if (event.targetProcessGuid === chain.targetGuid) continue;
        const facts = evidence.access;
        const child = state.processes.get(event.targetProcessGuid);
        if (
            !facts ||
            !facts.codeRights ||
            !facts.allAccess ||
            !facts.originUnbacked ||
            facts.managedRuntime ||
            child?.created === undefined ||
            child.parentGuid !== chain.targetGuid ||
            child.createdMs === undefined ||
            Math.abs(event.timeMs - child.createdMs) > context.config.creationAccessWindowMs
        )
            continue;
        const childChain = state.chains.get(child.guid);
        if (childChain && evaluate(childChain, state, context.config, false).isIncident) continue;
        const childName = context.nameOf(child.guid, child.image);
        const creator = context.nameOf(chain.targetGuid, event.sourceImage);
        const commandLine = JSON.stringify(child.commandLine ?? '');
        hits.push({
            ...hit(
                'process-created-from-unbacked-code',
                evidenceRef(event),
                `${creator} started ${childName} (${commandLine}) from code in memory no module backs`,
                chain.targetGuid,
            ),
            grantedAccess: event.grantedAccess,
        });
    }
    return hits;
}

/** The image candidates the state and the chain's evidence give for each process GUID. */
function imageCandidates(chain: ChainRecord, state: HostState): Map<string, ImageCandidate[]> {
    const byGuid = new Map<string, ImageCandidate[]>();
    const add = (guid: string | undefined, image: string | undefined, rank: number): void => {
        if (guid === undefined || image === undefined) return;
        const list = byGuid.get(guid) ?? [];
        list.push({ image, rank });
        byGuid.set(guid, list);
    };
    const guids = new Set<string>([chain.targetGuid]);
    for (const { event } of chain.evidence) {
        if (event.eventId === 8 || event.eventId === 10) {
            const rank = event.eventId === 8 ? 1 : 2;
            add(event.sourceProcessGuid, event.sourceImage, rank);
            add(event.targetProcessGuid, event.targetImage, rank);
            guids.add(event.sourceProcessGuid).add(event.targetProcessGuid);
        } else if (event.eventId === 25) {
            add(event.processGuid, event.image, 3);
        } else if (event.eventId === 1) {
            add(event.processGuid, event.image, 0);
            add(event.parentProcessGuid, event.parentImage, 3);
            guids.add(event.processGuid);
        }
    }
    const owner = state.processes.get(chain.targetGuid);
    if (owner?.parentGuid !== undefined) guids.add(owner.parentGuid);
    for (const guid of guids) {
        const record = state.processes.get(guid);
        if (record?.created) add(guid, record.image, 0);
        if (record?.parentGuid !== undefined) add(record.parentGuid, record.parentImage, 3);
    }
    return byGuid;
}

/**
 * Scores a chain. Each signal counts once (its first hit), the total is capped at 100. A chain is an incident when
 * it reaches the threshold with at least one primary signal and either evidence on its own process's side or the
 * finding that its process runs unbacked code.
 */
export function evaluateChain(chain: ChainRecord, state: HostState, config: CorrelationConfig): ChainEvaluation {
    return evaluate(chain, state, config, true);
}

function evaluate(
    chain: ChainRecord,
    state: HostState,
    config: CorrelationConfig,
    withCreatorFinding: boolean,
): ChainEvaluation {
    const target = state.processes.get(chain.targetGuid);
    const file = target?.image ? state.files.get(target.image.toLowerCase()) : undefined;
    const candidates = imageCandidates(chain, state);
    const resolved = new Map<string, ReturnType<typeof resolveImage>>();
    const resolvedImage = (guid: string | undefined): ReturnType<typeof resolveImage> => {
        if (guid === undefined) return undefined;
        if (!resolved.has(guid)) resolved.set(guid, resolveImage(candidates.get(guid) ?? []));
        return resolved.get(guid);
    };
    const context: Context = {
        owner: chain.targetGuid,
        state,
        target: target?.created ? target : undefined,
        file,
        config,
        imageOf: (guid, fallback) =>
            resolvedImage(guid)?.image ??
            (fallback !== undefined && !isUnknownProcess(fallback) ? fallback : undefined),
        nameOf: (guid, fallback) => baseName(context.imageOf(guid, fallback)) || guid || '?',
    };

    const eventHits = chain.evidence
        .flatMap((evidence) => signalsOf(evidence, context))
        .concat(withCreatorFinding ? creatorFindingHits(chain, state, context) : [])
        .sort(compareHits);
    const firstPrimary = eventHits.find((h) => SIGNALS[h.name].kind === 'primary');
    const hits = [...eventHits, ...contextSignals(context, firstPrimary?.timeMs)].sort(compareHits);

    // Into a credential store (lsass), a handle alone is what dumping tools open too: EID 10 signals do not make it
    // an injection incident by themselves (see `credentialStoreTargets`).
    const targetName = baseName(
        target?.image ??
            chain.evidence
                .map((e) => (e.event.eventId === 8 || e.event.eventId === 10 ? e.event.targetImage : undefined))
                .find((i) => i !== undefined),
    );
    const accessOnlyIsContext = config.credentialStoreTargets.includes(targetName);
    const isPrimary = (h: SignalHit): boolean =>
        SIGNALS[h.name].kind === 'primary' && !(accessOnlyIsContext && h.eventId === 10);

    const counted = new Set<SignalName>();
    const contributions: { signal: SignalName; points: number }[] = [];
    for (const h of hits) {
        if (counted.has(h.name)) continue;
        counted.add(h.name);
        h.points = SIGNALS[h.name].points;
        contributions.push({ signal: h.name, points: h.points });
    }
    const score = Math.min(
        100,
        contributions.reduce((sum, c) => sum + c.points, 0),
    );
    const hasPrimary = hits.some(isPrimary);
    const onOwnSide = hits.some((h) => isVictimEvidence(h) || h.name === 'process-created-from-unbacked-code');

    const injectorGuid = pickInjector(hits, target);
    const notes: string[] = [];
    const injector = describeInjector(injectorGuid, chain, state, resolvedImage(injectorGuid), notes);
    const targetSummary = describeTarget(chain, target, resolvedImage(chain.targetGuid), notes);
    const technique = techniqueOf(counted, injectorGuid, target, hits);
    const severity = severityOf(score, config);
    const times = chain.evidence.map((e) => e.event.timeMs).concat(hits.map((h) => h.timeMs));
    const firstSeen = new Date(Math.min(...times)).toISOString();
    const lastSeen = new Date(Math.max(...times)).toISOString();
    const evaluation: ChainEvaluation = {
        score,
        isIncident: hasPrimary && onOwnSide && score >= config.incidentThreshold,
        // A process running unbacked code is a lead, not a proven injection: at most Medium.
        severity: technique === 'T1620' && severity === 'High' ? 'Medium' : severity,
        technique,
        injector,
        target: targetSummary,
        signals: hits,
        contributions,
        firstSeen,
        lastSeen,
        explanation: '',
        notes,
    };
    evaluation.explanation = explain(evaluation);
    return evaluation;
}

/** The actor with the most points among the hits; EID 25 alone names none, so the target's creator stands in. */
function pickInjector(hits: readonly SignalHit[], target: ProcessRecord | undefined): string | undefined {
    const totals = new Map<string, number>();
    for (const h of hits) {
        if (h.actorGuid === undefined) continue;
        totals.set(h.actorGuid, (totals.get(h.actorGuid) ?? 0) + SIGNALS[h.name].points);
    }
    let best: string | undefined;
    let bestPoints = -1;
    for (const [guid, points] of totals) {
        if (points > bestPoints || (points === bestPoints && best !== undefined && guid < best)) {
            best = guid;
            bestPoints = points;
        }
    }
    return best ?? target?.parentGuid;
}

function noteCorrection(
    role: string,
    image: ReturnType<typeof resolveImage>,
    processId: number | undefined,
    notes: string[],
): void {
    if (!image || image.corrected.length === 0) return;
    notes.push(
        `${role} image corrected: some of its events gave ${image.corrected.map((c) => JSON.stringify(c)).join(', ')}; ` +
            `named ${image.image}${processId !== undefined ? ` (pid ${processId})` : ''} by agreement across its events`,
    );
}

function describeInjector(
    guid: string | undefined,
    chain: ChainRecord,
    state: HostState,
    resolved: ReturnType<typeof resolveImage>,
    notes: string[],
): ProcessSummary {
    if (guid === undefined) return { processGuid: '' };
    const record = state.processes.get(guid);
    const image = resolved?.image;
    let processId = record?.processId;
    for (const evidence of [...chain.evidence].sort(
        (a, b) => b.event.eventId - a.event.eventId || a.event.timeMs - b.event.timeMs,
    )) {
        const event = evidence.event;
        if ((event.eventId === 8 || event.eventId === 10) && event.sourceProcessGuid === guid)
            processId ??= event.sourceProcessId;
        else if (event.eventId === 1 && event.processGuid === guid) processId ??= event.processId;
    }
    const target = state.processes.get(chain.targetGuid);
    if (target?.parentGuid === guid) processId ??= target.parentProcessId;
    if (guid !== chain.targetGuid) noteCorrection('Injector', resolved, processId, notes);
    return {
        processGuid: guid,
        ...(image !== undefined && { image }),
        ...(processId !== undefined && { processId }),
        ...(record?.commandLine !== undefined && { commandLine: record.commandLine }),
        ...creationTimeOf(record),
    };
}

function describeTarget(
    chain: ChainRecord,
    target: ProcessRecord | undefined,
    resolved: ReturnType<typeof resolveImage>,
    notes: string[],
): ProcessSummary {
    // A command-line injection whose PID matched no known process is filed under the utility: name the PID.
    const unresolved = chain.evidence.find(
        ({ event }) => event.eventId === 1 && event.processGuid === chain.targetGuid && commandLineInjection(event),
    )?.event;
    if (unresolved?.eventId === 1) {
        const asked = commandLineInjection(unresolved)!;
        return { processGuid: '', processId: asked.targetProcessId };
    }
    const image = resolved?.image;
    let processId = target?.processId;
    for (const { event } of chain.evidence) {
        if ((event.eventId === 8 || event.eventId === 10) && event.targetProcessGuid === chain.targetGuid)
            processId ??= event.targetProcessId;
        else if (event.eventId === 25) processId ??= event.processId;
    }
    noteCorrection(chain.evidence.length > 0 ? 'Target' : 'Process', resolved, processId, notes);
    return {
        processGuid: chain.targetGuid,
        ...(image !== undefined && { image }),
        ...(processId !== undefined && { processId }),
        ...(target?.commandLine !== undefined && { commandLine: target.commandLine }),
        ...creationTimeOf(target),
    };
}

// Evidence consistent with hollowing by the creator: it reopened its child with code rights, or the child is a usual
// hollowing host it started unusually (rule 5 of docs/detection.md, "Technique attribution").
const HOLLOWING_EVIDENCE: readonly SignalName[] = [
    'creator-reopened-with-code-rights',
    'hollowing-host-without-arguments',
    'hollowing-host-unexpected-parent',
    'hollowing-host-network',
];

/**
 * ATT&CK technique (attack.mitre.org/techniques/T1055): .012 when Sysmon saw the image replaced, or when the injector
 * created the target and there is evidence consistent with hollowing (`HOLLOWING_EVIDENCE`); plain T1055 for image
 * tampering (herpaderping has no sub-technique); .001 for a DLL started by a remote thread or asked for on a command
 * line; .002 for code started from unbacked memory; T1620 when the only primary evidence is that the process itself
 * runs unbacked code; T1055 otherwise. Spawning a child and starting a thread in it is not hollowing by itself.
 */
function techniqueOf(
    counted: ReadonlySet<SignalName>,
    injectorGuid: string | undefined,
    target: ProcessRecord | undefined,
    hits: readonly SignalHit[],
): Technique {
    if (counted.has('image-replaced')) return 'T1055.012';
    if (counted.has('native-process-creation') || counted.has('image-locked')) return 'T1055';
    const injectorCreatedTarget = injectorGuid !== undefined && target?.parentGuid === injectorGuid;
    if (injectorCreatedTarget && HOLLOWING_EVIDENCE.some((name) => counted.has(name))) return 'T1055.012';
    if (
        counted.has('remote-thread-loadlibrary') ||
        counted.has('remote-thread-foreign-module') ||
        counted.has('command-line-injection')
    )
        return 'T1055.001';
    if (counted.has('remote-thread-unbacked')) return 'T1055.002';
    const primaries = hits.filter((h) => SIGNALS[h.name].kind === 'primary');
    if (primaries.length > 0 && primaries.every((h) => h.name === 'process-created-from-unbacked-code')) return 'T1620';
    return 'T1055';
}

const TECHNIQUE_NAMES: Record<Technique, string> = {
    T1055: 'Process Injection',
    'T1055.001': 'Process Injection: Dynamic-link Library Injection',
    'T1055.002': 'Process Injection: Portable Executable Injection',
    'T1055.003': 'Process Injection: Thread Execution Hijacking',
    'T1055.012': 'Process Injection: Process Hollowing',
    T1620: 'Reflective Code Loading',
};

export function techniqueName(technique: Technique): string {
    return TECHNIQUE_NAMES[technique];
}

function explain(evaluation: ChainEvaluation): string {
    const injector = baseName(evaluation.injector.image) || evaluation.injector.processGuid || 'an unknown process';
    const target =
        baseName(evaluation.target.image) ||
        evaluation.target.processGuid ||
        (evaluation.target.processId !== undefined ? `process ${evaluation.target.processId}` : '?');
    const parts = evaluation.contributions.map((c) => `${SIGNALS[c.signal].summary} (+${c.points})`);
    const verdict = evaluation.isIncident
        ? `${evaluation.technique} ${techniqueName(evaluation.technique)}`
        : 'below the incident threshold';
    const notes = evaluation.notes.length > 0 ? ` Note: ${evaluation.notes.join('; ')}.` : '';
    return `${injector} -> ${target}: ${verdict}, score ${evaluation.score}. Evidence: ${parts.join('; ')}.${notes}`;
}
