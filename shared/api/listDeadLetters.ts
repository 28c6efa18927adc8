import { deadLetterCursor, pageMayContinue } from '../ingest/deadLetter';
import { deadLetterQuery } from './deadLetterQuery';
import { json } from './http';
import type { HttpResult } from './http';
import type { IncidentsApiDependencies } from './incidentsApiDependencies';

/**
 * GET /api/dead-letters?sinceDay&reason&limit&after: the rejected inputs (reason, detail, raw text, Event Hub coordinates) of
 * a UTC day (enqueued, else rejected) and later, newest day first. Days, not times: stores file letters by day.
 */
export async function listDeadLetters(
    params: URLSearchParams,
    deps: Pick<IncidentsApiDependencies, 'deadLetters'>,
    now: Date,
): Promise<HttpResult> {
    const query = deadLetterQuery(params, now);
    const deadLetters = await deps.deadLetters.list(query);
    const last = deadLetters[deadLetters.length - 1];
    const next = last !== undefined && pageMayContinue(deadLetters, query) ? deadLetterCursor(last) : null;
    return json(200, { sinceDay: query.sinceDay, deadLetters, next });
}
