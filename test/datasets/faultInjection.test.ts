/**
 * Nothing lost under storage faults (issue "Nothing lost", Proof): the team recordings replayed through both stages
 * with the real Table SDK, through a proxy in front of Azurite that answers 503 or resets the connection before or
 * after forwarding (after: the write was applied, its answer lost) and adds latency, at seeded rates. Failed batches
 * are re-delivered as the trigger's retry policy would. Every incident of a fault-free run must be present at the same
 * final version, and every dead letter present, for every seed. Before the outbox, such runs lost incidents.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { listRecordingFiles, readRecordingBatches } from '../../tools/replay/recordingReader';
import type { IngestMessage } from '../../shared/ingest/ingestBatch';
import { startFaultProxy } from '../../tools/local/faultProxy';
import type { FaultProxy } from '../../tools/local/faultProxy';
import { compareIncidents, runFaultPipeline } from '../../tools/faults/faultPipeline';
import type { FaultPipelineResult } from '../../tools/faults/faultPipeline';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import { DATASETS_DIR, DATASETS_PRESENT, DATASETS_SKIP_REASON } from '../support/datasets';

const SEEDS = [1, 2, 3];
const RATES = { '503-after': 0.03, 'reset-after': 0.03, '503-before': 0.01, 'reset-before': 0.01, latencyMs: 3 };
/** The SDK's own retries, with short delays so the test is quick (the behaviour, not the waiting, matters). */
const CLIENT_OPTIONS = { retryOptions: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 40 } };

const connectionString = inject('tablesConnectionString');
const tables: string[] = [];

function throughProxy(proxy: FaultProxy): string {
    return connectionString.replace(/TableEndpoint=http:\/\/[^/;]+/, `TableEndpoint=${proxy.origin}`);
}

async function* recordings(): AsyncGenerator<IngestMessage[]> {
    const files = await listRecordingFiles([DATASETS_DIR]);
    for (const [index, file] of files.entries()) yield* readRecordingBatches(file, 256, String(index));
}

async function run(seed: number | undefined): Promise<FaultPipelineResult & { faults: number }> {
    const prefix = `f${randomBytes(3).toString('hex')}s${String(seed ?? 0)}`;
    tables.push(`${prefix}state`, `${prefix}incidents`, `${prefix}letters`);
    const proxy = await startFaultProxy(connectionString.match(/TableEndpoint=(http:\/\/[^/;]+)/)![1]!, seed ?? 0);
    try {
        const result = await runFaultPipeline(recordings(), {
            connectionString: throughProxy(proxy),
            readConnectionString: connectionString,
            tablePrefix: prefix,
            mode: 'outbox',
            clientOptions: CLIENT_OPTIONS,
            onReady: () => proxy.setRates(seed === undefined ? {} : RATES),
        });
        const { requests: _requests, ...faults } = proxy.counts;
        return { ...result, faults: Object.values(faults).reduce((a, b) => a + b, 0) };
    } finally {
        await proxy.close();
    }
}

afterAll(async () => {
    await Promise.all(
        tables.map((t) =>
            createTableClientFromConnectionString(connectionString, t)
                .deleteTable()
                .catch(() => undefined),
        ),
    );
});

describe.skipIf(!DATASETS_PRESENT)(
    `recordings through both stages under storage faults ${DATASETS_PRESENT ? '' : DATASETS_SKIP_REASON}`,
    () => {
        let expected: FaultPipelineResult;

        beforeAll(async () => {
            expected = await run(undefined);
            expect(expected.redeliveries).toBe(0);
            expect(expected.incidents.size).toBeGreaterThan(10);
        }, 300_000);

        it.each(SEEDS)(
            'seed %i: every incident at its fault-free version, every dead letter kept',
            async (seed) => {
                const faulty = await run(seed);
                expect(faulty.faults).toBeGreaterThan(0);
                expect(faulty.abandoned).toBe(0);
                expect(compareIncidents(expected.incidents, faulty.incidents)).toStrictEqual({ lost: [], stale: [] });
                expect([...faulty.incidents.keys()].sort()).toStrictEqual([...expected.incidents.keys()].sort());
                expect(faulty.deadLetters).toBe(expected.deadLetters);
            },
            300_000,
        );
    },
);
