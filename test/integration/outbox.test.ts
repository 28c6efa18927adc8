/**
 * The transactional outbox (issue "Nothing lost", item 1): every committed incident version reaches every publisher,
 * whatever fails between the state commit and the delivery, with the in-memory store and with Table Storage
 * (Azurite). On the main this branch started from, the correlator saved state first and published afterwards, so
 * each of these scenarios lost incident versions.
 */
import { afterAll, beforeEach, describe, expect, it, inject } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import { Correlator } from '../../shared/correlate/Correlator';
import { StorageUnavailableError } from '../../shared/errors';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import type { HostStateStore, LoadedHostState, SaveStats } from '../../shared/ports/hostStateStore';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import type { SysmonEvent } from '../../shared/sysmon/types';
import {
    CREATE_PROCESS_TRACE,
    networkConnect,
    processAccess,
    processCreate,
    remoteThread,
    resetRecordIds,
    tampering,
} from '../helpers/sysmonBuilders';
import { DROPPER, NOTEPAD, SVCHOST } from '../helpers/images';
import { RecordingPublisher } from '../support/RecordingPublisher';
import type { PublishFault } from '../support/RecordingPublisher';
import { testTables } from '../support/tables';

const { newClient, dropAll } = testTables(inject('tablesConnectionString'), 'outbox');
afterAll(dropAll);

const NOW = new Date('2024-05-01T10:20:00.000Z');

/** Two hosts, each chain growing over several batches (so incidents get several versions), one batch with both. */
function batches(): SysmonEvent[][] {
    resetRecordIds();
    const onB = (e: SysmonEvent): SysmonEvent => ({ ...e, host: 'WS02.contoso.local' });
    const a = [
        processAccess(0, 'dropper', DROPPER, 'svchost', SVCHOST, 0x1fffff, `${CREATE_PROCESS_TRACE}|${DROPPER}+1a2b`),
        processCreate(3, 'svchost', SVCHOST, 'dropper', DROPPER, 'C:\\Windows\\system32\\svchost.exe'),
        tampering(40, 'svchost', SVCHOST, 'Image is replaced'),
        networkConnect(900, 'svchost', SVCHOST, '203.0.113.10', 443),
    ];
    const b = [
        processCreate(0, 'notepad', NOTEPAD, 'explorer', 'C:\\Windows\\explorer.exe'),
        remoteThread(50, 'injector', DROPPER, 'notepad', NOTEPAD),
        processAccess(
            60,
            'injector',
            DROPPER,
            'notepad',
            NOTEPAD,
            0x1fffff,
            `C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|UNKNOWN(00000000051B0B2D)`,
        ),
        networkConnect(1_000, 'notepad', NOTEPAD, '203.0.113.11', 443),
    ].map(onB);
    return [[a[0]!], [a[1]!, b[0]!], [a[2]!], [b[1]!], [a[3]!, b[2]!], [b[3]!]];
}

/** A host-state store that fails chosen saves, before writing anything or after writing everything. */
class FaultyStore implements HostStateStore {
    saves = 0;
    constructor(
        private readonly inner: HostStateStore,
        private readonly fault: (
            save: number,
            changed: ReadonlySet<string>,
            removed: ReadonlySet<string>,
        ) => PublishFault,
    ) {}
    load(host: string): Promise<LoadedHostState> {
        return this.inner.load(host);
    }
    async save(...args: Parameters<HostStateStore['save']>): Promise<SaveStats> {
        const [, , changed, removed] = args;
        const fault = this.fault(++this.saves, changed, removed);
        if (fault === 'before') throw new StorageUnavailableError('state table down (test)');
        const stats = await this.inner.save(...args);
        if (fault === 'after') throw new StorageUnavailableError('state saved, response lost (test)');
        return stats;
    }
    listDueHosts(dueBy: Date, limit: number, after?: string): Promise<string[]> {
        return this.inner.listDueHosts(dueBy, limit, after);
    }
}

const hasOutbox = (keys: ReadonlySet<string>): boolean => [...keys].some((k) => k.startsWith('o:'));

/**
 * Runs the batches as the Event Hubs trigger would: a batch that throws is delivered again (a fresh correlator
 * when `crashOnThrow`, as after a host restart), up to 5 times; then the maintenance pass runs once after the
 * outbox retry delay (again after each further delay for `maintenancePasses`). Returns the publisher.
 */
async function run(
    store: HostStateStore,
    publisher: RecordingPublisher,
    options: { crashOnThrow?: boolean; maintenancePasses?: number } = {},
): Promise<RecordingPublisher> {
    const make = (): Correlator =>
        new Correlator({ config: DEFAULT_CORRELATION_CONFIG, store, publishers: [publisher] });
    let correlator = make();
    for (const batch of batches()) {
        for (let attempt = 0; ; attempt++) {
            try {
                await correlator.process(batch, NOW);
                break;
            } catch (error) {
                if (!(error instanceof StorageUnavailableError) || attempt >= 5) throw error;
                if (options.crashOnThrow === true) correlator = make();
            }
        }
    }
    for (let pass = 1; pass <= (options.maintenancePasses ?? 1); pass++)
        await make().expire(new Date(NOW.getTime() + pass * 61_000));
    return publisher;
}

const stores: [string, () => Promise<HostStateStore>][] = [
    ['in memory', () => Promise.resolve(new InMemoryHostStateStore())],
    ['Table Storage (Azurite)', () => TableHostStateStore.create(newClient())],
];

describe.each(stores)('transactional outbox, %s', (_name, makeStore) => {
    let expected: string[];
    let expectedFinal: string[];

    beforeEach(async () => {
        const baseline = await run(await makeStore(), new RecordingPublisher());
        expected = baseline.versions();
        expectedFinal = baseline.finalVersions();
        // The scenario is worth running only if it versions incidents on both hosts.
        expect(expectedFinal).toHaveLength(2);
        expect(expected.length).toBeGreaterThan(2);
        expect([...baseline.accepted.values()].every((n) => n === 1)).toBe(true);
    });

    it('a publisher down for several batches gets every version exactly once after it recovers', async () => {
        const publisher = await run(
            await makeStore(),
            new RecordingPublisher('incidents', (call) => (call <= 3 ? 'before' : undefined)),
        );
        expect(publisher.versions()).toStrictEqual(expected);
        expect([...publisher.accepted.values()].every((n) => n === 1)).toBe(true);
    });

    it('a delivery that lands in part keeps only the versions it names as failed: none arrives twice', async () => {
        // Three calls fail whole so versions pile up, then deliveries land half of what they are given.
        const publisher = await run(
            await makeStore(),
            new RecordingPublisher('incidents', (call) => (call <= 3 ? 'before' : call <= 5 ? 'partial' : undefined)),
            { maintenancePasses: 2 },
        );
        expect(publisher.calls).toBeGreaterThan(5);
        expect(publisher.versions()).toStrictEqual(expected);
        expect([...publisher.accepted.values()].every((n) => n === 1)).toBe(true);
    });

    it('a publisher that took the versions but whose answer was lost: the destination ends with every version', async () => {
        const publisher = await run(
            await makeStore(),
            new RecordingPublisher('incidents', (call) => (call % 2 === 1 ? 'after' : undefined)),
        );
        expect(publisher.versions()).toStrictEqual(expected);
        expect(publisher.finalVersions()).toStrictEqual(expectedFinal);
    });

    it('a crash right after the state commit (response lost, process restarted) loses no version', async () => {
        const store = new FaultyStore(await makeStore(), (_save, changed) =>
            hasOutbox(changed) ? 'after' : undefined,
        );
        const publisher = await run(store, new RecordingPublisher(), { crashOnThrow: true });
        expect(publisher.versions()).toStrictEqual(expected);
        expect([...publisher.accepted.values()].every((n) => n === 1)).toBe(true);
    });

    it('a failure clearing delivered entries only repeats a delivery, which the destination ignores', async () => {
        const store = new FaultyStore(await makeStore(), (_save, changed, removed) =>
            changed.size === 0 && hasOutbox(removed) ? 'before' : undefined,
        );
        const publisher = await run(store, new RecordingPublisher());
        expect(publisher.versions()).toStrictEqual(expected);
        expect(publisher.finalVersions()).toStrictEqual(expectedFinal);
    });

    it('the maintenance pass delivers what a publisher missed when no further batch comes for the host', async () => {
        const store = await makeStore();
        const publisher = new RecordingPublisher('incidents', () => 'before');
        const correlator = new Correlator({ config: DEFAULT_CORRELATION_CONFIG, store, publishers: [publisher] });
        for (const batch of batches()) {
            const outcome = await correlator.process(batch, NOW);
            expect(outcome.delivered).toBe(0);
        }
        expect(publisher.accepted.size).toBe(0);
        const healthy = new RecordingPublisher();
        const maintenance = new Correlator({ config: DEFAULT_CORRELATION_CONFIG, store, publishers: [healthy] });
        // Not yet due: the hosts wait for the outbox retry delay.
        expect((await maintenance.expire(NOW)).hosts).toBe(0);
        const outcome = await maintenance.expire(new Date(NOW.getTime() + 61_000));
        expect(outcome).toMatchObject({ hosts: 2, pending: 0, deliveryFailures: [] });
        expect(healthy.versions()).toStrictEqual(expected);
        // Delivered entries are gone: another pass delivers nothing.
        expect((await maintenance.expire(new Date(NOW.getTime() + 122_000))).delivered).toBe(0);
    });

    it('two publishers are independent: one failing does not hold back or repeat the other', async () => {
        const store = await makeStore();
        const table = new RecordingPublisher('incidents');
        const sentinel = new RecordingPublisher('sentinel', (call) => (call <= 2 ? 'before' : undefined));
        const correlator = new Correlator({
            config: DEFAULT_CORRELATION_CONFIG,
            store,
            publishers: [table, sentinel],
        });
        for (const batch of batches()) await correlator.process(batch, NOW);
        await correlator.expire(new Date(NOW.getTime() + 61_000));
        expect(table.versions()).toStrictEqual(expected);
        expect(sentinel.versions()).toStrictEqual(expected);
        expect([...table.accepted.values(), ...sentinel.accepted.values()].every((n) => n === 1)).toBe(true);
    });
});
