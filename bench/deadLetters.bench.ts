/**
 * Dead-letter listing benchmark (not a test), on Azurite in this process. For 1,000 and 9,000 letters of 1,000
 * characters over 7 days, it times `GET /api/dead-letters?limit=1` as the store answers it (the page chosen on the
 * service: keys per bucket, then the page's letters) beside the baseline measured in the same run: reading the
 * whole 7-day window and keeping the first letter, which is what the store did before. Entities read are counted in
 * the service's responses. Also: ten limit=1 requests at once, each way.
 * Run: `npm run bench:deadletters`. Writes bench/results/deadletters-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalAzuriteTable } from '../tools/local/localAzurite';
import { countEntitiesRead } from '../tools/local/tableReadCounter';
import { projectRoot } from './projectRoot';
import type { DeadLetter } from '../shared/ingest/deadLetter';
import { TableDeadLetterStore } from '../shared/storage/table/TableDeadLetterStore';
import { createTableClientFromConnectionString } from '../shared/storage/table/tableSupport';

const ROUNDS = 15;
const SINCE_DAY = '2026-11-19';

function letter(n: number): DeadLetter {
    return {
        id: `p${String(n % 8)}-s${String(n)}-r0`,
        reason: n % 5 === 0 ? 'malformed-json' : 'malformed-xml',
        detail: 'Unexpected end of input',
        raw: `<Event>${String(n).padStart(8, '0')}${'x'.repeat(985)}`,
        rawTruncated: false,
        rawBytes: 1000,
        partitionId: String(n % 8),
        sequenceNumber: n,
        enqueuedTime: `2026-11-${String(19 + (n % 7))}T10:00:00.000Z`,
        messageIndex: 0,
        recordIndex: 0,
        rejectedAt: '2026-11-25T12:00:00.000Z',
    };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function measure(run: () => Promise<unknown>, counter: { read: number }): Promise<{ ms: number; read: number }> {
    const times: number[] = [];
    counter.read = 0;
    for (let i = 0; i < ROUNDS; i++) {
        const started = performance.now();
        await run();
        times.push(performance.now() - started);
    }
    return { ms: median(times), read: counter.read / ROUNDS };
}

async function parallel(run: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, run));
    return performance.now() - started;
}

async function main(): Promise<void> {
    const azurite = await startLocalAzuriteTable();
    const results: Record<string, unknown>[] = [];
    try {
        for (const count of [1_000, 9_000]) {
            const client = createTableClientFromConnectionString(
                azurite.connectionString,
                `benchdeadletters${String(count)}${Date.now().toString(36)}`,
            );
            const counter = countEntitiesRead(client);
            const store = await TableDeadLetterStore.create(client);
            await store.putMany(Array.from({ length: count }, (_, n) => letter(n)));

            const paged = () => store.list({ sinceDay: SINCE_DAY, limit: 1 });
            const wholeWindow = async () => (await store.list({ sinceDay: SINCE_DAY })).slice(0, 1);
            const [a, b] = [await paged(), await wholeWindow()];
            if (a[0]?.id !== b[0]?.id) throw new Error('the page and the baseline disagree on the first letter');

            const now = await measure(paged, counter);
            const before = await measure(wholeWindow, counter);
            const nowParallel = await parallel(paged);
            const beforeParallel = await parallel(wholeWindow);
            const row = {
                letters: count,
                pagedMs: now.ms,
                pagedEntitiesRead: now.read,
                baselineMs: before.ms,
                baselineEntitiesRead: before.read,
                pagedTenParallelMs: nowParallel,
                baselineTenParallelMs: beforeParallel,
            };
            results.push(row);
            console.log(
                `${count.toLocaleString('en-US')} letters, limit=1: ${now.ms.toFixed(1)} ms, ${String(now.read)} entities read ` +
                    `(baseline, whole window: ${before.ms.toFixed(1)} ms, ${String(before.read)} entities); ` +
                    `ten at once: ${nowParallel.toFixed(0)} ms (baseline ${beforeParallel.toFixed(0)} ms)`,
            );
            await client.deleteTable();
        }
    } finally {
        await azurite.close();
    }
    const dir = join(projectRoot(__dirname), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'deadletters-latest.json'), `${JSON.stringify({ rounds: ROUNDS, results }, null, 4)}\n`);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
