/** @module The query of the dead-letter endpoints (list and reprocess): which days, which reason, how many, after which. */
import type { DeadLetterQuery } from '../ports/deadLetterStore';
import { ApiProblem } from './http';
import { integer, queryParameter } from './queryParameters';

/** Dead letters per answer at most: each carries up to 30,000 characters of raw text (`MAX_DEAD_LETTER_RAW_CHARS`). */
export const MAX_DEAD_LETTERS_LISTED = 500;
/**
 * Raw text per answer at most, in characters: a page of parked messages (up to 400,000 characters each) would otherwise
 * hold hundreds of megabytes. The page ends early, and `next` continues it.
 */
export const MAX_DEAD_LETTER_PAGE_RAW_CHARS = 4_000_000;
/** Days listed when `sinceDay` is not given: today (UTC) and the six before. */
const DEFAULT_DEAD_LETTER_DAYS = 7;
/** `YYYY-MM-DD` naming a real day (not 2026-02-30). */
function isCalendarDay(text: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    const ms = Date.parse(`${text}T00:00:00Z`);
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}
const REASON_CODE = /^[a-z0-9-]{1,64}$/;

/** The `sinceDay`, `reason`, `limit` and `after` parameters of the dead-letter endpoints, checked. */
export function deadLetterQuery(
    params: URLSearchParams,
    now: Date,
): DeadLetterQuery & { sinceDay: string; limit: number } {
    const given = queryParameter(params, 'sinceDay');
    if (given !== undefined && !isCalendarDay(given))
        throw new ApiProblem(400, 'invalid-day', 'sinceDay must be a date YYYY-MM-DD', 'sinceDay');
    const sinceDay =
        given ?? new Date(now.getTime() - (DEFAULT_DEAD_LETTER_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const reason = queryParameter(params, 'reason');
    if (reason !== undefined && !REASON_CODE.test(reason)) {
        throw new ApiProblem(
            400,
            'invalid-reason',
            'reason is a code such as malformed-xml: lower-case letters, digits and dashes',
            'reason',
        );
    }
    const limit = integer(params, 'limit', 1, MAX_DEAD_LETTERS_LISTED) ?? 50;
    const after = queryParameter(params, 'after');
    if (
        after !== undefined &&
        (after.length > 2048 || !isCalendarDay(after.slice(0, 10)) || after.charAt(10) !== '/')
    ) {
        throw new ApiProblem(400, 'invalid-cursor', 'after is the next value of a previous answer', 'after');
    }
    return {
        sinceDay,
        limit,
        maxRawChars: MAX_DEAD_LETTER_PAGE_RAW_CHARS,
        ...(reason !== undefined && { reason }),
        ...(after !== undefined && { after }),
    };
}
