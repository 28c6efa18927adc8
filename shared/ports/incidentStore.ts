/**
 * @module Incident-store port: the published incidents, idempotent by (id, version). Implementations:
 * `InMemoryIncidentStore` (beside this file) and `TableIncidentStore` (shared/storage/table); one contract suite for both.
 */
import type { Technique } from '../correlate/evaluate';
import type { Incident } from '../correlate/incident';

export interface IncidentQuery {
    host?: string;
    /** ISO times: incidents whose lastSeen is at or after `since` and at or before `until`. */
    since?: string;
    until?: string;
    technique?: Technique;
    minScore?: number;
    limit?: number;
    continuationToken?: string;
}

export interface IncidentPage {
    incidents: Incident[];
    continuationToken?: string;
}

export interface IncidentStore {
    /** Stores incidents; an older version never replaces a newer one. Throws `StorageUnavailableError`. */
    upsert(incidents: readonly Incident[]): Promise<void>;
    get(id: string): Promise<Incident | undefined>;
    query(query: IncidentQuery): Promise<IncidentPage>;
}
