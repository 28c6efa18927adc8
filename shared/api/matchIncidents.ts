/**
 * @module Which stored incidents a Sentinel incident's entities (hosts, processes, files) point at, most severe first.
 */
import type { Incident } from '../correlate/incident';
import type { IncidentStore } from '../ports/incidentStore';
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

async function incidentsForHosts(store: IncidentStore, names: readonly string[]): Promise<Incident[]> {
    const found = new Map<string, Incident>();
    for (const name of names) {
        for (const incident of (await store.query({ host: name, limit: 200 })).incidents)
            found.set(incident.id, incident);
        if (!name.includes('.')) {
            // A NetBIOS name: incidents are stored under the FQDN Sysmon reported, so filter by first label.
            let token: string | undefined;
            do {
                const page = await store.query({
                    limit: 500,
                    ...(token !== undefined && { continuationToken: token }),
                });
                for (const incident of page.incidents)
                    if (hostMatches(incident.host, name)) found.set(incident.id, incident);
                token = page.continuationToken;
            } while (token !== undefined);
        }
    }
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
