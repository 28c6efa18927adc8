/**
 * Retention and expiry (issue "Nothing lost", items 4 and 5): pending chains wait from their last change, a chain
 * rebuilt after expiry continues its incident's versions, an incident says when earlier evidence had expired, and a
 * host left empty disappears with its meta record. Each of the first three failed on the main this branch started
 * from (pending retention counted from the chain's creation; a rebuilt chain published version 1 again, which the
 * incident store ignored behind the old, higher version).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { Correlator } from '../../../shared/correlate/Correlator';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { IncidentStorePublisher } from '../../../shared/publish/IncidentStorePublisher';
import type { SysmonEvent } from '../../../shared/sysmon/types';
import { HOST, guid, networkConnect, processAccess, remoteThread, resetRecordIds } from '../../helpers/sysmonBuilders';
import { DROPPER, NOTEPAD } from '../../helpers/images';

const T0 = Date.parse('2024-05-01T10:20:00.000Z');
const MINUTE = 60_000;
const OTHER = 'C:\\ProgramData\\update\\agent.exe';
const UNBACKED = 'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|UNKNOWN(00000000051B0B2D)';

beforeEach(() => {
    resetRecordIds();
});

function setup(): { store: InMemoryHostStateStore; incidents: InMemoryIncidentStore; correlator: Correlator } {
    const store = new InMemoryHostStateStore();
    const incidents = new InMemoryIncidentStore();
    const correlator = new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store,
        publishers: [new IncidentStorePublisher(incidents)],
    });
    return { store, incidents, correlator };
}

const at = (minutes: number): Date => new Date(T0 + minutes * MINUTE);

/** The injector opens notepad with all access from unbacked code: a chain, not yet an incident. */
const notepadOpenedFromUnbackedCode = (): SysmonEvent =>
    processAccess(0, 'injector', DROPPER, 'notepad', NOTEPAD, 0x1fffff, UNBACKED);

/** ... and starts a thread in it: a chain that becomes an incident. */
const injectionIntoNotepad = (): SysmonEvent[] => [
    notepadOpenedFromUnbackedCode(),
    remoteThread(50, 'injector', DROPPER, 'notepad', NOTEPAD),
];

describe('pending retention counts from the last change', () => {
    it('evidence added at minute 50 keeps the chain past minute 65, so the incident is scored from all of it', async () => {
        const { store, incidents, correlator } = setup();
        await correlator.process([notepadOpenedFromUnbackedCode()], at(0));
        await correlator.process(
            [processAccess(5, 'injector', DROPPER, 'notepad', NOTEPAD, 0x1f3fff, UNBACKED)],
            at(50),
        );
        await correlator.expire(at(65));
        expect((await store.load(HOST)).state.chains.get(guid('notepad'))?.evidence).toHaveLength(2);

        await correlator.process([remoteThread(60, 'injector', DROPPER, 'notepad', NOTEPAD)], at(70));
        const [incident] = (await incidents.query({})).incidents;
        const accesses = new Set(incident?.signals.filter((s) => s.eventId === 10).map((s) => s.recordId));
        expect(accesses.size).toBe(2);
        expect(incident?.afterExpiry).toBeUndefined();
    });

    it('evidence arriving after its pending chain expired makes an incident that says so', async () => {
        const { incidents, correlator } = setup();
        await correlator.process([notepadOpenedFromUnbackedCode()], at(0));
        await correlator.expire(at(61));
        await correlator.process([remoteThread(60, 'injector', DROPPER, 'notepad', NOTEPAD)], at(90));
        const [incident] = (await incidents.query({})).incidents;
        expect(incident).toMatchObject({ version: 1, afterExpiry: { expiredAt: at(61).toISOString() } });
        expect(incident?.afterExpiry?.previousVersion).toBeUndefined();
        expect(incident?.explanation).toContain(`Earlier evidence on this target expired at ${at(61).toISOString()}`);
    });
});

describe('incident versions stay monotonic across chain expiry', () => {
    it('a new attack on a long-running process after the chain expired is published as the next version', async () => {
        const { incidents, correlator } = setup();
        await correlator.process([...injectionIntoNotepad()], at(0));
        await correlator.process([networkConnect(1_000, 'notepad', NOTEPAD, '203.0.113.11', 443)], at(1));
        const first = await incidents.get((await incidents.query({})).incidents[0]!.id);
        expect(first?.injector.image).toBe(DROPPER);

        const week = DEFAULT_CORRELATION_CONFIG.incidentChainRetentionMs / MINUTE;
        await correlator.expire(at(week + 2));
        await correlator.process(
            [
                processAccess(600_000_000, 'other', OTHER, 'notepad', NOTEPAD, 0x1fffff, UNBACKED),
                remoteThread(600_000_050, 'other', OTHER, 'notepad', NOTEPAD),
            ],
            at(week + 10),
        );
        const latest = await incidents.get(first!.id);
        expect(latest?.injector.image).toBe(OTHER);
        expect(latest?.version).toBe(first!.version + 1);
        expect(latest?.afterExpiry).toStrictEqual({
            expiredAt: at(week + 2).toISOString(),
            previousVersion: first!.version,
        });
    });
});

describe('hosts do not stay forever', () => {
    it('a host whose state all expired is removed with its meta record, and is no longer visited', async () => {
        const { store, correlator } = setup();
        await correlator.process([notepadOpenedFromUnbackedCode()], at(0));
        expect(await store.listDueHosts(at(1_000), 10)).toStrictEqual([HOST.toLowerCase()]);
        // Pending state expires, leaving the chain's tombstone for one more pending window.
        const first = await correlator.expire(at(61));
        expect(first).toMatchObject({ hosts: 1, hostsRemoved: 0, complete: true });
        const afterPending = (await store.load(HOST)).state;
        expect(afterPending.chains.size).toBe(0);
        expect(afterPending.tombstones.size).toBeGreaterThan(0);
        expect(await store.listDueHosts(at(100), 10)).toStrictEqual([]); // not due before the tombstones expire
        const last = await correlator.expire(at(122));
        expect(last).toMatchObject({ hosts: 1, hostsRemoved: 1 });
        expect((await store.load(HOST)).etags.size).toBe(0);
        expect(await store.listDueHosts(at(1_000_000), 10)).toStrictEqual([]);
    });

    it('the tombstone of a chain that became an incident outlives the chain by chainTombstoneRetentionMs', async () => {
        const { store, correlator } = setup();
        await correlator.process([...injectionIntoNotepad()], at(0));
        const week = DEFAULT_CORRELATION_CONFIG.incidentChainRetentionMs / MINUTE;
        await correlator.expire(at(week + 2));
        const tombstone = (await store.load(HOST)).state.tombstones.get(guid('notepad'));
        expect(tombstone?.version).toBeGreaterThanOrEqual(1);
        const keep = DEFAULT_CORRELATION_CONFIG.chainTombstoneRetentionMs / MINUTE;
        await correlator.expire(at(week + 2 + keep - 1));
        expect((await store.load(HOST)).state.tombstones.has(guid('notepad'))).toBe(true);
        await correlator.expire(at(week + 2 + keep + 1));
        expect((await store.load(HOST)).etags.size).toBe(0);
    });

    it('the pass is bounded and resumable: each call visits at most maxHosts, the next one continues', async () => {
        const { store, correlator } = setup();
        for (let i = 0; i < 5; i++)
            await correlator.process([{ ...notepadOpenedFromUnbackedCode(), host: `ws-${i}` }], at(0));
        const first = await correlator.expire(at(61), { maxHosts: 2 });
        expect(first).toMatchObject({ hosts: 2, complete: false });
        const rest = await correlator.expire(at(61), { maxHosts: 10 });
        expect(rest).toMatchObject({ hosts: 3, complete: true });
        let asked = 0;
        const stopped = await correlator.expire(at(100), { shouldStop: () => ++asked > 1 });
        expect(stopped).toMatchObject({ hosts: 0, complete: true }); // nothing due any more
        expect(await store.listDueHosts(at(61), 10)).toStrictEqual([]);
    });
});
