/**
 * @module Host-state-store port: where each host's correlation state lives between batches. One record per entity
 * (see `stateKey`), each with an ETag for optimistic concurrency. Implementations: `InMemoryHostStateStore`
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
     * loaded with (a record without one must not exist yet); updates `loaded.etags`. Throws
     * `ConcurrencyConflictError` when another writer changed one of them, `StorageUnavailableError` when storage fails.
     */
    save(
        host: string,
        loaded: LoadedHostState,
        changed: ReadonlySet<string>,
        removed: ReadonlySet<string>,
    ): Promise<SaveStats>;
    /** Hosts that have state, for the expiry timer. */
    listHosts(): Promise<string[]>;
}
