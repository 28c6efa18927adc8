/**
 * @module Enrichment-store port: workspace enrichment results, kept per incident version so a playbook call never waits on Log Analytics
 * twice for the same incident. Implementations: `InMemoryEnrichmentStore` (beside this file) and
 * `TableEnrichmentStore` (shared/storage/table).
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
