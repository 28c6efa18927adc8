/**
 * @module Workspace enrichment results, kept per incident version so a playbook call never waits on Log Analytics
 * twice for the same incident. Implementations: `InMemoryEnrichmentStore` and `TableEnrichmentStore`.
 */

export interface StoredEnrichment {
    incidentId: string;
    incidentVersion: number;
    /** The enrichment as returned by shared/enrich (opaque here). */
    enrichment: unknown;
}

export interface EnrichmentStore {
    get(incidentId: string, incidentVersion: number): Promise<StoredEnrichment | undefined>;
    put(entry: StoredEnrichment): Promise<void>;
}

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
