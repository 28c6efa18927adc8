import { groupByHost } from '../ingest/groupByHost';
import type { SysmonEvent } from '../sysmon/types';
import type { EventForwarder } from './eventForwarder';

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
