/**
 * @module The incident hollowtrace publishes for a chain, and its projections (replay JSON, one-line summaries).
 */
import type { SignalName } from './config';
import type { ProcessSummary, Severity, Technique } from './evaluate';
import { techniqueName } from './evaluate';
import type { IncidentQuery } from '../ports/incidentStore';
import type { IncidentChange } from './reducer';

export interface IncidentSignal {
    name: SignalName;
    eventId: number;
    recordId?: number;
    time: string;
    detail: string;
    points: number;
    partitionId?: string;
    sequenceNumber?: number;
    /** GrantedAccess of an EID 10 signal. */
    grantedAccess?: number;
}

export interface Incident {
    id: string;
    version: number;
    host: string;
    technique: Technique;
    techniqueName: string;
    score: number;
    severity: Severity;
    injector: ProcessSummary;
    target: ProcessSummary;
    firstSeen: string;
    lastSeen: string;
    signals: IncidentSignal[];
    contributions: { signal: SignalName; points: number }[];
    explanation: string;
    /** Present when the incident has something to say besides its signals, e.g. an image name corrected. */
    notes?: string[];
    createdAt: string;
    updatedAt: string;
    /**
     * Present when an earlier chain on this target expired (retention ran out) before the evidence of this version
     * arrived: what was scored here is only the evidence that came afterwards, and `previousVersion` is the last
     * version published from the expired chain, if it had become an incident.
     */
    afterExpiry?: { expiredAt: string; previousVersion?: number };
}

/** Signal hits shown per signal name; the rest are summarized by the chain's own counts. */
const MAX_HITS_PER_SIGNAL = 3;

export function toIncident(change: IncidentChange): Incident {
    const evaluation = change.evaluation;
    const perName = new Map<string, number>();
    const signals: IncidentSignal[] = [];
    for (const hit of evaluation.signals) {
        const seen = perName.get(hit.name) ?? 0;
        perName.set(hit.name, seen + 1);
        if (seen >= MAX_HITS_PER_SIGNAL) continue;
        const signal: IncidentSignal = {
            name: hit.name,
            eventId: hit.eventId,
            time: hit.time,
            detail: hit.detail,
            points: hit.points,
        };
        if (hit.recordId !== undefined) signal.recordId = hit.recordId;
        if (hit.partitionId !== undefined) signal.partitionId = hit.partitionId;
        if (hit.sequenceNumber !== undefined) signal.sequenceNumber = hit.sequenceNumber;
        if (hit.grantedAccess !== undefined) signal.grantedAccess = hit.grantedAccess;
        signals.push(signal);
    }
    const earlier = change.earlier;
    const explanation =
        earlier === undefined
            ? evaluation.explanation
            : `${evaluation.explanation} Earlier evidence on this target expired at ${earlier.expiredAt}` +
              (earlier.version !== undefined ? ` (last published as version ${String(earlier.version)})` : '') +
              '; this version is scored from the evidence that arrived after it.';
    return {
        id: change.id,
        version: change.version,
        host: change.host,
        technique: evaluation.technique,
        techniqueName: techniqueName(evaluation.technique),
        score: evaluation.score,
        severity: evaluation.severity,
        injector: evaluation.injector,
        target: evaluation.target,
        firstSeen: evaluation.firstSeen,
        lastSeen: evaluation.lastSeen,
        signals,
        contributions: evaluation.contributions,
        explanation,
        ...(evaluation.notes.length > 0 && { notes: evaluation.notes }),
        createdAt: change.createdAt,
        updatedAt: change.updatedAt,
        ...(earlier && {
            afterExpiry: {
                expiredAt: earlier.expiredAt,
                ...(earlier.version !== undefined && { previousVersion: earlier.version }),
            },
        }),
    };
}

/** The incident as `hollowtrace replay --json` prints it (the documented shape, nothing more). */
export function toReplayJson(incident: Incident): Record<string, unknown> {
    return {
        id: incident.id,
        host: incident.host,
        technique: incident.technique,
        score: incident.score,
        severity: incident.severity,
        injector: {
            image: incident.injector.image ?? null,
            processGuid: incident.injector.processGuid,
            processId: incident.injector.processId ?? null,
        },
        target: {
            image: incident.target.image ?? null,
            processGuid: incident.target.processGuid,
            processId: incident.target.processId ?? null,
            commandLine: incident.target.commandLine ?? null,
        },
        firstSeen: incident.firstSeen,
        lastSeen: incident.lastSeen,
        signals: incident.signals.map((s) => ({
            name: s.name,
            eventId: s.eventId,
            recordId: s.recordId ?? null,
            time: s.time,
            detail: s.detail,
        })),
        explanation: incident.explanation,
        ...(incident.notes !== undefined && { notes: incident.notes }),
    };
}

/** The tags a Sentinel incident gets for this chain: the product, the technique, and the kind of injection. */
export function incidentTags(incident: Pick<Incident, 'technique'>): string[] {
    return [
        'hollowtrace',
        incident.technique,
        incident.technique === 'T1055.012'
            ? 'process-hollowing'
            : incident.technique === 'T1620'
              ? 'reflective-code-loading'
              : 'process-injection',
    ];
}

/** Whether an incident matches the query's filters (shared by both stores so they agree exactly). */
export function matchesQuery(incident: Incident, query: IncidentQuery): boolean {
    if (query.host !== undefined && incident.host.toLowerCase() !== query.host.toLowerCase()) return false;
    if (query.since !== undefined && incident.lastSeen < query.since) return false;
    if (query.until !== undefined && incident.lastSeen > query.until) return false;
    if (query.technique !== undefined && incident.technique !== query.technique) return false;
    if (query.minScore !== undefined && incident.score < query.minScore) return false;
    return true;
}
