/** The correlator's host-state cache: bounded in hosts and in records, least recently used dropped first. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { Correlator } from '../../../shared/correlate/Correlator';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import type { LoadedHostState } from '../../../shared/ports/hostStateStore';
import type { SysmonEvent } from '../../../shared/sysmon/types';
import { processCreate } from '../../helpers/sysmonBuilders';
import { IncidentStorePublisher } from '../../../shared/publish/IncidentStorePublisher';

const NOW = new Date('2024-05-01T10:20:00.000Z');

/** The in-memory store, counting loads per host: a load means the correlator did not have the host cached. */
class LoadCountingStore extends InMemoryHostStateStore {
    readonly loads = new Map<string, number>();

    override load(host: string): Promise<LoadedHostState> {
        this.loads.set(host, (this.loads.get(host) ?? 0) + 1);
        return super.load(host);
    }
}

/** `count` process creations on `host`: one process record each. */
function creations(host: string, count: number, label: string): SysmonEvent[] {
    return Array.from({ length: count }, (_, i) => ({
        ...processCreate(
            i,
            `${label}-${i}`,
            'C:\\Windows\\System32\\notepad.exe',
            'explorer',
            'C:\\Windows\\explorer.exe',
        ),
        host,
    }));
}

async function loadsAfter(
    options: { maxCachedHosts?: number; maxCachedRecords?: number },
    batches: SysmonEvent[][],
): Promise<Record<string, number>> {
    const store = new LoadCountingStore();
    const correlator = new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store,
        publishers: [new IncidentStorePublisher(new InMemoryIncidentStore())],
        ...options,
    });
    for (const batch of batches) await correlator.process(batch, NOW);
    return Object.fromEntries(store.loads);
}

describe('Correlator host cache', () => {
    it('loads each host once while both bounds hold', async () => {
        expect(
            await loadsAfter({}, [
                creations('a', 3, 'a1'),
                creations('b', 3, 'b1'),
                creations('a', 3, 'a2'),
                creations('b', 3, 'b2'),
            ]),
        ).toEqual({ a: 1, b: 1 });
    });

    it('drops the least recently used host once the records of all cached hosts exceed maxCachedRecords', async () => {
        // Each host holds a few records; with room for 1 record, switching hosts drops the other one.
        const batches = [
            creations('a', 3, 'a1'),
            creations('b', 3, 'b1'),
            creations('a', 1, 'a2'),
            creations('b', 1, 'b2'),
        ];
        expect(await loadsAfter({ maxCachedRecords: 1 }, batches)).toEqual({ a: 2, b: 2 });
        expect(await loadsAfter({ maxCachedRecords: 100 }, batches)).toEqual({ a: 1, b: 1 });
    });

    it('keeps the host it just used even when that host alone is over the record bound', async () => {
        expect(await loadsAfter({ maxCachedRecords: 1 }, [creations('a', 5, 'a1'), creations('a', 1, 'a2')])).toEqual({
            a: 1,
        });
    });

    it('still bounds the number of hosts', async () => {
        const batches = [
            creations('a', 1, 'a1'),
            creations('b', 1, 'b1'),
            creations('c', 1, 'c1'),
            creations('a', 1, 'a2'),
        ];
        expect(await loadsAfter({ maxCachedHosts: 2 }, batches)).toEqual({ a: 2, b: 1, c: 1 });
    });
});
