/**
 * @module Forwarding port: stage 1 hands the events correlation needs to stage 2, keyed by host, so that one
 * correlator instance owns each host's state (Event Hubs keeps one partition key on one partition:
 * learn.microsoft.com, "Event Hubs features", partition key). Implementations: `InMemoryEventForwarder` (tests,
 * replay, inline mode) and `EventHubEventForwarder` (shared/clients/eventHubForwarder.ts).
 */
import type { SysmonEvent } from '../sysmon/types';

export interface EventForwarder {
    /** Sends the events, grouped by host. Throws `ForwardingFailedError` when the destination fails. */
    forward(events: readonly SysmonEvent[]): Promise<void>;
}

/** Groups events by host, keeping their order within each host. The host is compared case-insensitively. */
export function groupByHost(events: readonly SysmonEvent[]): Map<string, SysmonEvent[]> {
    const groups = new Map<string, SysmonEvent[]>();
    for (const event of events) {
        const key = event.host.toLowerCase();
        const group = groups.get(key);
        if (group) group.push(event);
        else groups.set(key, [event]);
    }
    return groups;
}

/** Keeps forwarded events in memory, grouped by host key. */
export class InMemoryEventForwarder implements EventForwarder {
    readonly byHost = new Map<string, SysmonEvent[]>();

    forward(events: readonly SysmonEvent[]): Promise<void> {
        for (const [host, group] of groupByHost(events)) {
            const existing = this.byHost.get(host);
            if (existing) existing.push(...group);
            else this.byHost.set(host, [...group]);
        }
        return Promise.resolve();
    }
}
