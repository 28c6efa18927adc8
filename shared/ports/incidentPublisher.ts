/**
 * @module Incident-publisher port: where committed incident versions go (our incident table, the Sentinel workspace).
 * The correlation outbox hands every committed incident version to each publisher until that publisher succeeds, so a
 * publisher must be idempotent by (incident id, version): a repeated call after a lost response changes nothing.
 */
import type { Incident } from '../correlate/incident';

export interface IncidentPublisher {
    /** Stable name: the key of the outbox marker this publisher clears (`incidents`, `sentinel`, ...). */
    readonly name: string;
    /**
     * Delivers the incident versions. Throws a typed error (`StorageUnavailableError` or a delivery error from
     * `shared/errors.ts`) when any of them may not have arrived; the outbox then keeps them pending.
     */
    publish(incidents: readonly Incident[]): Promise<void>;
}
