/**
 * @module Scores one chain from all of its evidence, whatever order it arrived in: the result is a pure function of
 * the evidence set and the host's process and file records, so replays, duplicates and reordering change nothing.
 *
 * What a chain does not catch (see also README, "Known gaps"): Sysmon has no event for WriteProcessMemory,
 * SetThreadContext or ResumeThread (detection-anchors.md §3.3), so classic hollowing is seen only through the
 * handles its creator opens (EID 10, which must be enabled for the targets), remote threads (EID 8) and EID 25.
 * Injection whose handle comes from a fully module-backed path and which starts no remote thread stays invisible.
 */
import { decodeProcessAccess } from '../decode/accessMask';
import type { CorrelationConfig, SignalName } from './config';
import { SIGNALS } from './config';
import { argumentsOf, baseName, isUnderWindows, isUserWritable, threadFacts } from './facts';
import type { ChainRecord, Evidence, EvidenceRef, FileRecord, FollowUp, HostState, ProcessRecord } from './state';
import { evidenceRef } from './state';

export type Technique = 'T1055' | 'T1055.001' | 'T1055.002' | 'T1055.003' | 'T1055.012';
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
}

const UNKNOWN_PROCESS = /^<unknown process>$/i;

function knownImage(image: string | undefined): string | undefined {
    return image === undefined || UNKNOWN_PROCESS.test(image.trim()) ? undefined : image;
}

/** Sigma proc_tampering_susp_process_hollowing filters Program Files and WMIADAP (detection-anchors.md §4.1). */
function isKnownBenignTampering(image: string | undefined): boolean {
    if (!image) return false;
    return (
        /:\\program files( \(x86\))?\\/i.test(image) ||
        /\\wbem\\wmiadap\.exe$/i.test(image) ||
        /<unknown process>/i.test(image)
    );
}

interface Context {
    target: ProcessRecord | undefined;
    file: FileRecord | undefined;
    config: CorrelationConfig;
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
    if (event.eventId === 8) {
        const thread = threadFacts(event);
        const who = `${baseName(event.sourceImage) || event.sourceProcessGuid}`;
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
    if (event.eventId !== 10 || !evidence.access) return hits;

    const facts = evidence.access;
    const who = baseName(event.sourceImage) || event.sourceProcessGuid;
    const mask = describeMask(event.grantedAccess);
    const target = context.target;
    const isCreator = target?.parentGuid !== undefined && target.parentGuid === event.sourceProcessGuid;
    const atCreation =
        isCreator &&
        facts.allAccess &&
        target?.createdMs !== undefined &&
        Math.abs(event.timeMs - target.createdMs) <= context.config.creationAccessWindowMs;
    const unbackedNotManaged = facts.originUnbacked && !facts.managedRuntime;
    const userWritableOrigin = facts.originModule !== undefined && isUserWritable(facts.originModule);

    // Sigma's BOF rule: exactly these masks with the three-frame stack.
    if (facts.bofPattern === true && (event.grantedAccess === 0x1028 || event.grantedAccess === 0x1fffff)) {
        hits.push(
            hit(
                'access-bof-injection-pattern',
                ref,
                `${who} opened it (${mask}) from a three-frame ntdll/KERNELBASE/unbacked stack`,
                event.sourceProcessGuid,
            ),
        );
    }
    if (facts.directSyscall && facts.codeRights) {
        hits.push(
            hit(
                'access-direct-syscall',
                ref,
                `${who} opened it (${mask}) with a system call issued outside ntdll`,
                event.sourceProcessGuid,
            ),
        );
    }
    if (isCreator) {
        if (unbackedNotManaged && facts.codeRights) {
            hits.push(
                hit(
                    'creator-access-from-unbacked-code',
                    ref,
                    `${who} opened its new child (${mask}) from unbacked code`,
                    event.sourceProcessGuid,
                ),
            );
        }
        if (atCreation && facts.nativeCaller) {
            hits.push(
                hit(
                    'native-process-creation',
                    ref,
                    `${who} created it from ${facts.nativeCaller} without CreateProcess`,
                    event.sourceProcessGuid,
                ),
            );
        }
        if (!atCreation && facts.codeRights) {
            hits.push(
                hit(
                    'creator-reopened-with-code-rights',
                    ref,
                    `${who} opened its child again with ${mask}`,
                    event.sourceProcessGuid,
                ),
            );
            if (userWritableOrigin) {
                hits.push(
                    hit(
                        'access-from-user-writable-module',
                        ref,
                        `the request came from ${facts.originModule ?? ''}`,
                        event.sourceProcessGuid,
                    ),
                );
            }
        }
        return withAccess(hits, event.grantedAccess);
    }
    if (facts.codeRights && unbackedNotManaged) {
        hits.push(
            hit(
                'third-party-access-from-unbacked-code',
                ref,
                `${who} opened it (${mask}) from unbacked code`,
                event.sourceProcessGuid,
            ),
        );
    }
    if (facts.codeRights && event.sourceImage !== undefined && !isUnderWindows(event.sourceImage)) {
        hits.push(
            hit('third-party-code-access', ref, `${event.sourceImage} opened it with ${mask}`, event.sourceProcessGuid),
        );
    }
    if (facts.codeRights && userWritableOrigin) {
        hits.push(
            hit(
                'access-from-user-writable-module',
                ref,
                `the request came from ${facts.originModule ?? ''}`,
                event.sourceProcessGuid,
            ),
        );
    }
    return withAccess(hits, event.grantedAccess);
}

function withAccess(hits: SignalHit[], grantedAccess: number): SignalHit[] {
    for (const h of hits) h.grantedAccess = grantedAccess;
    return hits;
}

/** Sigma net_connection_win_notepad excludes DestinationPort 9100: printing (detection-anchors.md §4.5). */
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
                    `${baseName(target.image)} started as ${JSON.stringify(target.commandLine ?? '')}`,
                ),
            );
        }
        if (unusual.unexpectedParent !== undefined) {
            hits.push(
                hit(
                    'hollowing-host-unexpected-parent',
                    target.created,
                    `${baseName(target.image)} started by ${unusual.unexpectedParent}`,
                ),
            );
        }
        egress = unusualHostEgress(target, context.config);
        if (egress) {
            // Its creator started it unusually: the creator is the suspected injector.
            hits.push(
                hit('hollowing-host-network', egress, `${baseName(target.image)} ${egress.detail}`, target.parentGuid),
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
                    `${baseName(write.writerImage) || write.writerGuid} wrote ${context.file.path} then started it`,
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

/**
 * Scores a chain. Each signal counts once (its first hit), the total is capped at 100; a chain is an incident when
 * it reaches the threshold with at least one primary signal.
 */
export function evaluateChain(chain: ChainRecord, state: HostState, config: CorrelationConfig): ChainEvaluation {
    const target = state.processes.get(chain.targetGuid);
    const file = target?.image ? state.files.get(target.image.toLowerCase()) : undefined;
    const context: Context = { target: target?.created ? target : undefined, file, config };

    const eventHits = chain.evidence.flatMap((evidence) => signalsOf(evidence, context)).sort(compareHits);
    const firstPrimary = eventHits.find((h) => SIGNALS[h.name].kind === 'primary');
    const hits = [...eventHits, ...contextSignals(context, firstPrimary?.timeMs)].sort(compareHits);

    // Into a credential store (lsass), a handle alone is what dumping tools open too: EID 10 signals do not make it
    // an injection incident by themselves (see `credentialStoreTargets`).
    const targetName = baseName(
        target?.image ??
            chain.evidence
                .map((e) => ('targetImage' in e.event ? e.event.targetImage : undefined))
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

    const injectorGuid = pickInjector(hits, target);
    const injector = describeInjector(injectorGuid, chain, state);
    const targetSummary = describeTarget(chain, target);
    const technique = techniqueOf(counted, injectorGuid, target, hits);
    const times = chain.evidence.map((e) => e.event.timeMs).concat(hits.map((h) => h.timeMs));
    const firstSeen = new Date(Math.min(...times)).toISOString();
    const lastSeen = new Date(Math.max(...times)).toISOString();
    const evaluation: ChainEvaluation = {
        score,
        isIncident: hasPrimary && score >= config.incidentThreshold,
        severity: severityOf(score, config),
        technique,
        injector,
        target: targetSummary,
        signals: hits,
        contributions,
        firstSeen,
        lastSeen,
        explanation: '',
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

function describeInjector(guid: string | undefined, chain: ChainRecord, state: HostState): ProcessSummary {
    if (guid === undefined) return { processGuid: '' };
    const record = state.processes.get(guid);
    // The image as the injector's own events give it, most telling evidence first (an EID 8 over an EID 10: the
    // EID 10 of one recording carries a corrupted SourceImage).
    let image = knownImage(record?.image);
    let processId = record?.processId;
    for (const evidence of [...chain.evidence].sort(
        (a, b) => b.event.eventId - a.event.eventId || a.event.timeMs - b.event.timeMs,
    )) {
        const event = evidence.event;
        if ((event.eventId === 8 || event.eventId === 10) && event.sourceProcessGuid === guid) {
            image ??= knownImage(event.sourceImage);
            processId ??= event.sourceProcessId;
        }
    }
    const target = state.processes.get(chain.targetGuid);
    if (target?.parentGuid === guid) {
        image ??= knownImage(target.parentImage);
        processId ??= target.parentProcessId;
    }
    return {
        processGuid: guid,
        ...(image !== undefined && { image }),
        ...(processId !== undefined && { processId }),
        ...(record?.commandLine !== undefined && { commandLine: record.commandLine }),
        ...creationTimeOf(record),
    };
}

function describeTarget(chain: ChainRecord, target: ProcessRecord | undefined): ProcessSummary {
    let image = knownImage(target?.image);
    let processId = target?.processId;
    for (const { event } of chain.evidence) {
        if (event.eventId === 8 || event.eventId === 10) {
            image ??= knownImage(event.targetImage);
            processId ??= event.targetProcessId;
        } else if (event.eventId === 25) {
            image ??= knownImage(event.image);
            processId ??= event.processId;
        }
    }
    return {
        processGuid: chain.targetGuid,
        ...(image !== undefined && { image }),
        ...(processId !== undefined && { processId }),
        ...(target?.commandLine !== undefined && { commandLine: target.commandLine }),
        ...creationTimeOf(target),
    };
}

/**
 * ATT&CK technique (attack.mitre.org/techniques/T1055): .012 when the injector created the target (process
 * hollowing) or Sysmon saw the image replaced; plain T1055 for image tampering (herpaderping has no sub-technique);
 * .001 for a DLL started by a remote thread; .002 for code started from unbacked memory; T1055 otherwise.
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
    const injectorActed = hits.some((h) => h.actorGuid === injectorGuid && SIGNALS[h.name].kind === 'primary');
    if (injectorCreatedTarget && injectorActed) return 'T1055.012';
    if (counted.has('remote-thread-loadlibrary') || counted.has('remote-thread-foreign-module')) return 'T1055.001';
    if (counted.has('remote-thread-unbacked')) return 'T1055.002';
    return 'T1055';
}

const TECHNIQUE_NAMES: Record<Technique, string> = {
    T1055: 'Process Injection',
    'T1055.001': 'Process Injection: Dynamic-link Library Injection',
    'T1055.002': 'Process Injection: Portable Executable Injection',
    'T1055.003': 'Process Injection: Thread Execution Hijacking',
    'T1055.012': 'Process Injection: Process Hollowing',
};

export function techniqueName(technique: Technique): string {
    return TECHNIQUE_NAMES[technique];
}

function explain(evaluation: ChainEvaluation): string {
    const injector = baseName(evaluation.injector.image) || evaluation.injector.processGuid || 'an unknown process';
    const target = baseName(evaluation.target.image) || evaluation.target.processGuid;
    const parts = evaluation.contributions.map((c) => `${SIGNALS[c.signal].summary} (+${c.points})`);
    const verdict = evaluation.isIncident
        ? `${evaluation.technique} ${techniqueName(evaluation.technique)}`
        : 'below the incident threshold';
    return `${injector} -> ${target}: ${verdict}, score ${evaluation.score}. Evidence: ${parts.join('; ')}.`;
}
