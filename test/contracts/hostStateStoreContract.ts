/**
 * @module Behaviour every `HostStateStore` must show, run against each implementation
 * (test/unit/ports/inMemoryStores.test.ts, test/integration/tableStores.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ConcurrencyConflictError } from '../../shared/errors';
import { emptyHostState, putRecord, stateKey } from '../../shared/correlate/state';
import type {
    ChainRecord,
    Evidence,
    FileRecord,
    HostState,
    OutboxEntry,
    ProcessRecord,
} from '../../shared/correlate/state';
import type { Incident } from '../../shared/correlate/incident';
import type { HostStateStore, LoadedHostState } from '../../shared/ports/hostStateStore';

export interface HostStateStoreContractOptions {
    /** Transactions a save of 250 changed records reports; undefined: any positive number. */
    transactionsFor250Records?: number;
}

/** Text that tends to break serializers: quotes, backslashes, escapes, line terminators, astral characters. */
const AWKWARD = 'C:\\Temp\\"quoted" \'single\' %2F/#? Ωé漢字😀 tab\t nl\n ls\u2028 ps\u2029 nul\u0000 end';

/** Exactly `length` UTF-16 code units from a 7-unit pattern (so part boundaries fall at varying offsets), never splitting a surrogate pair. */
function fill(length: number): string {
    const cycle = '漢😀字😀x'; // 1 + 2 + 1 + 2 + 1 code units
    let out = cycle.repeat(Math.floor(length / cycle.length));
    while (out.length < length) out += 'x';
    return out;
}

function processRecord(guid: string, overrides: Partial<ProcessRecord> = {}): ProcessRecord {
    return {
        guid,
        image: 'C:\\Windows\\System32\\svchost.exe',
        processId: 4242,
        commandLine: `svchost.exe -k ${AWKWARD}`,
        user: 'NT AUTHORITY\\SYSTEM',
        parentGuid: '0f0e0d0c-0000-0000-0000-000000000001',
        parentImage: 'C:\\Windows\\explorer.exe',
        parentProcessId: 1000,
        createdMs: 1_795_000_000_000,
        created: {
            key: '1:r10',
            eventId: 1,
            recordId: 10,
            time: '2026-11-25T10:00:00.000Z',
            timeMs: 1_795_000_000_000,
        },
        followUps: [
            {
                key: '3:r11',
                eventId: 3,
                recordId: 11,
                time: '2026-11-25T10:00:01.000Z',
                timeMs: 1_795_000_001_000,
                partitionId: '2',
                sequenceNumber: 9_007_199_254_740_991,
                kind: 'network',
                detail: '203.0.113.7:443 "c2"',
            },
        ],
        updatedAt: 1_795_000_001_000,
        ...overrides,
    };
}

function fileRecord(path: string): FileRecord {
    return {
        path,
        writes: [
            {
                key: '11:r12',
                eventId: 11,
                recordId: 12,
                time: '2026-11-25T09:59:00.000Z',
                timeMs: 1_794_999_940_000,
                writerGuid: '0f0e0d0c-0000-0000-0000-000000000002',
                writerImage: 'C:\\Users\\Ünï\\dropper "x".exe',
            },
        ],
        updatedAt: 1_794_999_940_000,
    };
}

/** A chain of process-access evidence whose call traces add up to `traceChars` characters. */
function chainRecord(targetGuid: string, traceChars = 200): ChainRecord {
    const events = 8;
    const evidence: Evidence[] = Array.from({ length: events }, (_, i) => ({
        event: {
            eventId: 10,
            host: 'WS-Ünïcode-01',
            recordId: 100 + i,
            time: '2026-11-25T10:00:02.000Z',
            timeMs: 1_795_000_002_000 + i,
            origin: { partitionId: '1', sequenceNumber: i, messageIndex: 0, recordIndex: i },
            sourceProcessGuid: '0f0e0d0c-0000-0000-0000-000000000002',
            sourceImage: `C:\\Users\\Ünï\\${AWKWARD}.exe`,
            targetProcessGuid: targetGuid,
            targetImage: 'C:\\Windows\\System32\\svchost.exe',
            grantedAccess: 0x1fffff,
            callTrace: `C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|UNKNOWN(${fill(Math.ceil(traceChars / events))})`,
        },
        access: {
            codeRights: true,
            allAccess: true,
            directSyscall: false,
            originUnbacked: true,
            managedRuntime: false,
            unknownFrames: 1,
        },
    }));
    return {
        targetGuid,
        evidence,
        droppedEvidence: 3,
        incident: {
            id: 'hti-00a1b2c3d4e5f6',
            version: 2,
            fingerprint: '0123456789abcd',
            createdAt: '2026-11-25T10:00:03.000Z',
            updatedAt: '2026-11-25T10:00:04.000Z',
        },
        updatedAt: 1_795_000_004_000,
    };
}

const PROCESS_GUID = '0f0e0d0c-0000-0000-0000-0000000000aa';
const CHAIN_GUID = '0f0e0d0c-0000-0000-0000-0000000000bb';
const FILE_PATH = 'C:\\Users\\Ünï\\AppData\\Local\\Temp\\payload "1".exe';
/** A key with characters that Table keys forbid, to check the store escapes record keys reversibly. */
const ODD_GUID = "odd/guid#?%2F'\u0001";

/** A state holding a process, a file and two chains, one of them large enough to need several properties. */
function sampleState(host: string): HostState {
    const state = emptyHostState(host);
    putRecord(state, { kind: 'process', value: processRecord(PROCESS_GUID) });
    putRecord(state, { kind: 'process', value: processRecord(ODD_GUID, { commandLine: AWKWARD }) });
    putRecord(state, { kind: 'file', value: fileRecord(FILE_PATH) });
    putRecord(state, { kind: 'chain', value: chainRecord(CHAIN_GUID, 100_500) });
    putRecord(state, { kind: 'chain', value: chainRecord('0f0e0d0c-0000-0000-0000-0000000000cc') });
    return state;
}

function keysOf(state: HostState): Set<string> {
    return new Set([
        ...[...state.processes.keys()].map(stateKey.process),
        ...[...state.files.keys()].map(stateKey.file),
        ...[...state.chains.keys()].map(stateKey.chain),
    ]);
}

/** Saves `state` as new records into a freshly loaded (empty) host and returns the loaded state. */
async function seed(store: HostStateStore, host: string, state: HostState): Promise<LoadedHostState> {
    const loaded = await store.load(host);
    for (const record of [
        ...[...state.processes.values()].map((value) => ({ kind: 'process' as const, value })),
        ...[...state.files.values()].map((value) => ({ kind: 'file' as const, value })),
        ...[...state.chains.values()].map((value) => ({ kind: 'chain' as const, value })),
    ])
        putRecord(loaded.state, record);
    await store.save(host, loaded, keysOf(state), new Set());
    return loaded;
}

/** A pending delivery of version `version` of the incident of chain `chainGuid`. */
function outboxEntry(publisher: string, chainGuid: string, version: number): OutboxEntry {
    const chain = chainRecord(chainGuid);
    const incident: Incident = {
        id: chain.incident?.id ?? 'hti-0',
        version,
        host: 'WS-Ünïcode-01',
        technique: 'T1055.012',
        techniqueName: 'Process Hollowing',
        score: 90,
        severity: 'High',
        injector: { processGuid: 'injector', image: `C:\\${AWKWARD}.exe` },
        target: { processGuid: chainGuid, image: 'C:\\Windows\\System32\\svchost.exe' },
        firstSeen: '2026-11-25T10:00:02.000Z',
        lastSeen: '2026-11-25T10:00:04.000Z',
        signals: [],
        contributions: [],
        explanation: AWKWARD,
        createdAt: '2026-11-25T10:00:03.000Z',
        updatedAt: '2026-11-25T10:00:04.000Z',
    };
    return { publisher, chainKey: stateKey.chain(chainGuid), incident, createdAt: 1_795_000_004_000 };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
        () => undefined,
        (e: unknown) => e,
    );
}

/**
 * Declares the host-state contract for one implementation.
 * @param name - Shown in the test report.
 * @param makeStore - Returns a fresh, empty store for each case.
 * @param options - Implementation-specific expectations.
 */
export function hostStateStoreContract(
    name: string,
    makeStore: () => Promise<HostStateStore>,
    options: HostStateStoreContractOptions = {},
): void {
    describe(`HostStateStore contract: ${name}`, () => {
        it('loads an unknown host as empty, with no ETags', async () => {
            const store = await makeStore();
            const loaded = await store.load('never-seen');
            expect(loaded.state).toStrictEqual(emptyHostState('never-seen'));
            expect(loaded.etags.size).toBe(0);
        });

        it('round-trips process, file and chain records exactly, including one over 100,000 characters of JSON', async () => {
            const store = await makeStore();
            const host = 'WS-Ünïcode-01';
            const state = sampleState(host);
            expect(JSON.stringify(state.chains.get(CHAIN_GUID)).length).toBeGreaterThan(100_000);
            await seed(store, host, state);
            const loaded = await store.load(host);
            expect(loaded.state).toStrictEqual(state);
            expect(new Set(loaded.etags.keys())).toStrictEqual(keysOf(state));
        });

        it('fills the ETags of the saved records, equal to what a fresh load returns', async () => {
            const store = await makeStore();
            const saved = await seed(store, 'ws-01', sampleState('ws-01'));
            expect(new Set(saved.etags.keys())).toStrictEqual(keysOf(saved.state));
            for (const etag of saved.etags.values()) expect(etag).toMatch(/.+/);
            const fresh = await store.load('ws-01');
            expect(saved.etags).toStrictEqual(fresh.etags);
        });

        it('saves again with the ETags the first save returned (update path)', async () => {
            const store = await makeStore();
            const loaded = await seed(store, 'ws-01', sampleState('ws-01'));
            const before = new Map(loaded.etags);
            const key = stateKey.process(PROCESS_GUID);
            putRecord(loaded.state, {
                kind: 'process',
                value: processRecord(PROCESS_GUID, { commandLine: 'second "save"', updatedAt: 2 }),
            });
            const stats = await store.save('ws-01', loaded, new Set([key]), new Set());
            expect(stats.transactions).toBeGreaterThanOrEqual(1);
            expect(loaded.etags.get(key)).not.toBe(before.get(key));
            // A third save with the ETag of the second also succeeds.
            putRecord(loaded.state, {
                kind: 'process',
                value: processRecord(PROCESS_GUID, { commandLine: 'third', updatedAt: 3 }),
            });
            await store.save('ws-01', loaded, new Set([key]), new Set());
            const fresh = await store.load('ws-01');
            expect(fresh.state.processes.get(PROCESS_GUID)?.commandLine).toBe('third');
            expect(fresh.state).toStrictEqual(loaded.state);
        });

        it('rejects the second of two racing writers with ConcurrencyConflictError, applying none of its save', async () => {
            const store = await makeStore();
            await seed(store, 'ws-01', sampleState('ws-01'));
            const a = await store.load('ws-01');
            const b = await store.load('ws-01');
            const x = stateKey.process(PROCESS_GUID);
            putRecord(a.state, { kind: 'process', value: processRecord(PROCESS_GUID, { commandLine: 'by A' }) });
            await store.save('ws-01', a, new Set([x]), new Set());

            putRecord(b.state, { kind: 'process', value: processRecord(PROCESS_GUID, { commandLine: 'by B' }) });
            putRecord(b.state, { kind: 'process', value: processRecord('new-by-b') });
            const bEtags = new Map(b.etags);
            const error = await rejection(
                store.save('ws-01', b, new Set([x, stateKey.process('new-by-b')]), new Set()),
            );
            expect(error).toBeInstanceOf(ConcurrencyConflictError);
            expect((error as ConcurrencyConflictError).code).toBe('concurrency-conflict');
            expect(b.etags).toStrictEqual(bEtags);

            const fresh = await store.load('ws-01');
            expect(fresh.state.processes.get(PROCESS_GUID)?.commandLine).toBe('by A');
            expect(fresh.state.processes.has('new-by-b')).toBe(false);
            expect(fresh.state).toStrictEqual(a.state);
        });

        it('rejects creating a record another writer created meanwhile', async () => {
            const store = await makeStore();
            const a = await store.load('ws-01');
            const b = await store.load('ws-01');
            const key = stateKey.chain(CHAIN_GUID);
            putRecord(a.state, { kind: 'chain', value: chainRecord(CHAIN_GUID) });
            await store.save('ws-01', a, new Set([key]), new Set());

            putRecord(b.state, { kind: 'chain', value: { ...chainRecord(CHAIN_GUID), droppedEvidence: 99 } });
            const error = await rejection(store.save('ws-01', b, new Set([key]), new Set()));
            expect(error).toBeInstanceOf(ConcurrencyConflictError);
            expect(b.etags.has(key)).toBe(false);
            const fresh = await store.load('ws-01');
            expect(fresh.state.chains.get(CHAIN_GUID)?.droppedEvidence).toBe(3);
        });

        it('deletes a record with its ETag', async () => {
            const store = await makeStore();
            const loaded = await seed(store, 'ws-01', sampleState('ws-01'));
            const x = stateKey.chain(CHAIN_GUID);
            const odd = stateKey.process(ODD_GUID);
            loaded.state.chains.delete(CHAIN_GUID);
            loaded.state.processes.delete(ODD_GUID);
            const stats = await store.save('ws-01', loaded, new Set(), new Set([x, odd]));
            expect(stats.transactions).toBeGreaterThanOrEqual(1);
            expect(loaded.etags.has(x)).toBe(false);
            expect(loaded.etags.has(odd)).toBe(false);
            const fresh = await store.load('ws-01');
            expect(fresh.state).toStrictEqual(loaded.state);
            expect(fresh.state.chains.has(CHAIN_GUID)).toBe(false);
            expect(fresh.etags).toStrictEqual(loaded.etags);
        });

        it('rejects deleting a record another writer changed since it was loaded', async () => {
            const store = await makeStore();
            await seed(store, 'ws-01', sampleState('ws-01'));
            const a = await store.load('ws-01');
            const b = await store.load('ws-01');
            const x = stateKey.process(PROCESS_GUID);
            putRecord(a.state, { kind: 'process', value: processRecord(PROCESS_GUID, { commandLine: 'kept by A' }) });
            await store.save('ws-01', a, new Set([x]), new Set());

            b.state.processes.delete(PROCESS_GUID);
            const error = await rejection(store.save('ws-01', b, new Set(), new Set([x])));
            expect(error).toBeInstanceOf(ConcurrencyConflictError);
            const fresh = await store.load('ws-01');
            expect(fresh.state.processes.get(PROCESS_GUID)?.commandLine).toBe('kept by A');
        });

        it('accepts deleting a record another writer already deleted', async () => {
            const store = await makeStore();
            await seed(store, 'ws-01', sampleState('ws-01'));
            const a = await store.load('ws-01');
            const b = await store.load('ws-01');
            const x = stateKey.file(FILE_PATH);
            a.state.files.delete(FILE_PATH);
            await store.save('ws-01', a, new Set(), new Set([x]));
            b.state.files.delete(FILE_PATH);
            await store.save('ws-01', b, new Set(), new Set([x]));
            expect(b.etags.has(x)).toBe(false);
            const fresh = await store.load('ws-01');
            expect(fresh.state.files.size).toBe(0);
        });

        it('saves 250 changed records at once (more than one 100-operation transaction)', async () => {
            const store = await makeStore();
            const loaded = await store.load('ws-many');
            const keys = new Set<string>();
            for (let i = 0; i < 250; i++) {
                const guid = `0f0e0d0c-0000-0000-0000-${String(i).padStart(12, '0')}`;
                putRecord(loaded.state, { kind: 'process', value: processRecord(guid, { processId: i }) });
                keys.add(stateKey.process(guid));
            }
            const stats = await store.save('ws-many', loaded, keys, new Set());
            if (options.transactionsFor250Records !== undefined)
                expect(stats.transactions).toBe(options.transactionsFor250Records);
            else expect(stats.transactions).toBeGreaterThanOrEqual(1);
            expect(loaded.etags.size).toBe(250);
            const fresh = await store.load('ws-many');
            expect(fresh.state.processes.size).toBe(250);
            expect(fresh.state).toStrictEqual(loaded.state);
            expect(fresh.etags).toStrictEqual(loaded.etags);
        });

        it('lists the hosts whose meta record is due, lower-cased and sorted, by page, and forgets a removed host', async () => {
            const store = await makeStore();
            const now = new Date(1_795_000_000_000);
            await expect(store.listDueHosts(now, 10)).resolves.toStrictEqual([]);
            const dueAt: Record<string, number | undefined> = {
                'WS-B': now.getTime() - 1,
                'ws-a': now.getTime(),
                'o\'hara "pc"/1': now.getTime() - 60_000,
                'ws-later': now.getTime() + 1,
                'ws-legacy': undefined,
            };
            for (const [host, due] of Object.entries(dueAt)) {
                const loaded = await store.load(host);
                putRecord(loaded.state, { kind: 'process', value: processRecord(PROCESS_GUID) });
                loaded.state.meta = { saves: 1, updatedAt: 1, ...(due !== undefined && { dueAt: due }) };
                await store.save(host, loaded, new Set([stateKey.meta, stateKey.process(PROCESS_GUID)]), new Set());
            }
            await store.load('loaded-but-never-saved');
            await expect(store.listDueHosts(now, 10)).resolves.toStrictEqual(['o\'hara "pc"/1', 'ws-a', 'ws-b']);
            await expect(store.listDueHosts(now, 2)).resolves.toStrictEqual(['o\'hara "pc"/1', 'ws-a']);
            await expect(store.listDueHosts(now, 2, 'WS-A')).resolves.toStrictEqual(['ws-b']);
            await expect(store.listDueHosts(new Date(now.getTime() + 1), 10, 'ws-b')).resolves.toStrictEqual([
                'ws-later',
            ]);

            // A host whose records and meta record were deleted is gone.
            const a = await store.load('ws-a');
            a.state.processes.clear();
            await store.save('ws-a', a, new Set(), new Set([stateKey.process(PROCESS_GUID), stateKey.meta]));
            await expect(store.listDueHosts(now, 10)).resolves.toStrictEqual(['o\'hara "pc"/1', 'ws-b']);
            expect((await store.load('ws-a')).etags.size).toBe(0);
        });

        it('round-trips outbox entries and tombstones, and deletes an outbox entry once delivered', async () => {
            const store = await makeStore();
            const loaded = await store.load('ws-outbox');
            const chain = chainRecord(CHAIN_GUID);
            putRecord(loaded.state, { kind: 'chain', value: chain });
            const entry = outboxEntry('incidents', CHAIN_GUID, 2);
            putRecord(loaded.state, { kind: 'outbox', value: entry });
            putRecord(loaded.state, {
                kind: 'tombstone',
                value: {
                    targetGuid: ODD_GUID,
                    expiredAt: 5,
                    evidence: 3,
                    incidentId: 'hti-1',
                    version: 4,
                    updatedAt: 5,
                },
            });
            const outboxKey = stateKey.outbox('incidents', entry.incident.id, 2);
            await store.save(
                'ws-outbox',
                loaded,
                new Set([stateKey.chain(CHAIN_GUID), outboxKey, stateKey.tombstone(ODD_GUID)]),
                new Set(),
            );
            const fresh = await store.load('ws-outbox');
            expect(fresh.state).toStrictEqual(loaded.state);
            expect([...fresh.state.outbox.keys()]).toStrictEqual([outboxKey]);
            expect(fresh.state.tombstones.get(ODD_GUID)?.version).toBe(4);

            fresh.state.outbox.delete(outboxKey);
            await store.save('ws-outbox', fresh, new Set(), new Set([outboxKey]));
            // Deleting it again (another correlator delivered it too) is harmless.
            await store.save('ws-outbox', loaded, new Set(), new Set([outboxKey]));
            expect((await store.load('ws-outbox')).state.outbox.size).toBe(0);
        });

        it('commits an outbox entry with the chain record it names: a failed save leaves both or neither', async () => {
            const store = await makeStore();
            const host = 'ws-atomic';
            const stale = await store.load(host);
            // Another writer creates the record this save will try to create last.
            const other = await store.load(host);
            putRecord(other.state, { kind: 'process', value: processRecord('conflict') });
            await store.save(host, other, new Set([stateKey.process('conflict')]), new Set());

            // 1 meta + 98 processes + the chain fill one 100-action transaction if the chain's outbox entries are
            // not kept with it; they, and the conflicting create, would then land in a second one that fails.
            const keys = new Set<string>([stateKey.meta]);
            for (let i = 0; i < 98; i++) {
                const guid = `p-${String(i)}`;
                putRecord(stale.state, { kind: 'process', value: processRecord(guid) });
                keys.add(stateKey.process(guid));
            }
            putRecord(stale.state, { kind: 'chain', value: chainRecord(CHAIN_GUID) });
            keys.add(stateKey.chain(CHAIN_GUID));
            putRecord(stale.state, { kind: 'process', value: processRecord('conflict') });
            keys.add(stateKey.process('conflict'));
            for (const publisher of ['incidents', 'sentinel']) {
                const entry = outboxEntry(publisher, CHAIN_GUID, 2);
                putRecord(stale.state, { kind: 'outbox', value: entry });
                keys.add(stateKey.outbox(publisher, entry.incident.id, 2));
            }
            await expect(store.save(host, stale, keys, new Set())).rejects.toBeInstanceOf(ConcurrencyConflictError);
            const after = (await store.load(host)).state;
            expect(after.outbox.size).toBe(after.chains.has(CHAIN_GUID) ? 2 : 0);
        });

        it('keeps hosts apart, and treats host names differing only in case as one host', async () => {
            const store = await makeStore();
            const one = emptyHostState('HOST-1');
            putRecord(one, { kind: 'process', value: processRecord('guid-of-host-1') });
            const two = emptyHostState('host-2');
            putRecord(two, { kind: 'process', value: processRecord('guid-of-host-2') });
            await seed(store, 'HOST-1', one);
            await seed(store, 'host-2', two);

            const loaded = await store.load('host-1');
            expect([...loaded.state.processes.keys()]).toStrictEqual(['guid-of-host-1']);
            expect([...(await store.load('Host-2')).state.processes.keys()]).toStrictEqual(['guid-of-host-2']);

            // Saving under another casing updates the same records (the ETags match).
            putRecord(loaded.state, {
                kind: 'process',
                value: processRecord('guid-of-host-1', { commandLine: 'via lower case' }),
            });
            await store.save('host-1', loaded, new Set([stateKey.process('guid-of-host-1')]), new Set());
            expect((await store.load('HOST-1')).state.processes.get('guid-of-host-1')?.commandLine).toBe(
                'via lower case',
            );
            expect([...(await store.load('host-2')).state.processes.keys()]).toStrictEqual(['guid-of-host-2']);
        });
    });
}
