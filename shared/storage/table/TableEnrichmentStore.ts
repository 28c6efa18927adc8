/**
 * @module Azure Table adapter of the enrichment cache: PartitionKey = incident id, RowKey = incident version, the
 * enrichment JSON split over `v0..vN` like the state records. Passes test/contracts/enrichmentStoreContract.ts.
 */
import type { EnrichmentStore, StoredEnrichment } from '../../ports/enrichmentStore';
import { encodeTableKey, joinJson, splitJson, statusOf, toStorageError } from './tableSupport';
import { TableStore } from './TableStore';

export class TableEnrichmentStore extends TableStore implements EnrichmentStore {
    async get(incidentId: string, incidentVersion: number): Promise<StoredEnrichment | undefined> {
        try {
            const entity = await this.client.getEntity<Record<string, unknown>>(
                encodeTableKey(incidentId),
                String(incidentVersion),
            );
            return {
                incidentId,
                incidentVersion,
                enrichment: JSON.parse(joinJson(entity, `enrichment of ${incidentId}`)) as unknown,
            };
        } catch (e) {
            if (statusOf(e) === 404) return undefined;
            throw toStorageError(this.client.tableName, 'read', e);
        }
    }

    async put(entry: StoredEnrichment): Promise<void> {
        try {
            const json = JSON.stringify(entry.enrichment ?? null);
            await this.client.upsertEntity(
                {
                    partitionKey: encodeTableKey(entry.incidentId),
                    rowKey: String(entry.incidentVersion),
                    ...splitJson(json, `enrichment of ${entry.incidentId}`),
                },
                'Replace',
            );
        } catch (e) {
            throw toStorageError(this.client.tableName, 'write', e);
        }
    }
}
