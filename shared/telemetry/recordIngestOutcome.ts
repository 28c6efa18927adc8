/**
 * Stage 1's counts as metrics (one series per count, reasons as an attribute) and as one log record per batch, with
 * the batch's position in the hub (docs/telemetry.md).
 */
import type { IngestMessage } from '../ingest/ingestBatch';
import type { IngestOutcome } from '../ingest/ingestService';
import type { Telemetry } from '../ports/telemetry';
import { batchPosition } from './batchPosition';

export function recordIngestOutcome(
    telemetry: Telemetry,
    outcome: IngestOutcome,
    messages: readonly IngestMessage[] = [],
): void {
    const { report } = outcome;
    const stage = { stage: 'ingest' };
    telemetry.count('received', report.received, stage);
    telemetry.count('accepted', report.accepted, stage);
    for (const [reason, n] of Object.entries(report.ignoredByReason)) telemetry.count('ignored', n, { reason });
    for (const [reason, n] of Object.entries(report.rejectedByReason)) telemetry.count('rejected', n, { reason });
    telemetry.count('forwarded', outcome.forwarded, stage);
    telemetry.count('deadLettered', outcome.deadLettered, stage);
    const reasons = (byReason: Readonly<Record<string, number>>, prefix: string) =>
        Object.fromEntries(Object.entries(byReason).map(([reason, n]) => [`${prefix}.${reason}`, n]));
    // Anything dead-lettered needs a look (and a reprocess); a batch of only skipped events does not.
    telemetry.event('ingestBatch', outcome.deadLettered > 0 ? 'warn' : 'info', {
        ...batchPosition(messages),
        received: report.received,
        accepted: report.accepted,
        forwarded: outcome.forwarded,
        deadLettered: outcome.deadLettered,
        ...reasons(report.ignoredByReason, 'ignored'),
        ...reasons(report.rejectedByReason, 'rejected'),
    });
}
