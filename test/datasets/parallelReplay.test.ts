/**
 * `replay --workers N` on the team's recordings (issue 14): the whole datasets folder, every form it holds, replayed
 * with one thread and with worker threads gives the same report and the same incidents, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import { toReplayJson } from '../../shared/correlate/incident';
import { DEFAULT_INGEST_LIMITS } from '../../shared/ingest/ingestBatch';
import { InMemoryDeadLetterStore } from '../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import { InMemoryIncidentStore } from '../../shared/ports/InMemoryIncidentStore';
import { replayRecordings } from '../../tools/replay/replay';
import { DATASETS_DIR, DATASETS_PRESENT, DATASETS_SKIP_REASON } from '../support/datasets';

async function replayFolder(workers: number) {
    const result = await replayRecordings({
        paths: [DATASETS_DIR],
        batchSize: 256,
        workers,
        parallelFromBytes: 0, // the folder is smaller than the default threshold: start the workers anyway
        limits: DEFAULT_INGEST_LIMITS,
        config: DEFAULT_CORRELATION_CONFIG,
        stateStore: new InMemoryHostStateStore(),
        incidentStore: new InMemoryIncidentStore(),
        deadLetters: new InMemoryDeadLetterStore(),
    });
    return {
        workerThreads: result.workerThreads,
        report: JSON.stringify(result.report),
        incidents: JSON.stringify(result.incidents.map(toReplayJson)),
        count: result.incidents.length,
    };
}

describe.skipIf(!DATASETS_PRESENT)(
    `the datasets folder with worker threads ${DATASETS_PRESENT ? '' : `(${DATASETS_SKIP_REASON})`}`,
    () => {
        it('--workers 2 finds the incidents of --workers 1, byte for byte', async () => {
            const one = await replayFolder(1);
            const two = await replayFolder(2);
            expect(one.workerThreads).toBe(0);
            expect(two.workerThreads).toBe(2);
            expect(one.count).toBeGreaterThan(0);
            expect(two.report).toBe(one.report);
            expect(two.incidents).toBe(one.incidents);
        }, 180_000);
    },
);
