/**
 * `replay --workers N` (issue 14, "Replay on every core"): worker threads read and ingest, this thread correlates in
 * file order, so the report, the incidents and the dead letters are those of one thread, whatever the number of
 * workers and however far each may read ahead.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { toReplayJson } from '../../../shared/correlate/incident';
import { DEFAULT_INGEST_LIMITS } from '../../../shared/ingest/ingestBatch';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { replayRecordings } from '../../../tools/replay/replay';
import { writeCutOffRecording } from '../../helpers/cutOffRecording';

const FEEDS = resolve(__dirname, '../../fixtures/feeds');
const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-parallel-'));

/** The run as a text: report, incidents (ordered by first sighting) and dead letters without their wall-clock stamp. */
async function replayText(paths: string[], workers: number, workerCredit?: number, parallelFromBytes = 0) {
    const deadLetters = new InMemoryDeadLetterStore();
    const result = await replayRecordings({
        paths,
        batchSize: 16,
        workers,
        parallelFromBytes, // these inputs are small: start the workers anyway
        ...(workerCredit !== undefined && { workerCredit }),
        limits: DEFAULT_INGEST_LIMITS,
        config: DEFAULT_CORRELATION_CONFIG,
        stateStore: new InMemoryHostStateStore(),
        incidentStore: new InMemoryIncidentStore(),
        deadLetters,
        expireEvery: 50, // expiry inside the run, so the stream clock's order matters
    });
    const letters = (await deadLetters.list({})).map(({ rejectedAt: _stamp, ...letter }) => letter);
    return {
        workerThreads: result.workerThreads,
        text: JSON.stringify({
            report: result.report,
            incidents: result.incidents.map(toReplayJson),
            letters,
            transactions: result.stateTransactions,
        }),
    };
}

describe('replay --workers', () => {
    it('gives the result of one thread, byte for byte, with 2 and 3 workers and a read-ahead of one batch', async () => {
        // The feed fixtures (incidents in every envelope), bulk files around them, and broken ones among them.
        const flat = readFileSync(resolve(FEEDS, 'flat.jsonl'), 'utf8');
        writeFileSync(join(dir, 'a-flat.jsonl.gz'), gzipSync(flat));
        writeFileSync(join(dir, 'b-bulk.jsonl'), Array.from({ length: 400 }, () => flat.trim()).join('\n'));
        writeFileSync(join(dir, 'c-cut.jsonl.gz'), gzipSync(flat).subarray(0, 200));
        writeFileSync(join(dir, 'd-mixed.jsonl'), `not json\n${flat}\n{"EventID":"abc"}\n`);
        const paths = [FEEDS, dir];

        const one = await replayText(paths, 1);
        expect(one.workerThreads).toBe(0);
        expect(JSON.parse(one.text)).toMatchObject({ report: { rejected: expect.any(Number) as number } });
        expect((JSON.parse(one.text) as { incidents: unknown[] }).incidents.length).toBeGreaterThanOrEqual(2);
        for (const [workers, credit] of [
            [2, undefined],
            [3, 1],
        ] as const) {
            const parallel = await replayText(paths, workers, credit);
            expect(parallel.workerThreads).toBe(workers);
            expect(parallel.text).toBe(one.text);
        }
    }, 120_000);

    it('cuts one file into stripes, one per worker, with the result of one thread', async () => {
        // One file of many batches, with a line over the limit and bad lines in it, cut off mid-stream: the stripes
        // must agree on batch boundaries, sequence numbers and where the file breaks.
        const file = writeCutOffRecording(dir, 'one-large.jsonl.gz').path;

        const one = await replayText([file], 1);
        expect(one.workerThreads).toBe(0);
        expect(JSON.parse(one.text)).toMatchObject({
            report: { rejectedByReason: { 'too-large': 1, 'truncated-gzip': 1 } },
        });
        for (const [workers, credit] of [
            [2, undefined],
            [3, 1],
        ] as const) {
            const striped = await replayText([file], workers, credit);
            expect(striped.workerThreads).toBe(workers);
            expect(striped.text).toBe(one.text);
        }
    }, 120_000);

    it('reads a small input, or with one worker asked for, on this thread without starting a worker', async () => {
        const flat = resolve(FEEDS, 'flat.jsonl');
        expect((await replayText([flat], 4, undefined, statSync(flat).size + 1)).workerThreads).toBe(0);
        expect((await replayText([FEEDS, dir], 1)).workerThreads).toBe(0);
        expect((await replayText([flat], 4, undefined, statSync(flat).size)).workerThreads).toBe(4);
    });
});
