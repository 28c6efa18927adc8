/**
 * @module Incident-enricher port: adds what the Sentinel workspace knows about incidents to the playbook's answer.
 * Optional: without one the answer comes unenriched. Implementation: `WorkspaceIncidentEnricher` (shared/api).
 */
import type { EnrichmentSummary } from '../api/comment';
import type { Incident } from '../correlate/incident';

/** Enriches incidents from the Sentinel workspace; optional (the answer comes without it). */
export interface IncidentEnricher {
    /**
     * Enriches every incident, concurrently, within one time budget for the whole call; never throws. Result `i`
     * belongs to `incidents[i]`; an incident the budget could not cover comes back unavailable, saying why.
     */
    enrichAll(incidents: readonly Incident[], now: Date): Promise<unknown[]>;
    summarize(enrichment: unknown): EnrichmentSummary;
}
