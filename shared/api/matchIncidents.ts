/**
 * @module Which stored incidents a Sentinel incident's entities (hosts, processes, files) point at, most severe first.
 */
import type { Incident } from '../correlate/incident';
import type { IncidentStore } from '../ports/incidentStore';
import { shortHostName } from '../ports/incidentStore';
import { mapConcurrently } from './boundedConcurrency';
import type { ProcessRef, SentinelEntities } from './sentinelEntities';

const MAX_MATCHED = 20;
/** Severities by rank, for ordering matched incidents and picking the worst. */
export const SEVERITY_ORDER = { High: 3, Medium: 2, Low: 1 } as const;

function lower(text: string): string {
    return text.trim().toLowerCase();
}

function firstLabel(host: string): string {
    return lower(host).split('.')[0] ?? '';
}

/** Host names match case-insensitively; a bare name matches the first label of an FQDN (netBiosName vs FQDN). */
export function hostMatches(incidentHost: string, name: string): boolean {
    const a = lower(incidentHost);
    const b = lower(name);
    if (a === b) return true;
    return (!a.includes('.') || !b.includes('.')) && firstLabel(a) === firstLabel(b);
}

function baseName(path: string | undefined): string {
    return path ? lower(path.split(/[\\/]/).pop() ?? path) : '';
}

/** A process entity matches an incident's target or injector by PID (with creation time when given), command line, or image. */
function processMatches(incident: Incident, process: ProcessRef): boolean {
    if (process.hostNames.length > 0 && !process.hostNames.some((h) => hostMatches(incident.host, h))) return false;
    for (const side of [incident.target, incident.injector]) {
        if (process.processId !== undefined && side.processId === process.processId) {
            if (process.creationTimeUtc === undefined) return true;
            const created = Date.parse(process.creationTimeUtc);
            // A PID is reused after its process ends: the entity's process must exist by the end of the chain.
            if (!Number.isNaN(created) && created <= Date.parse(incident.lastSeen) + 60_000) return true;
        }
        if (
            process.commandLine !== undefined &&
            side.commandLine !== undefined &&
            lower(side.commandLine) === lower(process.commandLine)
        )
            return true;
        if (process.image !== undefined && side.image !== undefined && baseName(side.image) === baseName(process.image))
            return true;
    }
    return false;
}

/** Host partitions read per request; each costs one storage query (the index lookups come on top). */
export const MAX_HOSTS_QUERIED = 100;
/** Storage requests of one playbook call in flight at once. */
const STORAGE_CONCURRENCY = 8;

/**
 * The incidents on the hosts the names point at. The store's short-name index gives every host whose first label
 * matches (so `WS01` finds `ws01.contoso.local`), `hostMatches` keeps the right ones, and each host is one query:
 * the cost depends on the names asked for, never on how many incidents are stored.
 */
async function incidentsForHosts(store: IncidentStore, names: readonly string[]): Promise<Incident[]> {
    const namesByShort = new Map<string, string[]>();
    for (const name of names) {
        const short = shortHostName(name);
        if (short !== '') namesByShort.set(short, [...(namesByShort.get(short) ?? []), name]);
    }
    const shorts = [...namesByShort.keys()];
    const hostLists = await mapConcurrently(shorts, STORAGE_CONCURRENCY, (short) => store.hostsByShortName(short));
    const hosts = new Set<string>();
    shorts.forEach((short, i) => {
        for (const host of hostLists[i] ?? [])
            if ((namesByShort.get(short) ?? []).some((name) => hostMatches(host, name))) hosts.add(host);
    });
    const chosen = [...hosts].sort().slice(0, MAX_HOSTS_QUERIED);
    const pages = await mapConcurrently(chosen, STORAGE_CONCURRENCY, (host) => store.query({ host, limit: 200 }));
    const found = new Map<string, Incident>();
    for (const page of pages) for (const incident of page.incidents) found.set(incident.id, incident);
    return [...found.values()];
}

/** Finds the stored incidents the entities point at. */
export async function matchIncidents(store: IncidentStore, entities: SentinelEntities): Promise<Incident[]> {
    const names = [
        ...new Set([...entities.hosts.flatMap((h) => h.names), ...entities.processes.flatMap((p) => p.hostNames)]),
    ];
    if (names.length === 0) return [];
    const candidates = await incidentsForHosts(store, names);
    const narrowed =
        entities.processes.length === 0 && entities.files.length === 0
            ? candidates
            : candidates.filter(
                  (incident) =>
                      entities.processes.some((p) => processMatches(incident, p)) ||
                      entities.files.some(
                          (f) => f === baseName(incident.target.image) || f === baseName(incident.injector.image),
                      ),
              );
    return narrowed
        .sort(
            (a, b) =>
                SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
                b.score - a.score ||
                a.id.localeCompare(b.id),
        )
        .slice(0, MAX_MATCHED);
}
