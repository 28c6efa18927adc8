/**
 * Delivery latency benchmark (not a test): for a simulated fleet, the time from the arrival of the batch that holds an
 * incident version's decisive event to the call that uploads the version to Sentinel, p50 and p99, in the same
 * invocation (stage 2 correlates the batch, commits, then publishes what it committed). Beside it, in the same run:
 * the correlation-and-commit time of the same batches alone (the floor any same-invocation upload pays), and the
 * upload round trip itself. The upload goes through the real `LogsIngestionClient` to the local HTTPS stand-in of the
 * ingestion endpoint on loopback. Two state stores: in memory, and Table Storage on Azurite (in-process).
 * Run: `npm run bench:delivery`. Writes bench/results/delivery-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogsIngestionClient, SentinelIncidentPublisher } from '../shared/clients/SentinelIncidentPublisher';
import { DEFAULT_CORRELATION_CONFIG } from '../shared/correlate/config';
import { Correlator } from '../shared/correlate/Correlator';
import { isNeededForCorrelation } from '../shared/correlate/facts';
import { INCIDENT_ROW_COLUMNS, INCIDENT_STREAM } from '../shared/delivery/incidentRow';
import { DEFAULT_INGEST_LIMITS, ingestBatch } from '../shared/ingest/ingestBatch';
import { InMemoryHostStateStore } from '../shared/ports/InMemoryHostStateStore';
import { InMemoryIncidentStore } from '../shared/ports/InMemoryIncidentStore';
import type { HostStateStore } from '../shared/ports/hostStateStore';
import type { IncidentStore } from '../shared/ports/incidentStore';
import { TableHostStateStore } from '../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../shared/storage/table/TableIncidentStore';
import { createTableClientFromConnectionString } from '../shared/storage/table/tableSupport';
import type { SysmonEvent } from '../shared/sysmon/types';
import { startLocalAzuriteTable } from '../tools/local/localAzurite';
import { hasOpenssl, standInCredential, startLogsIngestionStandIn } from '../tools/local/logsIngestionStandIn';
import { simulateFleet } from '../tools/simulate/simulate';
import { projectRoot } from './projectRoot';

const ROOT = projectRoot(__dirname);
const BATCH = 256;
const DCR = 'dcr-0123456789abcdef0123456789abcdef';
const FLEET = { hosts: 200, eventsPerSecond: 2, durationSeconds: 900, attacks: 60, seed: 20261203 };

function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(values: number[]): { n: number; p50: number; p99: number } {
    return { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99) };
}

function ms(value: number): string {
    return `${value.toFixed(1)} ms`;
}

/** The stage 2 input: the events correlation needs, in time order, as Event Hub batches of 256. */
function fleetBatches(): SysmonEvent[][] {
    const simulation = simulateFleet({ ...FLEET, start: new Date('2026-12-01T08:00:00Z') });
    const allowed = new Set(DEFAULT_CORRELATION_CONFIG.allowedSourceImages);
    const needed: SysmonEvent[] = [];
    let chunk: { body: unknown }[] = [];
    const flush = (): void => {
        for (const event of ingestBatch(chunk, new Date(), DEFAULT_INGEST_LIMITS).events)
            if (isNeededForCorrelation(event, allowed)) needed.push(event);
        chunk = [];
    };
    for (const event of simulation.events) {
        chunk.push({ body: event });
        if (chunk.length === 1024) flush();
    }
    flush();
    const batches: SysmonEvent[][] = [];
    for (let i = 0; i < needed.length; i += BATCH) batches.push(needed.slice(i, i + BATCH));
    return batches;
}

interface StoreRun {
    store: string;
    batches: number;
    versions: number;
    decisiveToUploadCall: { n: number; p50: number; p99: number };
    correlateAndCommit: { n: number; p50: number; p99: number };
    uploadRoundTrip: { n: number; p50: number; p99: number };
}

async function run(
    label: string,
    batches: SysmonEvent[][],
    stores: { store: HostStateStore; incidents: IncidentStore },
    endpoint: { url: string; ca: string },
): Promise<StoreRun> {
    const correlator = new Correlator({ config: DEFAULT_CORRELATION_CONFIG, ...stores });
    let uploadCalledAt = 0;
    const client = createLogsIngestionClient({ endpoint: endpoint.url }, standInCredential(), { tlsCa: endpoint.ca });
    const base = new SentinelIncidentPublisher({
        // The moment the publisher hands its rows to LogsIngestionClient.upload.
        client: {
            upload: (...args: Parameters<typeof client.upload>) => {
                uploadCalledAt = performance.now();
                return client.upload(...args);
            },
        },
        dcrImmutableId: DCR,
        streamName: INCIDENT_STREAM,
    });
    const toCall: number[] = [];
    const commit: number[] = [];
    const roundTrip: number[] = [];
    let versions = 0;
    for (const batch of batches) {
        const arrived = performance.now(); // the batch, and with it its decisive events, reaches the function
        const outcome = await correlator.process(batch, new Date());
        const committed = performance.now();
        if (outcome.incidents.length === 0) continue;
        await base.publish(outcome.incidents);
        const uploaded = performance.now();
        versions += outcome.incidents.length;
        for (let i = 0; i < outcome.incidents.length; i++) toCall.push(uploadCalledAt - arrived);
        commit.push(committed - arrived);
        roundTrip.push(uploaded - uploadCalledAt);
    }
    const result: StoreRun = {
        store: label,
        batches: batches.length,
        versions,
        decisiveToUploadCall: summary(toCall),
        correlateAndCommit: summary(commit),
        uploadRoundTrip: summary(roundTrip),
    };
    console.log(
        `${label}: ${versions} incident versions in ${result.batches} batches of up to ${BATCH} events\n` +
            `  decisive event's batch arrives -> upload call:  p50 ${ms(result.decisiveToUploadCall.p50)}  p99 ${ms(result.decisiveToUploadCall.p99)}\n` +
            `  baseline, correlate + commit alone (same batches): p50 ${ms(result.correlateAndCommit.p50)}  p99 ${ms(result.correlateAndCommit.p99)}\n` +
            `  upload round trip to the loopback stand-in:      p50 ${ms(result.uploadRoundTrip.p50)}  p99 ${ms(result.uploadRoundTrip.p99)}`,
    );
    return result;
}

async function main(): Promise<void> {
    if (!hasOpenssl()) throw new Error('bench:delivery needs openssl on PATH for the ingestion stand-in certificate');
    const batches = fleetBatches();
    console.log(
        `Simulated fleet: ${FLEET.hosts} hosts, ${FLEET.eventsPerSecond} events/s each for ${FLEET.durationSeconds} s, ${FLEET.attacks} attacks (seed ${FLEET.seed}); ${batches.reduce((n, b) => n + b.length, 0)} events reach stage 2.`,
    );
    const standIn = await startLogsIngestionStandIn({
        dcrImmutableId: DCR,
        streams: { [INCIDENT_STREAM]: INCIDENT_ROW_COLUMNS.map((c) => c.name) },
    });
    const azurite = await startLocalAzuriteTable();
    try {
        const endpoint = { url: standIn.endpoint, ca: standIn.ca };
        const memory = await run(
            'in-memory state',
            batches,
            { store: new InMemoryHostStateStore(), incidents: new InMemoryIncidentStore() },
            endpoint,
        );
        const table = (name: string) => createTableClientFromConnectionString(azurite.connectionString, name);
        const tableRun = await run(
            'Table Storage state (Azurite)',
            batches,
            {
                store: await TableHostStateStore.create(table('benchdeliverystate')),
                incidents: await TableIncidentStore.create(table('benchdeliveryincidents')),
            },
            endpoint,
        );
        const accepted = standIn.accepted().length;
        console.log(`Stand-in accepted ${accepted} rows in ${standIn.requests.length} requests.`);
        const out = resolve(ROOT, 'bench', 'results');
        mkdirSync(out, { recursive: true });
        writeFileSync(
            join(out, 'delivery-latest.json'),
            `${JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, fleet: FLEET, runs: [memory, tableRun] }, null, 2)}\n`,
        );
    } finally {
        await standIn.close();
        await azurite.close();
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
