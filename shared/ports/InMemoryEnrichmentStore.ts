import type { EnrichmentStore, StoredEnrichment } from './enrichmentStore';

/** Keeps enrichment results in process memory, copied in and out. */
export class InMemoryEnrichmentStore implements EnrichmentStore {
    private readonly entries = new Map<string, StoredEnrichment>();

    get(incidentId: string, incidentVersion: number): Promise<StoredEnrichment | undefined> {
        const found = this.entries.get(`${incidentId}|${incidentVersion}`);
        return Promise.resolve(found && structuredClone(found));
    }

    put(entry: StoredEnrichment): Promise<void> {
        this.entries.set(`${entry.incidentId}|${entry.incidentVersion}`, structuredClone(entry));
        return Promise.resolve();
    }
}
