/**
 * Runs the dead-letter contract against Azure Table Storage, emulated by the Azurite instance that
 * test/support/azuriteGlobalSetup.ts starts in-process. Each store gets its own table, dropped in `afterAll`.
 */
import { closedPortClient, expectStorageUnavailable, testTables } from '../support/tables';
import { odata } from '@azure/data-tables';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { StorageUnavailableError } from '../../shared/errors';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { decodeTableKey, encodeTableKey } from '../../shared/storage/table/tableSupport';
import { deadLetterStoreContract } from '../contracts/deadLetterStoreContract';
import { deadLetterCursor } from '../../shared/ingest/deadLetter';
import type { DeadLetter } from '../../shared/ingest/deadLetter';
import { DEAD_LETTER_BUCKETS, deadLetterBucket } from '../../shared/storage/table/TableDeadLetterStore';
import { countEntitiesRead } from '../../tools/local/tableReadCounter';

const tables = testTables(inject('tablesConnectionString'), 'deadletters');

async function makeStore(): Promise<TableDeadLetterStore> {
    return TableDeadLetterStore.create(tables.newClient());
}

function letter(id: string, rejectedAt: string): DeadLetter {
    return {
        id,
        reason: 'r',
        detail: 'd',
        raw: '',
        rawTruncated: false,
        rawBytes: 0,
        messageIndex: 0,
        recordIndex: 0,
        rejectedAt,
    };
}

afterAll(() => tables.dropAll());

deadLetterStoreContract('TableDeadLetterStore on Azurite', makeStore);

describe('TableDeadLetterStore', () => {
    it('moves letters stored before bucketing (PartitionKey: the day) into buckets, losing none, once', async () => {
        const client = tables.newClient();
        const store = await TableDeadLetterStore.create(client);
        // 230 letters as the version before bucketing wrote them: PartitionKey the day, the same properties.
        const old = Array.from({ length: 230 }, (_, i) => ({
            ...letter(`p1-s${String(i)}-r0`, `2026-11-${String(20 + (i % 3))}T10:00:00.000Z`),
            raw: `{"n":${String(i)}}`,
            rawBytes: 8,
        }));
        const unknownDay = { ...letter('p1-sx-r0', 'not a time'), raw: 'x', rawBytes: 1 };
        for (const l of [...old, unknownDay])
            await client.createEntity({
                partitionKey: Number.isNaN(Date.parse(l.rejectedAt)) ? '0000-00-00' : l.rejectedAt.slice(0, 10),
                rowKey: l.id,
                ...l,
                rawBytes: { value: l.rawBytes, type: 'Double' },
                messageIndex: { value: 0, type: 'Double' },
                recordIndex: { value: 0, type: 'Double' },
            });
        const recent = letter('p2-s1-r0', '2026-12-01T10:00:00.000Z');
        await store.putMany([recent]);
        expect(await store.list()).toStrictEqual([recent]); // the old layout is not read

        const moved: number[] = [];
        for (let n = await store.moveFromDayPartitions(); n > 0; n = await store.moveFromDayPartitions()) moved.push(n);
        expect(moved.reduce((a, b) => a + b, 0)).toBe(231);
        expect(moved.length).toBeGreaterThan(1); // a page at a time
        const listed = await store.list();
        expect(listed).toHaveLength(232);
        expect(new Set(listed.map((l) => JSON.stringify(l)))).toEqual(
            new Set([...old, unknownDay, recent].map((l) => JSON.stringify(l))),
        );
        let dayPartitions = 0;
        for await (const entity of client.listEntities({ queryOptions: { select: ['PartitionKey'] } }))
            if (/^\d{4}-\d{2}-\d{2}$/.test(entity.partitionKey ?? '')) dayPartitions++;
        expect(dayPartitions).toBe(0);
        expect(await store.moveFromDayPartitions()).toBe(0);
    }, 120_000);

    it('creating twice is harmless (409 TableAlreadyExists is ignored)', async () => {
        const store = await makeStore();
        await store.ensureTable();
        await expect(store.list()).resolves.toStrictEqual([]);
    });

    it('keys entities by bucket and complemented UTC day, and by escaped id, so one day spreads over partitions', async () => {
        const client = tables.newClient();
        const store = await TableDeadLetterStore.create(client);
        // 23:30 at -02:00 is the next day in UTC.
        await store.putMany([letter('a/b', '2026-11-24T23:30:00.000-02:00'), letter('c', '2026-11-24T10:00:00.000Z')]);
        const day = client.listEntities({ queryOptions: { filter: odata`day eq ${'2026-11-25'}` } });
        const rows: Record<string, unknown>[] = [];
        for await (const row of day) rows.push(row);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
            partitionKey: `${deadLetterBucket('a/b')}-7973-88-74`,
            rowKey: 'a%2Fb',
            id: 'a/b',
            day: '2026-11-25',
        });

        const many = Array.from({ length: 200 }, (_, i) => letter(`p0-s${String(i)}-r0`, '2026-11-25T10:00:00.000Z'));
        await store.putMany(many);
        const partitions = new Set<string>();
        for await (const row of client.listEntities()) partitions.add(row.partitionKey ?? '');
        // 200 ids over 16 buckets: every bucket of the day is used (a hash that sent them all to one would fail this).
        expect(partitions.size).toBe(DEAD_LETTER_BUCKETS + 1);
    });

    it('reads a bounded number of entities per page, whatever the table holds (counted on the wire)', async () => {
        const client = tables.newClient();
        const counter = countEntitiesRead(client);
        const store = await TableDeadLetterStore.create(client);
        const readPerPage: number[] = [];
        const bytesPerPage: number[] = [];
        const raw = 'x'.repeat(4000);
        let stored = 0;
        for (const total of [50, 400, 1600]) {
            const batch = Array.from({ length: total - stored }, (_, i) => {
                const n = stored + i;
                // Three days, so pages cross partitions and days.
                return {
                    ...letter(`p${String(n % 4)}-s${String(n)}-r0`, `2026-11-2${String(3 + (n % 3))}T10:00:00.000Z`),
                    raw,
                };
            });
            await store.putMany(batch);
            stored = total;
            counter.reset();
            const first = await store.list({ limit: 1, sinceDay: '2026-11-20' });
            const second = await store.list({ limit: 1, sinceDay: '2026-11-20', after: deadLetterCursor(first[0]!) });
            expect(first).toHaveLength(1);
            expect(second).toHaveLength(1);
            readPerPage.push(counter.read / 2);
            bytesPerPage.push(counter.bytes / 2);
        }
        // A page of one reads at most one key per bucket and one whole letter, at 50 letters as at 1,600.
        for (const read of readPerPage) expect(read).toBeLessThanOrEqual(DEAD_LETTER_BUCKETS + 1);
        expect(readPerPage[2]).toBe(readPerPage[0]);
        // Keys first, then whole letters: one raw text per page, not one per bucket.
        for (const bytes of bytesPerPage) expect(bytes).toBeLessThan(3 * raw.length);
        // The count is real: listing everything reads every letter.
        counter.reset();
        await expect(store.list()).resolves.toHaveLength(1600);
        expect(counter.read).toBe(1600);
    });

    it('escapes keys reversibly', () => {
        for (const id of ['a/b\\c#d?e%f', '%2F', 'x\u0000\u001f\u007f\u009fy', 'plain']) {
            const key = encodeTableKey(id);
            // eslint-disable-next-line no-control-regex -- checking that control characters are gone
            expect(key).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
            expect(decodeTableKey(key)).toBe(id);
        }
        expect(encodeTableKey('a/b%')).toBe('a%2Fb%25');
    });

    it('rejects with StorageUnavailableError when the service is unreachable', async () => {
        const store = new TableDeadLetterStore(closedPortClient());
        expectStorageUnavailable(
            await store.putMany([letter('x', '2026-11-25T00:00:00.000Z')]).then(
                () => undefined,
                (e: unknown) => e,
            ),
        );
    });

    it('reports the table name and HTTP status when the service refuses', async () => {
        // A table that was never created: the transaction gets a 404 from Azurite.
        const client = tables.missingClient();
        const store = new TableDeadLetterStore(client);
        const error: unknown = await store.putMany([letter('x', '2026-11-25T00:00:00.000Z')]).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StorageUnavailableError);
        expect((error as Error).message).toMatch(new RegExp(`'${client.tableName}'.*HTTP 404`));
        // The cause keeps status and code but not the request, whose signed Authorization header reporters print.
        const cause = (error as Error).cause as { statusCode?: number; request?: unknown; response?: unknown };
        expect(cause.statusCode).toBe(404);
        expect(cause.request).toBeUndefined();
        expect(cause.response).toBeUndefined();
    });
});
