import type { IngestDependencies } from '../ingest/ingestService';
import { reprocessDeadLetters } from '../ingest/reprocessDeadLetters';
import { deadLetterQuery } from './deadLetterQuery';
import { json } from './http';
import type { HttpResult } from './http';

/**
 * POST /api/dead-letters/reprocess?sinceDay&reason&limit: runs the selected letters through stage 1 again (after a
 * limit was raised or an upgrade), forwarding what now reads; answers with what became of them. Call again while
 * `next` is not null, passing it as `after`.
 */
export async function reprocessDeadLettersRequest(
    params: URLSearchParams,
    deps: IngestDependencies,
    now: Date,
): Promise<HttpResult> {
    const query = deadLetterQuery(params, now);
    const { next, ...outcome } = await reprocessDeadLetters(query, deps, now);
    return json(200, { sinceDay: query.sinceDay, limit: query.limit, ...outcome, next: next ?? null });
}
