import type { Incident } from '../correlate/incident';
import { matchesQuery } from '../correlate/incident';
import { InvalidContinuationTokenError } from '../errors';
import type { IncidentPage, IncidentQuery, IncidentStore } from './incidentStore';
import { MAX_HOSTS_PER_SHORT_NAME, continuationTokenJson, isWellFormedText, shortHostName } from './incidentStore';

/** The token is opaque to callers, like Table Storage's: base64url JSON naming the last id returned. */
function encodeToken(lastId: string): string {
    return Buffer.from(JSON.stringify({ after: lastId }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
    const parsed = continuationTokenJson(token);
    const after = (parsed as { after?: unknown } | undefined)?.after;
    if (typeof after !== 'string' || encodeToken(after) !== token)
        throw new InvalidContinuationTokenError('the continuation token is not one this store issued');
    return after;
}

/** Keeps incidents in process memory, copied in and out (tests and `hollowtrace replay`). */
export class InMemoryIncidentStore implements IncidentStore {
    private readonly incidents = new Map<string, Incident>();
    /** Short host name → lower-cased hosts, the index the Table store keeps as rows. */
    private readonly hostsByShort = new Map<string, Set<string>>();

    upsert(incidents: readonly Incident[]): Promise<void> {
        for (const incident of incidents) {
            const existing = this.incidents.get(incident.id);
            if (!existing || existing.version <= incident.version) {
                this.incidents.set(incident.id, structuredClone(incident));
                const short = shortHostName(incident.host);
                const hosts = this.hostsByShort.get(short) ?? new Set<string>();
                hosts.add(incident.host.toLowerCase());
                this.hostsByShort.set(short, hosts);
            }
        }
        return Promise.resolve();
    }

    get(id: string): Promise<Incident | undefined> {
        const found = this.incidents.get(id);
        return Promise.resolve(found && structuredClone(found));
    }

    query(query: IncidentQuery): Promise<IncidentPage> {
        // Inside `then`, so a bad token rejects the promise like the Table store's does.
        return Promise.resolve().then(() => this.page(query));
    }

    private page(query: IncidentQuery): IncidentPage {
        const after = query.continuationToken !== undefined ? decodeToken(query.continuationToken) : undefined;
        if (query.host !== undefined && !isWellFormedText(query.host)) return { incidents: [] };
        const sorted = [...this.incidents.values()]
            .filter((i) => matchesQuery(i, query))
            .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const start = after !== undefined ? sorted.findIndex((i) => i.id > after) : 0;
        const from = start === -1 ? sorted.length : start;
        const limit = query.limit ?? 100;
        const page = sorted.slice(from, from + limit).map((i) => structuredClone(i));
        const last = page[page.length - 1];
        return {
            incidents: page,
            ...(from + limit < sorted.length && last && { continuationToken: encodeToken(last.id) }),
        };
    }

    hostsByShortName(shortName: string): Promise<string[]> {
        const hosts = this.hostsByShort.get(shortName.toLowerCase()) ?? new Set<string>();
        return Promise.resolve([...hosts].sort().slice(0, MAX_HOSTS_PER_SHORT_NAME));
    }
}
