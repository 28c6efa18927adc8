/**
 * @module Where a message sat in its Event Hub: what dead letters keep so an operator (or a reprocess) can find it again.
 */
export interface EventHubCoordinates {
    partitionId?: string;
    sequenceNumber?: number;
    offset?: string;
    enqueuedTime?: string;
}

/** Only the coordinates that are known, in one order: stored letters and golden files hold no `undefined` fields. */
export function eventHubCoordinates(from: EventHubCoordinates): EventHubCoordinates {
    return {
        ...(from.partitionId !== undefined && { partitionId: from.partitionId }),
        ...(from.sequenceNumber !== undefined && { sequenceNumber: from.sequenceNumber }),
        ...(from.offset !== undefined && { offset: from.offset }),
        ...(from.enqueuedTime !== undefined && { enqueuedTime: from.enqueuedTime }),
    };
}
