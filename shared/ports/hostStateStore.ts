/**
 * @module Host-state-store port: where each host's correlation state lives between batches. One record per entity
 * (see `stateKey`), each with an ETag for optimistic concurrency. The records include the host's outbox (incident
 * versions committed but not yet delivered to a publisher): a save must write an outbox entry atomically with the
 * chain record it names (`OutboxEntry.chainKey`), so no crash can leave one without the other. Implementations: `InMemoryHostStateStore`
 * (beside this file; tests, replay) and `TableHostStateStore` (shared/storage/table). Both pass
 * test/contracts/hostStateStoreContract.ts.
 */
import type { HostState } from '../correlate/state';

/** A host's state as loaded, with the ETag of every record (absent for records the store does not hold yet). */
export interface LoadedHostState {
    state: HostState;
    etags: Map<string, string>;
}

export interface SaveStats {
    /** Storage transactions (Table: entity group transactions; memory: one per save). */
    transactions: number;
}

export interface HostStateStore {
    /** Loads a host's whole state (an empty one for an unknown host). Throws `StorageUnavailableError`. */
    load(host: string): Promise<LoadedHostState>;
    /**
     * Writes the `changed` records of `loaded.state` and deletes `removed` keys, each conditional on the ETag it was
     * loaded with (a record without one must not exist yet); updates `loaded.etags`. An outbox entry in `changed` is
     * committed in the same atomic write as its chain record when that is in `changed` too. Throws
     * `ConcurrencyConflictError` when another writer changed one of them, `StorageUnavailableError` when storage fails.
     */
    save(
        host: string,
        loaded: LoadedHostState,
        changed: ReadonlySet<string>,
        removed: ReadonlySet<string>,
    ): Promise<SaveStats>;
    /**
     * Hosts whose meta record is due (`HostMeta.dueAt` at or before `dueBy`), in ascending order of their lower-cased
     * name, after `after` (exclusive) when given, at most `limit`: the maintenance pass's work list. A host whose
     * meta record lacks `dueAt` is not listed.
     */
    listDueHosts(dueBy: Date, limit: number, after?: string): Promise<string[]>;
}
