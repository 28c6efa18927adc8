import type { Incident } from '../correlate/incident';
import { matchesQuery } from '../correlate/incident';
import type { IncidentPage, IncidentQuery, IncidentStore } from './incidentStore';

/** Keeps incidents in process memory, copied in and out (tests and `hollowtrace replay`). */
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
