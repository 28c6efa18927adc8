/**
 * Delivery latency benchmark (not a test): for a simulated fleet, the time from the arrival of the batch that holds an
 * incident version's decisive event to the call that uploads the version to Sentinel, p50 and p99, in the same
 * invocation: stage 2 correlates the batch, commits state with its outbox entries, then the outbox hands the new
 * versions to the incident table and to the Sentinel publisher. Beside it, in the same run: the same batches without
 * the Sentinel publisher, arrival to done (the floor any same-invocation upload pays), and the upload round trip. The upload goes through the real `LogsIngestionClient` to the local HTTPS stand-in of the
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
import { INCIDENT_STREAM } from '../shared/delivery/incidentRow';
import { DEFAULT_INGEST_LIMITS, ingestBatch } from '../shared/ingest/ingestBatch';
import { InMemoryHostStateStore } from '../shared/ports/InMemoryHostStateStore';
import { InMemoryIncidentStore } from '../shared/ports/InMemoryIncidentStore';
import type { HostStateStore } from '../shared/ports/hostStateStore';
import type { IncidentStore } from '../shared/ports/incidentStore';
import type { IncidentPublisher } from '../shared/ports/incidentPublisher';
import { IncidentStorePublisher } from '../shared/publish/IncidentStorePublisher';
import { TableHostStateStore } from '../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../shared/storage/table/TableIncidentStore';
import { createTableClientFromConnectionString } from '../shared/storage/table/tableSupport';
import type { SysmonEvent } from '../shared/sysmon/types';
import { startLocalAzuriteTable } from '../tools/local/localAzurite';
import { hasOpenssl, standInCredential } from '../tools/local/logsIngestionStandIn';
import { startIncidentStreamStandIn } from '../tools/local/incidentStreamStandIn';
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
    baselineCorrelateCommitPublish: { n: number; p50: number; p99: number };
    uploadRoundTrip: { n: number; p50: number; p99: number };
}

type Stores = () => Promise<{ store: HostStateStore; incidents: IncidentStore }>;

/**
 * One pass over the batches. With `sentinel`, the Sentinel publisher sits in the correlator's outbox after the incident
 * table (as functions/composition.ts wires it) and the time its upload call starts is recorded.
 */
async function pass(
    batches: SysmonEvent[][],
    stores: Stores,
    sentinel: { url: string; ca: string } | undefined,
): Promise<{ versions: number; toCall: number[]; processed: number[]; roundTrip: number[] }> {
    const { store, incidents } = await stores();
    let uploadCalledAt: number;
    let uploadReturnedAt = Number.NaN;
    const publishers: IncidentPublisher[] = [new IncidentStorePublisher(incidents)];
    if (sentinel) {
        const client = createLogsIngestionClient({ endpoint: sentinel.url }, standInCredential(), {
            tlsCa: sentinel.ca,
        });
        publishers.push(
            new SentinelIncidentPublisher({
                client: {
                    upload: async (...args: Parameters<typeof client.upload>) => {
                        uploadCalledAt = performance.now();
                        await client.upload(...args);
                        uploadReturnedAt = performance.now();
                    },
                },
                dcrImmutableId: DCR,
                streamName: INCIDENT_STREAM,
            }),
        );
    }
    const correlator = new Correlator({ config: DEFAULT_CORRELATION_CONFIG, store, publishers });
    const toCall: number[] = [];
    const processed: number[] = [];
    const roundTrip: number[] = [];
    let versions = 0;
    for (const batch of batches) {
        uploadCalledAt = Number.NaN;
        const arrived = performance.now(); // the batch, and with it its decisive events, reaches the function
        const outcome = await correlator.process(batch, new Date());
        const done = performance.now();
        if (outcome.deliveryFailures.length > 0)
            throw new Error(`delivery failed: ${JSON.stringify(outcome.deliveryFailures)}`);
        if (outcome.incidents.length === 0) continue;
        versions += outcome.incidents.length;
        processed.push(done - arrived);
        if (sentinel) {
            for (let i = 0; i < outcome.incidents.length; i++) toCall.push(uploadCalledAt - arrived);
            roundTrip.push(uploadReturnedAt - uploadCalledAt);
        }
    }
    return { versions, toCall, processed, roundTrip };
}

async function run(
    label: string,
    batches: SysmonEvent[][],
    stores: Stores,
    endpoint: { url: string; ca: string },
): Promise<StoreRun> {
    await pass(batches, stores, endpoint); // warm-up (JIT, TLS session, table creation): not measured
    const baseline = await pass(batches, stores, undefined);
    const measured = await pass(batches, stores, endpoint);
    if (baseline.versions !== measured.versions)
        throw new Error('the two passes committed different incident versions');
    const result: StoreRun = {
        store: label,
        batches: batches.length,
        versions: measured.versions,
        decisiveToUploadCall: summary(measured.toCall),
        baselineCorrelateCommitPublish: summary(baseline.processed),
        uploadRoundTrip: summary(measured.roundTrip),
    };
    console.log(
        `${label}: ${result.versions} incident versions committed in ${result.batches} batches of up to ${BATCH} events\n` +
            `  decisive event's batch arrives -> Sentinel upload call:      p50 ${ms(result.decisiveToUploadCall.p50)}  p99 ${ms(result.decisiveToUploadCall.p99)}  (n=${result.decisiveToUploadCall.n} versions)\n` +
            `  baseline, same batches without Sentinel (correlate, commit,\n` +
            `    publish to the incident table), batch arrives -> done:      p50 ${ms(result.baselineCorrelateCommitPublish.p50)}  p99 ${ms(result.baselineCorrelateCommitPublish.p99)}  (n=${result.baselineCorrelateCommitPublish.n} batches)\n` +
            `  upload round trip to the loopback stand-in (call -> 204):    p50 ${ms(result.uploadRoundTrip.p50)}  p99 ${ms(result.uploadRoundTrip.p99)}`,
    );
    return result;
}

async function main(): Promise<void> {
    if (!hasOpenssl()) throw new Error('bench:delivery needs openssl on PATH for the ingestion stand-in certificate');
    const batches = fleetBatches();
    console.log(
        `Simulated fleet: ${FLEET.hosts} hosts, ${FLEET.eventsPerSecond} events/s each for ${FLEET.durationSeconds} s, ${FLEET.attacks} attacks (seed ${FLEET.seed}); ${batches.reduce((n, b) => n + b.length, 0)} events reach stage 2.`,
    );
    const standIn = await startIncidentStreamStandIn(DCR);
    const azurite = await startLocalAzuriteTable();
    try {
        const endpoint = { url: standIn.endpoint, ca: standIn.ca };
        const memory = await run(
            'in-memory state',
            batches,
            () => Promise.resolve({ store: new InMemoryHostStateStore(), incidents: new InMemoryIncidentStore() }),
            endpoint,
        );
        let tables = 0;
        const table = (name: string) => createTableClientFromConnectionString(azurite.connectionString, name);
        const tableRun = await run(
            'Table Storage state (Azurite)',
            batches,
            async () => {
                tables++;
                return {
                    store: await TableHostStateStore.create(table(`benchdeliverystate${tables}`)),
                    incidents: await TableIncidentStore.create(table(`benchdeliveryincidents${tables}`)),
                };
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
