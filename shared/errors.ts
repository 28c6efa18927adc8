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

/** One incident version, as the outbox and the delivery errors name it. */
export interface IncidentVersionRef {
    id: string;
    version: number;
}

/**
 * Some incident versions may not have reached a delivery target (the Sentinel workspace). `failed` names them; the
 * others of the same call arrived. The subclass says what to do: fix access, wait, or retry.
 */
export abstract class IncidentDeliveryError extends HollowtraceError {
    constructor(
        message: string,
        readonly failed: readonly IncidentVersionRef[],
        /** HTTP status of each failed request, in order (undefined: no answer, e.g. connection refused). */
        readonly statuses: readonly (number | undefined)[],
        options?: { cause?: unknown },
    ) {
        super(message, options);
    }
}

/** 401/403: the identity has no token or no right to the DCR (Monitoring Metrics Publisher). Retrying will not help until access is fixed. */
export class DeliveryUnauthorizedError extends IncidentDeliveryError {
    readonly code = 'delivery-unauthorized';
}

/** 429: over the ingestion limits; retry after `retryAfterMs` when the service said so. */
export class DeliveryThrottledError extends IncidentDeliveryError {
    readonly code = 'delivery-throttled';
    constructor(
        message: string,
        failed: readonly IncidentVersionRef[],
        statuses: readonly (number | undefined)[],
        readonly retryAfterMs: number | undefined,
        options?: { cause?: unknown },
    ) {
        super(message, failed, statuses, options);
    }
}

/** 5xx, timeouts, refused connections: transient, retry. */
export class DeliveryUnavailableError extends IncidentDeliveryError {
    readonly code = 'delivery-unavailable';
}

/** 400/413 and other 4xx: the service refused the rows themselves; the same rows will be refused again. */
export class DeliveryRejectedError extends IncidentDeliveryError {
    readonly code = 'delivery-rejected';
}

/**
 * A caller passed a continuation token the store did not issue (tampered, truncated or from another version):
 * client input that reached a port, answered with 400 `invalid-continuation-token`.
 */
export class InvalidContinuationTokenError extends HollowtraceError {
    readonly code = 'invalid-continuation-token';
}
