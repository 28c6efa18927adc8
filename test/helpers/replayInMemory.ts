/** Replays recordings through both stages with in-memory state, incidents and dead letters (the CLI's defaults). */
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import { InMemoryIncidentStore } from '../../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import { InMemoryDeadLetterStore } from '../../shared/ports/InMemoryDeadLetterStore';
import { DEFAULT_INGEST_LIMITS } from '../../shared/ingest/ingestBatch';
import { replayRecordings } from '../../tools/replay/replay';
import type { ReplayResult } from '../../tools/replay/replay';

export function replayInMemory(paths: string[]): Promise<ReplayResult> {
    return replayRecordings({
        paths,
        batchSize: 256,
        limits: DEFAULT_INGEST_LIMITS,
        config: DEFAULT_CORRELATION_CONFIG,
        stateStore: new InMemoryHostStateStore(),
        incidentStore: new InMemoryIncidentStore(),
        deadLetters: new InMemoryDeadLetterStore(),
    });
}
