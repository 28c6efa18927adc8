/**
 * @module Stage 2 use case and the inline variant of stage 1's forwarding port.
 */
import type { DeadLetterStore } from '../ports/deadLetterStore';
import type { EventForwarder } from '../ports/eventForwarder';
import type { IngestMessage } from '../ingest/ingestBatch';
import type { SysmonEvent } from '../sysmon/types';
import type { CorrelationOutcome, Correlator } from './Correlator';
import { decodeForwardedBatch } from './forwardedEvents';
import type { Telemetry } from '../ports/telemetry';
import { NO_TELEMETRY } from '../ports/telemetry';
import { batchPosition } from '../telemetry/batchPosition';
import { recordCorrelationOutcome } from '../telemetry/recordCorrelationOutcome';

export interface CorrelationDependencies {
    correlator: Correlator;
    deadLetters: DeadLetterStore;
    /** Where the batch's counts and latency are recorded; nothing is recorded when absent. */
    telemetry?: Telemetry;
    /** Reads the time an incident version is committed, for the end-to-end latency (tests pass a fixed one). */
    clock?: () => Date;
}

export interface CorrelationBatchOutcome extends CorrelationOutcome {
    received: number;
    deadLettered: number;
}

/** Stage 2: decodes forwarded events, dead-letters the invalid ones, correlates the rest. */
export async function processCorrelationBatch(
    messages: readonly IngestMessage[],
    deps: CorrelationDependencies,
    now: Date,
): Promise<CorrelationBatchOutcome> {
    const decoded = decodeForwardedBatch(messages, now);
    if (decoded.deadLetters.length > 0) await deps.deadLetters.putMany(decoded.deadLetters);
    const outcome = await deps.correlator.process(decoded.events, now);
    if (deps.telemetry) {
        deps.telemetry.count('received', messages.length, { stage: 'correlate' });
        deps.telemetry.count('deadLettered', decoded.deadLetters.length, { stage: 'correlate' });
        recordCorrelationOutcome(
            deps.telemetry,
            outcome,
            decoded.events,
            (deps.clock ?? (() => new Date()))(),
            'eventHub',
        );
        deps.telemetry.event('correlateBatch', decoded.deadLetters.length > 0 ? 'warn' : 'info', {
            ...batchPosition(messages),
            received: messages.length,
            deadLettered: decoded.deadLetters.length,
            hosts: outcome.hosts,
            incidents: outcome.incidents.length,
            conflicts: outcome.conflicts,
            transactions: outcome.transactions,
        });
    }
    return { ...outcome, received: messages.length, deadLettered: decoded.deadLetters.length };
}

/**
 * Correlates in the same invocation as ingestion: for source hubs that are already keyed by host. `report` sees every
 * outcome (the composition counts conflicts and warns, see {@link inlineOutcomeWarnings}).
 */
export class InlineCorrelation implements EventForwarder {
    constructor(
        private readonly correlator: Correlator,
        private readonly now: () => Date = () => new Date(),
        private readonly report: (outcome: CorrelationOutcome) => void = () => undefined,
        private readonly telemetry: Telemetry = NO_TELEMETRY,
    ) {}

    async forward(events: readonly SysmonEvent[]): Promise<void> {
        const outcome = await this.correlator.process(events, this.now());
        recordCorrelationOutcome(this.telemetry, outcome, events, this.now(), 'inline');
        this.report(outcome);
    }
}

/**
 * What an inline correlation outcome should warn about. ETag conflicts there mean several workers share hosts (the
 * source hub is not keyed by host): each conflict re-reads the host's whole partition, which costs throughput many
 * times over, so the warning names the fix. Undelivered incident versions stay in the outbox and are retried.
 */
export function inlineOutcomeWarnings(outcome: CorrelationOutcome): string[] {
    const warnings: string[] = [];
    if (outcome.conflicts > 0)
        warnings.push(
            `inline correlation: ${outcome.conflicts} ETag conflicts in one batch of ${outcome.hosts} hosts; the source hub is not keyed by host, so workers share hosts and re-read them. Forward to the host-keyed hub (HOLLOWTRACE_CORRELATION=eventHub).`,
        );
    for (const failure of outcome.deliveryFailures)
        warnings.push(
            `outbox: publisher ${failure.publisher} did not take ${failure.incidents} incident versions; they stay pending: ${failure.error}`,
        );
    return warnings;
}
