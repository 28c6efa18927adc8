/**
 * @module Incident-store port: the published incidents, idempotent by (id, version). Implementations:
 * `InMemoryIncidentStore` and `TableIncidentStore` (shared/storage/table); one contract suite for both.
 */
import type { Technique } from './evaluate';
import type { Incident } from './incident';

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

/** Whether an incident matches the query's filters (shared by both stores so they agree exactly). */
export function matchesQuery(incident: Incident, query: IncidentQuery): boolean {
    if (query.host !== undefined && incident.host.toLowerCase() !== query.host.toLowerCase()) return false;
    if (query.since !== undefined && incident.lastSeen < query.since) return false;
    if (query.until !== undefined && incident.lastSeen > query.until) return false;
    if (query.technique !== undefined && incident.technique !== query.technique) return false;
    if (query.minScore !== undefined && incident.score < query.minScore) return false;
    return true;
}

export class InMemoryIncidentStore implements IncidentStore {
    private readonly incidents = new Map<string, Incident>();

    upsert(incidents: readonly Incident[]): Promise<void> {
        for (const incident of incidents) {
            const existing = this.incidents.get(incident.id);
            if (!existing || existing.version <= incident.version)
                this.incidents.set(incident.id, structuredClone(incident));
        }
        return Promise.resolve();
    }

    get(id: string): Promise<Incident | undefined> {
        const found = this.incidents.get(id);
        return Promise.resolve(found && structuredClone(found));
    }

    query(query: IncidentQuery): Promise<IncidentPage> {
        const sorted = [...this.incidents.values()]
            .filter((i) => matchesQuery(i, query))
            .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const start = query.continuationToken ? sorted.findIndex((i) => i.id > (query.continuationToken as string)) : 0;
        const from = start === -1 ? sorted.length : start;
        const limit = query.limit ?? 100;
        const page = sorted.slice(from, from + limit).map((i) => structuredClone(i));
        const last = page[page.length - 1];
        return Promise.resolve({
            incidents: page,
            ...(from + limit < sorted.length && last && { continuationToken: last.id }),
        });
    }
}
