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
import type { DeadLetter } from '../../shared/ingest/deadLetter';

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
    it('creating twice is harmless (409 TableAlreadyExists is ignored)', async () => {
        const store = await makeStore();
        await store.ensureTable();
        await expect(store.list()).resolves.toStrictEqual([]);
    });

    it('keys entities by UTC day and escaped id, so an operator can list a day', async () => {
        const client = tables.newClient();
        const store = await TableDeadLetterStore.create(client);
        // 23:30 at -02:00 is the next day in UTC.
        await store.putMany([letter('a/b', '2026-11-24T23:30:00.000-02:00'), letter('c', '2026-11-24T10:00:00.000Z')]);
        const day = client.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${'2026-11-25'}` } });
        const rows: Record<string, unknown>[] = [];
        for await (const row of day) rows.push(row);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ partitionKey: '2026-11-25', rowKey: 'a%2Fb', id: 'a/b' });
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
