/**
 * Fault benchmark (not a test): both stages against Azurite (started in-process) through the fault proxy
 * (tools/local/faultProxy.ts), for a simulated fleet and for the team recordings, with the real Table SDK.
 *
 * For each input it prints, beside one another in the same run:
 * - the fault-free run of the path this replaced (`direct`: save state, then upsert the batch's incidents) and of the
 *   outbox, as events per second: the throughput cost of the mechanism;
 * - runs under 3 % 503-after-apply + 3 % reset-after-apply (the write landed, the answer was lost), for several seeds,
 *   for both paths: `lost N, stale N` (incidents of the fault-free run absent, or held at an older version).
 *
 * Failed batches are re-delivered as the trigger's retry policy does (5 retries). The SDK's own retries are kept (3),
 * with delays of milliseconds instead of seconds so a run takes minutes: the behaviour, not the waiting, is measured.
 * Run: `npm run bench:faults` (`-- --seeds 5`, `-- --rounds 5`, `-- --hosts 40` to change the fleet). Writes bench/results/faults-latest.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { IngestMessage } from '../shared/ingest/ingestBatch';
import { createTableClientFromConnectionString } from '../shared/storage/table/tableSupport';
import { compareIncidents, runFaultPipeline } from '../tools/faults/faultPipeline';
import type { DeliveryMode, FaultPipelineResult } from '../tools/faults/faultPipeline';
import { startFaultProxy } from '../tools/local/faultProxy';
import type { FaultRates } from '../tools/local/faultProxy';
import { startLocalAzuriteTable } from '../tools/local/localAzurite';
import { listRecordingFiles, readRecordingBatches } from '../tools/replay/recordingReader';
import { simulateFleet } from '../tools/simulate/simulate';
import { projectRoot } from './projectRoot';

const ROOT = projectRoot(__dirname);
const DATASETS = resolve(ROOT, '../shared/datasets');
const BATCH = 256;
const FAULTS: FaultRates = { '503-after': 0.03, 'reset-after': 0.03 };
const CLIENT_OPTIONS = { retryOptions: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 40 } };

function flag(name: string, fallback: number): number {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

interface Input {
    name: string;
    batches: () => AsyncIterable<IngestMessage[]> | Iterable<IngestMessage[]>;
}

function fleet(hosts: number): Input {
    const stream = simulateFleet({
        hosts,
        eventsPerSecond: 1,
        durationSeconds: 900,
        attacks: 24,
        seed: 7,
        start: new Date('2024-05-01T10:00:00Z'),
    });
    return {
        name: `simulated fleet (${String(hosts)} hosts, 15 minutes, 24 attacks)`,
        batches: function* () {
            let batch: IngestMessage[] = [];
            let sequenceNumber = 0;
            for (const event of stream.events) {
                batch.push({ body: event, partitionId: '0', sequenceNumber: sequenceNumber++ });
                if (batch.length === BATCH) {
                    yield batch;
                    batch = [];
                }
            }
            if (batch.length > 0) yield batch;
        },
    };
}

function recordings(): Input {
    return {
        name: 'team recordings (../shared/datasets)',
        batches: async function* () {
            const files = await listRecordingFiles([DATASETS]);
            for (const [index, file] of files.entries()) yield* readRecordingBatches(file, BATCH, String(index));
        },
    };
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
    const seeds = flag('seeds', 3);
    const rounds = flag('rounds', 3);
    const hosts = flag('hosts', 20);
    const azurite = await startLocalAzuriteTable();
    const target = /TableEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)?.[1] as string;
    const tables: string[] = [];
    const runOnce = async (input: Input, mode: DeliveryMode, seed: number | undefined) => {
        const prefix = `b${randomBytes(3).toString('hex')}`;
        tables.push(`${prefix}state`, `${prefix}incidents`, `${prefix}letters`);
        const proxy = await startFaultProxy(target, seed ?? 0);
        try {
            return await runFaultPipeline(input.batches(), {
                connectionString: azurite.connectionString.replace(target, proxy.origin),
                readConnectionString: azurite.connectionString,
                tablePrefix: prefix,
                mode,
                clientOptions: CLIENT_OPTIONS,
                onReady: () => proxy.setRates(seed === undefined ? {} : FAULTS),
            });
        } finally {
            await proxy.close();
        }
    };
    const rate = (r: FaultPipelineResult): number => r.events / (r.ms / 1000);
    const inputs = [fleet(hosts), ...(existsSync(resolve(DATASETS, 'README.md')) ? [recordings()] : [])];
    if (inputs.length === 1) console.log(`(team recordings not found at ${DATASETS}: skipped)`);
    const results: Record<string, unknown>[] = [];
    try {
        for (const input of inputs) {
            console.log(`\n${input.name}`);
            // Fault-free rounds alternate the two paths, and the median rate of each is compared: the machine is
            // shared, so load moves single runs a lot.
            const baseline: Partial<Record<DeliveryMode, FaultPipelineResult>> = {};
            const rates: Record<DeliveryMode, number[]> = { direct: [], outbox: [] };
            for (let round = 0; round < rounds; round++) {
                for (const mode of ['direct', 'outbox'] as const) {
                    const r = await runOnce(input, mode, undefined);
                    baseline[mode] = r;
                    rates[mode].push(rate(r));
                }
            }
            const direct = baseline.direct as FaultPipelineResult;
            const outbox = baseline.outbox as FaultPipelineResult;
            const directRate = median(rates.direct);
            const outboxRate = median(rates.outbox);
            console.log(
                `  fault-free, ${String(outbox.events)} events, ${String(outbox.incidents.size)} incidents, median of ` +
                    `${String(rounds)} alternating rounds: direct ${directRate.toFixed(0)} events/s, outbox ` +
                    `${outboxRate.toFixed(0)} events/s; outbox / direct ${(outboxRate / directRate).toFixed(2)}`,
            );
            if (direct.incidents.size !== outbox.incidents.size)
                console.log(`  (the two paths found different incident counts: ${String(direct.incidents.size)})`);
            const row: Record<string, unknown> = {
                input: input.name,
                events: outbox.events,
                incidents: outbox.incidents.size,
                rounds,
                directEventsPerSecond: Math.round(directRate),
                outboxEventsPerSecond: Math.round(outboxRate),
            };
            for (const mode of ['direct', 'outbox'] as const) {
                let lost = 0;
                let stale = 0;
                let redeliveries = 0;
                let abandoned = 0;
                let ms = 0;
                let events = 0;
                for (let seed = 1; seed <= seeds; seed++) {
                    const r = await runOnce(input, mode, seed);
                    const compared = compareIncidents(outbox.incidents, r.incidents);
                    lost += compared.lost.length;
                    stale += compared.stale.length;
                    redeliveries += r.redeliveries;
                    abandoned += r.abandoned;
                    ms += r.ms;
                    events += r.events;
                }
                console.log(
                    `  3% 503-after + 3% reset-after, ${mode.padEnd(6)}, ${String(seeds)} seeds: lost ${String(lost)}, ` +
                        `stale ${String(stale)} (of ${String(outbox.incidents.size * seeds)}); ${String(redeliveries)} batch ` +
                        `re-deliveries, ${String(abandoned)} abandoned; ${(events / (ms / 1000)).toFixed(0)} events/s`,
                );
                row[mode] = {
                    seeds,
                    lost,
                    stale,
                    redeliveries,
                    abandoned,
                    eventsPerSecond: Math.round(events / (ms / 1000)),
                };
            }
            results.push(row);
        }
    } finally {
        await Promise.all(
            tables.map((t) =>
                createTableClientFromConnectionString(azurite.connectionString, t)
                    .deleteTable()
                    .catch(() => undefined),
            ),
        );
        await azurite.close();
    }
    const dir = resolve(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
        resolve(dir, 'faults-latest.json'),
        `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`,
    );
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
