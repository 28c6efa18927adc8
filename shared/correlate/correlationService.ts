/**
 * @module Stage 2 use case and the inline variant of stage 1's forwarding port.
 */
import type { DeadLetterStore } from '../ports/deadLetterStore';
import type { EventForwarder } from '../ports/eventForwarder';
import type { IngestMessage } from '../ingest/ingestBatch';
import type { SysmonEvent } from '../sysmon/types';
import type { CorrelationOutcome, Correlator } from './Correlator';
import { decodeForwardedBatch } from './forwardedEvents';

export interface CorrelationDependencies {
    correlator: Correlator;
    deadLetters: DeadLetterStore;
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
    return { ...outcome, received: messages.length, deadLettered: decoded.deadLetters.length };
}

/** Correlates in the same invocation as ingestion: for source hubs that are already keyed by host. */
export class InlineCorrelation implements EventForwarder {
    constructor(
        private readonly correlator: Correlator,
        private readonly now: () => Date = () => new Date(),
    ) {}

    async forward(events: readonly SysmonEvent[]): Promise<void> {
        await this.correlator.process(events, this.now());
    }
}
