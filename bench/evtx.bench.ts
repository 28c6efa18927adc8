/**
 * EVTX reading benchmark (not a test): every `.evtx` log of the datasets folder read and rendered as XML by
 * `readEvtxRecords`, several passes per round, with our substitution value decoding (tools/replay/
 * evtxSubstitutionValues.ts) and, as the baseline in the same process, with @ts-evtx/core's own value parser put
 * back for the round. The two alternate round by round, so a busy machine weighs on both alike; medians are printed,
 * per second of this process's CPU time (user + system; reading is synchronous once a chunk is in memory, so this is
 * the work done, and it moves far less than wall time when other processes share the cores) and per wall second.
 * The baseline renders the EID 3 events wrongly: it is there for speed only.
 *
 * Run: `npm run bench:evtx`. End-to-end replay of the same logs: `npm run bench:replay`.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readEvtxRecords } from '../tools/replay/evtxReader';
import { evtxLogs, DATASETS } from './replay.bench';

const PASSES = 10;
const ROUNDS = 9;

interface Rate {
    cpu: number;
    wall: number;
}

interface ParsePrototype {
    parse: unknown;
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
}

async function readAll(logs: readonly string[]): Promise<number> {
    let records = 0;
    for (let pass = 0; pass < PASSES; pass++)
        for (const log of logs)
            for await (const item of readEvtxRecords(log)) if (item.kind === 'record' && item.xml.length > 0) records++;
    return records;
}

async function main(): Promise<void> {
    if (!existsSync(join(DATASETS, 'README.md'))) {
        console.log(`bench:evtx skipped: ${DATASETS} not found`);
        return;
    }
    const logs = await evtxLogs();
    // The library's parser as shipped, taken before the first read installs our decoding around it.
    const { VariantValueParser } = (await import('@ts-evtx/core/dist/src/evtx/VariantValueParser.js')) as {
        VariantValueParser: { prototype: ParsePrototype };
    };
    const prototype = VariantValueParser.prototype;
    const library = prototype.parse;
    await readAll(logs); // warm-up; installs our decoding
    const ours = prototype.parse;
    if (ours === library) throw new Error('our value decoding was not installed');

    const rates = { ours: [] as Rate[], library: [] as Rate[] };
    let records = 0;
    for (let round = 0; round < ROUNDS; round++) {
        for (const which of round % 2 === 0 ? (['ours', 'library'] as const) : (['library', 'ours'] as const)) {
            prototype.parse = which === 'ours' ? ours : library;
            const cpu = process.cpuUsage();
            const started = performance.now();
            records = await readAll(logs);
            const { user, system } = process.cpuUsage(cpu);
            rates[which].push({
                cpu: records / ((user + system) / 1e6),
                wall: records / ((performance.now() - started) / 1000),
            });
        }
    }
    prototype.parse = ours;
    console.log(`hollowtrace EVTX benchmark | node ${process.version} | ${os.cpus()[0]?.model ?? '?'}`);
    console.log(
        `read and render ${logs.length} .evtx logs (${records / PASSES} records, ${PASSES} passes a round, median of ${ROUNDS} rounds):`,
    );
    for (const clock of ['cpu', 'wall'] as const) {
        const fixed = median(rates.ours.map((rate) => rate[clock]));
        const shipped = median(rates.library.map((rate) => rate[clock]));
        console.log(
            `  per ${clock === 'cpu' ? 'CPU' : 'wall'} second: ${Math.round(fixed).toLocaleString('en-US')} records/s with our value decoding; ` +
                `baseline, same process, @ts-evtx/core's own value parser: ${Math.round(shipped).toLocaleString('en-US')} records/s; ` +
                `ratio ${(fixed / shipped).toFixed(2)}`,
        );
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
