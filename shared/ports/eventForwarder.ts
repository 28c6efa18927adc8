/**
 * @module Forwarding port: stage 1 hands the events correlation needs to stage 2, keyed by host, so that one
 * correlator instance owns each host's state (Event Hubs keeps one partition key on one partition:
 * learn.microsoft.com, "Event Hubs features", partition key). Implementations: `InMemoryEventForwarder` (beside
 * this file; tests, replay, inline mode) and `EventHubEventForwarder` (shared/clients/EventHubEventForwarder.ts).
 */
import type { SysmonEvent } from '../sysmon/types';

export interface EventForwarder {
    /** Sends the events, grouped by host. Throws `ForwardingFailedError` when the destination fails. */
    forward(events: readonly SysmonEvent[]): Promise<void>;
}
