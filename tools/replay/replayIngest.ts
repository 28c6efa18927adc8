/**
 * @module Stage 1 of a replay for one batch, the part that runs wherever the file is read (the main thread or a
 * worker): ingestion, then the filter stage 1 applies before forwarding. What it returns is all correlation needs,
 * so a worker sends little back (most events are not needed: docs/performance.md).
 */
import { isNeededForCorrelation } from '../../shared/correlate/facts';
import type { DeadLetter } from '../../shared/ingest/deadLetter';
import { ingestBatch } from '../../shared/ingest/ingestBatch';
import type { IngestLimits, IngestMessage, IngestReport } from '../../shared/ingest/ingestBatch';
import type { SysmonEvent } from '../../shared/sysmon/types';

/** One batch after stage 1, in the order its file was read. */
export interface IngestedBatch {
    /** Messages in the batch (replay expires correlation state every so many). */
    messages: number;
    /** Latest event time of every accepted event, needed or not (the replay's stream clock); 0 when none. */
    latestTimeMs: number;
    /** The accepted events correlation needs, as stage 1 would forward them. */
    events: SysmonEvent[];
    deadLetters: DeadLetter[];
    report: IngestReport;
}

export function ingestForReplay(
    batch: readonly IngestMessage[],
    limits: IngestLimits,
    allowedSources: ReadonlySet<string>,
): IngestedBatch {
    const result = ingestBatch(batch, new Date(), limits); // dead letters are stamped when rejected
    let latestTimeMs = 0;
    for (const event of result.events) if (event.timeMs > latestTimeMs) latestTimeMs = event.timeMs;
    return {
        messages: batch.length,
        latestTimeMs,
        events: result.events.filter((event) => isNeededForCorrelation(event, allowedSources)),
        deadLetters: result.deadLetters,
        report: result.report,
    };
}
