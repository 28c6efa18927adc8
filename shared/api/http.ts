/**
 * @module The one mapping from outcomes and errors to HTTP, shared by every HTTP function and the local server.
 * Errors become `application/problem+json` (RFC 9457) naming the code and the field; nothing internal (stack traces,
 * connection strings, keys) ever reaches a response.
 */
import {
    ConcurrencyConflictError,
    ConfigurationError,
    InvalidContinuationTokenError,
    StorageUnavailableError,
} from '../errors';

export interface HttpResult {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/** A client error the API reports as a 4xx problem. */
export class ApiProblem extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        readonly detail: string,
        readonly field?: string,
    ) {
        super(detail);
        this.name = 'ApiProblem';
    }
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResult {
    return {
        status,
        headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
        body: JSON.stringify(value),
    };
}

const TITLES: Record<number, string> = {
    400: 'Bad Request',
    404: 'Not Found',
    405: 'Method Not Allowed',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string, field?: string): HttpResult {
    return {
        status,
        headers: { 'content-type': 'application/problem+json; charset=utf-8' },
        body: JSON.stringify({
            type: `https://hollowtrace.dev/problems/${code}`,
            title: TITLES[status] ?? 'Error',
            status,
            code,
            detail,
            ...(field !== undefined && { field }),
        }),
    };
}

/**
 * Maps a thrown error to a response. `log` receives the full error for the operator's logs (never the response).
 */
export function errorToHttp(error: unknown, log: (message: string) => void): HttpResult {
    if (error instanceof ApiProblem) return problem(error.status, error.code, error.detail, error.field);
    if (error instanceof InvalidContinuationTokenError)
        return problem(400, error.code, 'continuationToken is not one this API issued', 'continuationToken');
    if (error instanceof StorageUnavailableError || error instanceof ConcurrencyConflictError) {
        log(`storage: ${error.message}`);
        return {
            ...problem(503, error.code, 'storage is unavailable; retry later'),
            headers: { 'content-type': 'application/problem+json; charset=utf-8', 'retry-after': '5' },
        };
    }
    if (error instanceof ConfigurationError) {
        log(error.message);
        return problem(500, error.code, 'the function app is misconfigured; see its logs');
    }
    log(`unexpected: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return problem(500, 'internal-error', 'an unexpected error occurred; see the function app logs');
}
