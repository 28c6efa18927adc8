/**
 * @module Incident-enricher port: adds what the Sentinel workspace knows about an incident to the playbook's answer.
 * Optional: without one the answer comes unenriched. Implementation: `WorkspaceIncidentEnricher` (shared/api).
 */
import type { EnrichmentSummary } from '../api/comment';
import type { Incident } from '../correlate/incident';

/** Enriches one incident from the Sentinel workspace; optional (the answer comes without it). */
export interface IncidentEnricher {
    enrich(incident: Incident, now: Date): Promise<unknown>;
    summarize(enrichment: unknown): EnrichmentSummary;
}
