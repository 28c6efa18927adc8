/**
 * @module Typed errors for broken infrastructure. Bad data is never thrown: it becomes a value
 * (a rejection with a reason). These are thrown so that the Functions retry policy re-runs the batch.
 */

/** Base of every error hollowtrace throws on purpose; `code` is stable and machine-readable. */
export abstract class HollowtraceError extends Error {
    abstract readonly code: string;
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = new.target.name;
    }
}

/** A storage backend (Table Storage, Blob) failed or did not answer: transient, retry the batch. */
export class StorageUnavailableError extends HollowtraceError {
    readonly code = 'storage-unavailable';
}

/** An optimistic-concurrency conflict survived the bounded re-read-and-reapply loop. */
export class ConcurrencyConflictError extends HollowtraceError {
    readonly code = 'concurrency-conflict';
}

/** Configuration is missing or invalid; raised once at start-up by `loadConfig`. */
export class ConfigurationError extends HollowtraceError {
    readonly code = 'configuration-invalid';
}

/** Forwarding to the downstream Event Hub failed after the bounded retries. */
export class ForwardingFailedError extends HollowtraceError {
    readonly code = 'forwarding-failed';
}

/**
 * A caller passed a continuation token the store did not issue (tampered, truncated or from another version):
 * client input that reached a port, answered with 400 `invalid-continuation-token`.
 */
export class InvalidContinuationTokenError extends HollowtraceError {
    readonly code = 'invalid-continuation-token';
}
