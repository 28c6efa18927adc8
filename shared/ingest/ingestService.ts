/**
 * @module Stage 1 use case: normalize a batch, keep every rejected event in the dead-letter store, forward the rest.
 * Infrastructure failures (dead-letter store, forwarding) throw typed errors, so the function's retry policy
 * re-runs the whole batch; both writes are idempotent, so a re-run does not duplicate.
 */
import type { DeadLetterStore } from '../ports/deadLetterStore';
import type { EventForwarder } from '../ports/eventForwarder';
import { ingestBatch } from './ingestBatch';
import type { IngestLimits, IngestMessage, IngestReport } from './ingestBatch';
import type { SysmonEvent } from '../sysmon/types';
import type { Telemetry } from '../ports/telemetry';
import { recordIngestOutcome } from '../telemetry/recordIngestOutcome';

export interface IngestDependencies {
    deadLetters: DeadLetterStore;
    forwarder: EventForwarder;
    limits: IngestLimits;
    /** Keeps only events correlation can use (see `isNeededForCorrelation`); all accepted events when absent. */
    needed?: (event: SysmonEvent) => boolean;
    /** Where the batch's counts are recorded; nothing is recorded when absent. */
    telemetry?: Telemetry;
}

export interface IngestOutcome {
    report: IngestReport;
    forwarded: number;
    deadLettered: number;
}

/**
 * Runs stage 1 over one delivered batch.
 * @throws StorageUnavailableError when dead letters cannot be stored; ForwardingFailedError when forwarding fails.
 */
export async function processIngestBatch(
    messages: readonly IngestMessage[],
    deps: IngestDependencies,
    now: Date,
): Promise<IngestOutcome> {
    const result = ingestBatch(messages, now, deps.limits);
    // Dead letters first: if forwarding then fails, the retry rewrites the same letters (same ids), nothing is lost.
    if (result.deadLetters.length > 0) await deps.deadLetters.putMany(result.deadLetters);
    const forward = deps.needed ? result.events.filter(deps.needed) : result.events;
    if (forward.length > 0) await deps.forwarder.forward(forward);
    const outcome = { report: result.report, forwarded: forward.length, deadLettered: result.deadLetters.length };
    if (deps.telemetry) recordIngestOutcome(deps.telemetry, outcome, messages);
    return outcome;
}
