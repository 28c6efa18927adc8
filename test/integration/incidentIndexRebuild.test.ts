/**
 * `TableIncidentStore.rebuildIndex` on Azurite: a table written before the index rows existed (simulated by deleting
 * them) finds its incidents by id and by short host name again once the index is rebuilt, page by page, and a second
 * rebuild changes nothing.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { incidentId, sampleIncident } from '../helpers/incidents';

const table = `reindex${Date.now().toString(36)}`;
const client = createTableClientFromConnectionString(inject('tablesConnectionString'), table);
afterAll(() => client.deleteTable());

/** Index rows are the ones whose PartitionKey starts with `%` (escaped keys never do, tableSupport.ts). */
async function indexRows(): Promise<{ partitionKey: string; rowKey: string }[]> {
    const rows: { partitionKey: string; rowKey: string }[] = [];
    for await (const entity of client.listEntities({ queryOptions: { select: ['PartitionKey', 'RowKey'] } }))
        if (entity.partitionKey?.startsWith('%'))
            rows.push({ partitionKey: entity.partitionKey, rowKey: entity.rowKey ?? '' });
    return rows.sort((a, b) => (a.partitionKey + a.rowKey < b.partitionKey + b.rowKey ? -1 : 1));
}

describe('rebuilding the incident index', () => {
    it('makes incidents stored without index rows findable by id and short host name, idempotently', async () => {
        const store = await TableIncidentStore.create(client);
        // More incidents than one page of the rebuild (1,000), over a few hosts.
        const incidents = Array.from({ length: 1_030 }, (_, i) =>
            sampleIncident(incidentId(i + 1), { host: `WS${String(i % 7).padStart(2, '0')}.contoso.local` }),
        );
        await store.upsert(incidents);
        const written = await indexRows();
        expect(written.length).toBe(1_030 + 7);
        for (const row of written) await client.deleteEntity(row.partitionKey, row.rowKey);
        expect(await store.get(incidentId(500))).toBeUndefined();
        expect(await store.hostsByShortName('ws03')).toEqual([]);

        let pages = 0;
        let indexed = 0;
        let token: string | undefined;
        do {
            const page = await store.rebuildIndex(token);
            pages++;
            indexed += page.indexed;
            token = page.continuationToken;
        } while (token !== undefined);
        expect(indexed).toBe(1_030);
        expect(pages).toBeGreaterThanOrEqual(2);
        expect(await indexRows()).toEqual(written);
        expect(await store.get(incidentId(500))).toEqual(incidents[499]);
        expect(await store.hostsByShortName('ws03')).toEqual(['ws03.contoso.local']);

        await store.rebuildIndex();
        expect(await indexRows()).toEqual(written);
    }, 120_000);
});
