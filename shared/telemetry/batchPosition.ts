/**
 * Where a delivered batch sits in its hub, as log record attributes: the partitions and the lowest and highest
 * sequence numbers, so an operator can find the batch again (a batch comes from one partition; several are joined).
 */
import type { IngestMessage } from '../ingest/ingestBatch';
import type { EventAttributes } from '../ports/telemetry';

export function batchPosition(messages: readonly IngestMessage[]): EventAttributes {
    const partitions = [...new Set(messages.flatMap((m) => (m.partitionId !== undefined ? [m.partitionId] : [])))];
    const sequences = messages.flatMap((m) => (m.sequenceNumber !== undefined ? [m.sequenceNumber] : []));
    return {
        ...(partitions.length > 0 && { partition: partitions.join(',') }),
        ...(sequences.length > 0 && {
            sequenceFrom: sequences.reduce((a, b) => Math.min(a, b)),
            sequenceTo: sequences.reduce((a, b) => Math.max(a, b)),
        }),
    };
}
