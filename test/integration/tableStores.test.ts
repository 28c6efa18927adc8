/**
 * Runs the host-state and incident contracts against Azure Table Storage, emulated by the Azurite instance that
 * test/support/azuriteGlobalSetup.ts starts in-process, plus the Table-specific behaviour (entity layout, limits,
 * error mapping). Each store gets its own table, dropped in `afterAll`.
 */
import { closedPortClient, expectStorageUnavailable, testTables } from '../support/tables';
import { type TableClient, type TableTransactionResponse, odata } from '@azure/data-tables';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ConcurrencyConflictError, StorageUnavailableError } from '../../shared/errors';
import { emptyHostState, putRecord, stateKey } from '../../shared/correlate/state';
import { MAX_PART_CHARS, MAX_PARTS, joinJson, splitJson } from '../../shared/storage/table/tableSupport';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { hostStateStoreContract } from '../contracts/hostStateStoreContract';
import { incidentStoreContract } from '../contracts/incidentStoreContract';
import { sampleIncident } from '../helpers/sampleIncident';

const { newClient, missingClient, dropAll } = testTables(inject('tablesConnectionString'), 'stores');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
        () => undefined,
        (e: unknown) => e,
    );
}

async function rows(client: TableClient, filter?: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for await (const row of client.listEntities<Record<string, unknown>>(
        filter !== undefined ? { queryOptions: { filter } } : {},
    ))
        out.push(row);
    return out;
}

/**
 * A client whose transaction results lack the sub-responses' ETags (as if the service had not sent the header),
 * running `between` after the transaction and before the store sees the result.
 */
function withoutSubResponseEtags(
    client: TableClient,
    between: () => Promise<void> = () => Promise.resolve(),
): TableClient {
    const wrapped = Object.create(client) as TableClient;
    wrapped.submitTransaction = async (
        ...args: Parameters<TableClient['submitTransaction']>
    ): Promise<TableTransactionResponse> => {
        const result = await client.submitTransaction(...args);
        await between();
        return { ...result, subResponses: result.subResponses.map(({ etag: _etag, ...rest }) => rest) };
    };
    return wrapped;
}

afterAll(() => dropAll());

// 250 records: 100 + 100 + 50 (learn.microsoft.com "Performing entity group transactions": at most 100 operations).
hostStateStoreContract('TableHostStateStore on Azurite', () => TableHostStateStore.create(newClient()), {
    transactionsFor250Records: 3,
});
incidentStoreContract('TableIncidentStore on Azurite', () => TableIncidentStore.create(newClient()));

describe('TableHostStateStore', () => {
    it('creating twice is harmless (409 TableAlreadyExists is ignored)', async () => {
        const store = await TableHostStateStore.create(newClient());
        await store.ensureTable();
        await expect(store.listDueHosts(new Date(), 10)).resolves.toStrictEqual([]);
    });

    it('keeps one entity per record, keyed by escaped host and record key, its JSON split into well-formed parts', async () => {
        const client = newClient();
        const store = await TableHostStateStore.create(client);
        const host = "O'Hara/PC";
        const loaded = await store.load(host);
        const guid = 'big/guid';
        // Astral characters at every other position, so a 30,000-character cut would split a surrogate pair.
        const commandLine = `x${'😀'.repeat(40_000)}\u2028end`;
        putRecord(loaded.state, { kind: 'process', value: { guid, commandLine, followUps: [], updatedAt: 1 } });
        await store.save(host, loaded, new Set([stateKey.process(guid)]), new Set());

        const [row, ...others] = await rows(client);
        expect(others).toHaveLength(0);
        expect(row).toMatchObject({ partitionKey: "o'hara%2Fpc", rowKey: 'p:big%2Fguid', kind: 'process', parts: 3 });
        for (let i = 0; i < 3; i++) {
            const part = row![`v${String(i)}`] as string;
            expect(part.length).toBeLessThanOrEqual(MAX_PART_CHARS);
            expect(part).not.toMatch(/[\ud800-\udbff]$/);
            expect(part).not.toMatch(/^[\udc00-\udfff]/);
            expect(part).not.toMatch(/[\u2028\u2029]/);
        }
        expect((await store.load(host.toUpperCase())).state.processes.get(guid)?.commandLine).toBe(commandLine);
    });

    it('refuses a record over 14 parts with a plain Error, writing nothing of the save', async () => {
        const client = newClient();
        const store = await TableHostStateStore.create(client);
        const loaded = await store.load('ws-01');
        putRecord(loaded.state, { kind: 'process', value: { guid: 'small', followUps: [], updatedAt: 1 } });
        putRecord(loaded.state, {
            kind: 'process',
            value: { guid: 'huge', commandLine: 'x'.repeat(MAX_PARTS * MAX_PART_CHARS), followUps: [], updatedAt: 1 },
        });
        const error = await rejection(
            store.save('ws-01', loaded, new Set([stateKey.process('small'), stateKey.process('huge')]), new Set()),
        );
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(StorageUnavailableError);
        expect((error as Error).message).toMatch(/state record p:huge of host ws-01 is too large/);
        await expect(rows(client)).resolves.toHaveLength(0);
    });

    it('splits and joins JSON at the limits', () => {
        expect(splitJson('', 'empty')).toStrictEqual({ v0: '', parts: 1 });
        const full = 'y'.repeat(MAX_PARTS * MAX_PART_CHARS);
        const split = splitJson(full, 'full');
        expect(split.parts).toBe(MAX_PARTS);
        expect(joinJson(split, 'full')).toBe(full);
        expect(() => splitJson(`${full}y`, 'one too many')).toThrow(/one too many is too large/);
        expect(() => joinJson({ parts: 2, v0: 'a' }, 'torn')).toThrow(/torn is incomplete/);
    });

    it('writes 250 records with large JSON in transactions cut by payload size (4 MiB), not only by count', async () => {
        const store = await TableHostStateStore.create(newClient());
        const loaded = await store.load('ws-big');
        const keys = new Set<string>();
        for (let i = 0; i < 250; i++) {
            const guid = `g${String(i).padStart(3, '0')}`;
            // ~45,000 UTF-8 bytes each (one part), so 100 of them would exceed one transaction's 4 MiB.
            putRecord(loaded.state, {
                kind: 'process',
                value: { guid, commandLine: '漢'.repeat(15_000), followUps: [], updatedAt: i },
            });
            keys.add(stateKey.process(guid));
        }
        const stats = await store.save('ws-big', loaded, keys, new Set());
        expect(stats.transactions).toBeGreaterThan(3);
        const fresh = await store.load('ws-big');
        expect(fresh.state).toStrictEqual(loaded.state);
    });

    it('recovers a missing sub-response ETag with a point read when the entity still holds what was written', async () => {
        const client = newClient();
        const store = await TableHostStateStore.create(withoutSubResponseEtags(client));
        const loaded = await store.load('ws-01');
        putRecord(loaded.state, { kind: 'process', value: { guid: 'a', followUps: [], updatedAt: 1 } });
        await store.save('ws-01', loaded, new Set([stateKey.process('a')]), new Set());
        expect(loaded.etags).toStrictEqual((await store.load('ws-01')).etags);
    });

    it('reports a conflict when the ETag is missing and another writer changed the entity right after the save', async () => {
        const client = newClient();
        const other = new TableHostStateStore(client);
        const store = await TableHostStateStore.create(
            withoutSubResponseEtags(client, async () => {
                const theirs = await other.load('ws-01');
                putRecord(theirs.state, {
                    kind: 'process',
                    value: { guid: 'a', commandLine: 'theirs', followUps: [], updatedAt: 2 },
                });
                await other.save('ws-01', theirs, new Set([stateKey.process('a')]), new Set());
            }),
        );
        const loaded = await store.load('ws-01');
        putRecord(loaded.state, {
            kind: 'process',
            value: { guid: 'a', commandLine: 'ours', followUps: [], updatedAt: 1 },
        });
        const error = await rejection(store.save('ws-01', loaded, new Set([stateKey.process('a')]), new Set()));
        expect(error).toBeInstanceOf(ConcurrencyConflictError);
        // Their ETag must not be taken for ours: the next conditional write would overwrite their change.
        expect(loaded.etags.has(stateKey.process('a'))).toBe(false);
    });

    it('rejects load, save and listDueHosts with StorageUnavailableError when the service is unreachable', async () => {
        const store = new TableHostStateStore(closedPortClient());
        expectStorageUnavailable(await rejection(store.load('ws-01')));

        const loaded = { state: emptyHostState('ws-01'), etags: new Map<string, string>() };
        putRecord(loaded.state, { kind: 'process', value: { guid: 'a', followUps: [], updatedAt: 1 } });
        await expect(store.save('ws-01', loaded, new Set([stateKey.process('a')]), new Set())).rejects.toBeInstanceOf(
            StorageUnavailableError,
        );
        await expect(store.listDueHosts(new Date(), 10)).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it('reports a missing table as StorageUnavailableError with its HTTP status, not as a conflict', async () => {
        const store = new TableHostStateStore(missingClient());
        const loaded = await rejection(store.load('ws-01'));
        expect(loaded).toBeInstanceOf(StorageUnavailableError);
        const state = {
            state: emptyHostState('ws-01'),
            etags: new Map([['p:a', 'W/"datetime\'2026-11-25T00%3A00%3A00.0000000Z\'"']]),
        };
        putRecord(state.state, { kind: 'process', value: { guid: 'a', followUps: [], updatedAt: 1 } });
        const error = await rejection(store.save('ws-01', state, new Set(['p:a']), new Set()));
        expect(error).toBeInstanceOf(StorageUnavailableError);
        expect((error as Error).message).toMatch(/HTTP 404/);
    });
});

describe('TableIncidentStore', () => {
    it('creating twice is harmless (409 TableAlreadyExists is ignored)', async () => {
        const store = await TableIncidentStore.create(newClient());
        await store.ensureTable();
        await expect(store.query({})).resolves.toStrictEqual({ incidents: [] });
    });

    it('stores the queryable properties beside the JSON, typed for OData comparisons', async () => {
        const client = newClient();
        const store = await TableIncidentStore.create(client);
        const stored = sampleIncident('hti-1', 3, { host: 'WS/01', score: 75, technique: 'T1055' });
        await store.upsert([stored]);
        const [row] = await rows(client, odata`score ge ${75} and version eq ${3}`);
        expect(row).toMatchObject({
            partitionKey: 'ws%2F01',
            rowKey: 'hti-1',
            host: 'WS/01',
            version: 3,
            score: 75,
            technique: 'T1055',
            lastSeen: '2026-11-25T10:00:05.000Z',
            parts: 1,
        });
        expect(JSON.parse(joinJson(row!, 'row'))).toStrictEqual(stored);
    });

    it('keeps the newest version when writers race', async () => {
        const client = newClient();
        await TableIncidentStore.create(client);
        // Five writers: each failed attempt means another writer's write succeeded, so at most four retries each.
        const writers = Array.from({ length: 5 }, () => new TableIncidentStore(client));
        await Promise.all(
            writers.map((w, i) => w.upsert([sampleIncident('hti-race', i + 1, { score: 10 * (i + 1) })])),
        );
        await expect(writers[0]!.get('hti-race')).resolves.toStrictEqual(sampleIncident('hti-race', 5, { score: 50 }));
    });

    it('refuses a non-integer score with a plain Error (it is stored as Int32 to be filtered on)', async () => {
        const client = newClient();
        const store = await TableIncidentStore.create(client);
        const error = await rejection(
            store.upsert([sampleIncident('hti-ok'), sampleIncident('hti-bad', 1, { score: 50.5 })]),
        );
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(StorageUnavailableError);
        await expect(rows(client)).resolves.toHaveLength(0);
    });

    it('rejects upsert, get and query with StorageUnavailableError when the service is unreachable', async () => {
        const store = new TableIncidentStore(closedPortClient());
        expectStorageUnavailable(await rejection(store.upsert([sampleIncident('hti-1')])));
        await expect(store.get('hti-1')).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(store.query({ host: 'ws-01' })).rejects.toBeInstanceOf(StorageUnavailableError);
    });
});
