/**
 * @module Turns what `LogsIngestionClient.upload` throws into one typed delivery error naming the incident versions
 * that may not have arrived. The client uploads in chunks and throws one `AggregateLogsUploadError` listing each
 * failed chunk with its cause (@azure/monitor-ingestion 1.2.0, `logsIngestionClient.js`); the other chunks arrived.
 */
import { isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import {
    DeliveryRejectedError,
    DeliveryThrottledError,
    DeliveryUnauthorizedError,
    DeliveryUnavailableError,
} from '../errors';
import type { IncidentDeliveryError, IncidentVersionRef } from '../errors';

interface HttpFailure {
    statusCode?: number;
    response?: { headers?: { get?(name: string): string | undefined } };
}

function statusOf(cause: unknown): number | undefined {
    const status = (cause as HttpFailure | undefined)?.statusCode;
    return typeof status === 'number' ? status : undefined;
}

/** Retry-After in milliseconds, as seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(cause: unknown, now: number): number | undefined {
    const raw = (cause as HttpFailure | undefined)?.response?.headers?.get?.('retry-after');
    if (raw === undefined || raw.trim() === '') return undefined;
    const seconds = Number(raw);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(raw);
    return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Token failures from @azure/identity carry these names and no HTTP status. */
const CREDENTIAL_ERRORS = new Set([
    'AuthenticationError',
    'CredentialUnavailableError',
    'AggregateAuthenticationError',
]);

type Kind = 'unauthorized' | 'rejected' | 'throttled' | 'unavailable';

function kindOf(cause: unknown): Kind {
    const status = statusOf(cause);
    if (status === 401 || status === 403) return 'unauthorized';
    if (status === undefined && cause instanceof Error && CREDENTIAL_ERRORS.has(cause.name)) return 'unauthorized';
    if (status === 429) return 'throttled';
    if (status === undefined || status === 408 || status >= 500) return 'unavailable';
    return 'rejected';
}

/** The most actionable kind wins: access to fix, then data refused, then wait, then retry. */
const PRIORITY: Kind[] = ['unauthorized', 'rejected', 'throttled', 'unavailable'];

function refOf(row: Record<string, unknown>): IncidentVersionRef {
    return { id: String(row.IncidentId), version: Number(row.Version) };
}

/**
 * @param error what `upload` threw
 * @param allRows the rows of the call: without an aggregate error (e.g. an abort) every one of them may be missing
 */
export function toDeliveryError(
    error: unknown,
    allRows: readonly Record<string, unknown>[],
    now = Date.now(),
): IncidentDeliveryError {
    const failures = isAggregateLogsUploadError(error)
        ? error.errors.map((e) => ({ rows: e.failedLogs, cause: e.cause }))
        : [{ rows: allRows, cause: error }];
    const failed = failures.flatMap((f) => f.rows.map(refOf));
    const statuses = failures.map((f) => statusOf(f.cause));
    const kinds = new Set(failures.map((f) => kindOf(f.cause)));
    const kind = PRIORITY.find((k) => kinds.has(k)) ?? 'unavailable';
    const first = failures.find((f) => kindOf(f.cause) === kind)?.cause;
    const reason = first instanceof Error ? first.message : String(first);
    const message = `${failed.length} of ${allRows.length} incident versions not delivered to Sentinel (${kind}, HTTP ${statuses.map((s) => s ?? 'no answer').join(', ')}): ${reason}`;
    const options = { cause: error };
    switch (kind) {
        case 'unauthorized':
            return new DeliveryUnauthorizedError(message, failed, statuses, options);
        case 'rejected':
            return new DeliveryRejectedError(message, failed, statuses, options);
        case 'throttled': {
            const waits = failures.map((f) => retryAfterMs(f.cause, now)).filter((w) => w !== undefined);
            const wait = waits.length > 0 ? Math.max(...waits) : undefined;
            return new DeliveryThrottledError(message, failed, statuses, wait, options);
        }
        case 'unavailable':
            return new DeliveryUnavailableError(message, failed, statuses, options);
    }
}
