/** Stage 1's counts as metrics: one series per count, reasons as an attribute (docs/telemetry.md). */
import type { IngestOutcome } from '../ingest/ingestService';
import type { Telemetry } from '../ports/telemetry';

export function recordIngestOutcome(telemetry: Telemetry, outcome: IngestOutcome): void {
    const { report } = outcome;
    const stage = { stage: 'ingest' };
    telemetry.count('received', report.received, stage);
    telemetry.count('accepted', report.accepted, stage);
    for (const [reason, n] of Object.entries(report.ignoredByReason)) telemetry.count('ignored', n, { reason });
    for (const [reason, n] of Object.entries(report.rejectedByReason)) telemetry.count('rejected', n, { reason });
    telemetry.count('forwarded', outcome.forwarded, stage);
    telemetry.count('deadLettered', outcome.deadLettered, stage);
}
