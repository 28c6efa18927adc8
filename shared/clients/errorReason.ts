/** @module Readable reasons for SDK errors, shared by the Event Hubs clients. */

/**
 * A readable reason: a refused connection reaches us as an AggregateError with an empty message (one
 * `connect ECONNREFUSED` per attempt), so its parts are listed instead.
 */
export function reasonOf(error: unknown): string {
    if (error instanceof AggregateError && error.message === '') {
        const parts = [...new Set(error.errors.map(reasonOf))];
        return parts.length > 0 ? parts.join('; ') : error.name;
    }
    if (error instanceof Error) return error.message || error.name;
    return String(error);
}
