import type { SysmonEvent } from '../sysmon/types';

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
