/**
 * Bounded cost per request, whatever the table holds: the playbook's enrich call (NetBIOS and FQDN host names) and
 * GET /api/incidents/{id} send the same number of storage requests to Azurite with 12 incidents stored as with
 * 12 + 600. Requests are counted by a pipeline policy on the real TableClient, so every request the SDK sends,
 * retries and continuation pages included, is seen.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { enrichSentinelIncident } from '../../shared/api/enrichSentinelIncident';
import { getIncident } from '../../shared/api/getIncident';
import type { IncidentsApiDependencies } from '../../shared/api/incidentsApiDependencies';
import type { Incident } from '../../shared/correlate/incident';
import { InMemoryDeadLetterStore } from '../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryEnrichmentStore } from '../../shared/ports/InMemoryEnrichmentStore';
import {
    createTableClientFromConnectionString,
    encodeTableKey,
    hostPartitionKey,
    splitJson,
} from '../../shared/storage/table/tableSupport';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { incidentId, sampleIncident } from '../helpers/incidents';

const connectionString = inject('tablesConnectionString');
const suffix = Date.now().toString(36);
const tables: string[] = [];

/** A store on a fresh table whose client counts the HTTP requests it sends. */
async function countedStore(
    name: string,
): Promise<{ store: TableIncidentStore; client: TableClient; requests: () => number }> {
    let requests = 0;
    const counter: PipelinePolicy = {
        name: 'countRequests',
        sendRequest: (request, next) => {
            requests++;
            return next(request);
        },
    };
    const table = `cost${name}${suffix}`;
    tables.push(table);
    const client = createTableClientFromConnectionString(connectionString, table, {
        additionalPolicies: [{ policy: counter, position: 'perRetry' }],
    });
    return { store: await TableIncidentStore.create(client), client, requests: () => requests };
}

/** The incidents a playbook call should find: two on WS01's FQDN, one on another domain's WS01, one on bare WS01. */
const WANTED: Incident[] = [
    sampleIncident(incidentId(1), { host: 'WS01.contoso.local' }),
    sampleIncident(incidentId(2), { host: 'ws01.contoso.local', score: 90 }),
    sampleIncident(incidentId(3), { host: 'WS01.fabrikam.local' }),
    sampleIncident(incidentId(4), { host: 'WS01' }),
];

/** Incidents that must cost nothing: other hosts, and a host whose name only starts like WS01. */
function noise(from: number, count: number): Incident[] {
    return Array.from({ length: count }, (_, i) =>
        sampleIncident(incidentId(from + i), {
            host: i % 3 === 0 ? `ws011.contoso.local` : `host${String(i % 97)}.contoso.local`,
        }),
    );
}

/**
 * Stores `incidents`: the first of each host through the store (so the host is in the short-name index), the rest
 * as the incident rows the store writes, 100 to a transaction (four requests each through `upsert` would make
 * this test slow without changing what it measures: those incidents are never read by id).
 */
async function fill(store: TableIncidentStore, client: TableClient, incidents: readonly Incident[]): Promise<void> {
    const byHost = new Map<string, Incident[]>();
    for (const incident of incidents)
        byHost.set(incident.host.toLowerCase(), [...(byHost.get(incident.host.toLowerCase()) ?? []), incident]);
    await Promise.all([...byHost.values()].map((group) => store.upsert(group.slice(0, 1))));
    for (const group of byHost.values()) {
        const rows = group.slice(1).map(
            (incident): TransactionAction => [
                'create',
                {
                    partitionKey: hostPartitionKey(incident.host),
                    rowKey: encodeTableKey(incident.id),
                    host: incident.host,
                    version: incident.version,
                    technique: incident.technique,
                    score: incident.score,
                    lastSeen: incident.lastSeen,
                    ...splitJson(JSON.stringify(incident), incident.id),
                },
            ],
        );
        for (let i = 0; i < rows.length; i += 100) await client.submitTransaction(rows.slice(i, i + 100));
    }
}

function deps(store: TableIncidentStore): IncidentsApiDependencies {
    return {
        incidents: store,
        enrichmentStore: new InMemoryEnrichmentStore(),
        deadLetters: new InMemoryDeadLetterStore(),
    };
}

/** A Sentinel incident trigger body naming WS01 by NetBIOS name only, and another host by FQDN. */
const PLAYBOOK_BODY = JSON.stringify({
    object: {
        id: 'incident-1',
        properties: {
            relatedEntities: [
                { kind: 'Host', properties: { hostName: 'WS01', netBiosName: 'WS01' } },
                { kind: 'Host', properties: { hostName: 'quiet', dnsDomain: 'contoso.local' } },
            ],
        },
    },
});

interface Measured {
    stored: number;
    enrichRequests: number;
    getRequests: number;
    missingRequests: number;
    matched: string[];
}

async function measure(name: string, extra: number): Promise<Measured> {
    const { store, client, requests } = await countedStore(name);
    const stored = [...WANTED, ...noise(100, 8), ...noise(1000, extra)];
    await fill(store, client, stored);

    let before = requests();
    const enriched = await enrichSentinelIncident(PLAYBOOK_BODY, deps(store), new Date('2026-11-26T00:00:00Z'));
    const enrichRequests = requests() - before;
    expect(enriched.status).toBe(200);
    const matched = (JSON.parse(enriched.body) as { matched: { id: string }[] }).matched.map((m) => m.id);

    before = requests();
    const found = await getIncident(incidentId(3), deps(store));
    const getRequests = requests() - before;
    expect(JSON.parse(found.body)).toMatchObject({ id: incidentId(3), host: 'WS01.fabrikam.local' });

    before = requests();
    await expect(getIncident(incidentId(0xfffff), deps(store))).rejects.toMatchObject({ status: 404 });
    const missingRequests = requests() - before;
    return { stored: stored.length, enrichRequests, getRequests, missingRequests, matched };
}

afterAll(async () => {
    await Promise.all(tables.map((t) => createTableClientFromConnectionString(connectionString, t).deleteTable()));
});

describe('storage requests per API call do not grow with the incidents stored', () => {
    it('enrich (NetBIOS and FQDN names) and get by id cost the same with 12 and 612 incidents stored', async () => {
        const small = await measure('small', 0);
        const large = await measure('large', 600);
        console.info(
            `storage requests per call, ${small.stored} vs ${large.stored} incidents stored: ` +
                `enrich ${small.enrichRequests} vs ${large.enrichRequests}, ` +
                `get ${small.getRequests} vs ${large.getRequests}, ` +
                `get (unknown id) ${small.missingRequests} vs ${large.missingRequests}`,
        );
        expect(large.stored).toBeGreaterThan(small.stored * 50);
        // WS01 (no domain) matches every host whose first label is ws01; quiet.contoso.local has no incidents.
        expect([...small.matched].sort()).toStrictEqual(WANTED.map((i) => i.id).sort());
        expect([...large.matched].sort()).toStrictEqual(WANTED.map((i) => i.id).sort());
        expect(large.enrichRequests).toBe(small.enrichRequests);
        expect(large.getRequests).toBe(small.getRequests);
        expect(large.missingRequests).toBe(small.missingRequests);
        // Two index lookups (ws01, quiet) and one query per matching host (3); two point reads per get.
        expect(small.enrichRequests).toBe(5);
        expect(small.getRequests).toBe(2);
        expect(small.missingRequests).toBe(1);
    });
});
