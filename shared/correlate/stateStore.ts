/**
 * @module State-store port: where each host's correlation state lives between batches. One record per entity
 * (see `stateKey`), each with an ETag for optimistic concurrency. Implementations: `InMemoryHostStateStore`
 * (tests, replay) and `TableHostStateStore` (shared/storage/table). Both pass test/contracts/hostStateStoreContract.ts.
 */
import { ConcurrencyConflictError } from '../errors';
import type { HostState, StateRecord } from './state';
import { emptyHostState, putRecord, recordAt } from './state';

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

/** Serializes a record; Maps are not used inside records, so plain JSON round-trips them exactly. */
export function serializeRecord(record: StateRecord): string {
    return JSON.stringify(record);
}

export function deserializeRecord(text: string): StateRecord {
    return JSON.parse(text) as StateRecord;
}

interface StoredEntity {
    json: string;
    etag: string;
}

/**
 * Keeps host state in process memory with the same semantics as the Table store: records are copied in and out
 * as JSON (no shared references), and every write is ETag-conditional.
 */
export class InMemoryHostStateStore implements HostStateStore {
    private readonly hosts = new Map<string, Map<string, StoredEntity>>();
    private nextEtag = 1;

    load(host: string): Promise<LoadedHostState> {
        const state = emptyHostState(host);
        const etags = new Map<string, string>();
        for (const [key, entity] of this.hosts.get(host.toLowerCase()) ?? []) {
            putRecord(state, deserializeRecord(entity.json));
            etags.set(key, entity.etag);
        }
        return Promise.resolve({ state, etags });
    }

    save(
        host: string,
        loaded: LoadedHostState,
        changed: ReadonlySet<string>,
        removed: ReadonlySet<string>,
    ): Promise<SaveStats> {
        const partition = this.hosts.get(host.toLowerCase()) ?? new Map<string, StoredEntity>();
        // Check every condition before writing anything, like a single entity group transaction.
        for (const key of [...changed, ...removed]) {
            const stored = partition.get(key);
            const expected = loaded.etags.get(key);
            if (stored?.etag !== expected && !(removed.has(key) && stored === undefined)) {
                return Promise.reject(
                    new ConcurrencyConflictError(`state record ${key} of host ${host} changed since it was loaded`),
                );
            }
        }
        for (const key of changed) {
            const record = recordAt(loaded.state, key);
            if (!record) continue;
            const etag = `m${this.nextEtag++}`;
            partition.set(key, { json: serializeRecord(record), etag });
            loaded.etags.set(key, etag);
        }
        for (const key of removed) {
            partition.delete(key);
            loaded.etags.delete(key);
        }
        this.hosts.set(host.toLowerCase(), partition);
        return Promise.resolve({ transactions: changed.size + removed.size > 0 ? 1 : 0 });
    }

    listHosts(): Promise<string[]> {
        return Promise.resolve([...this.hosts.keys()].filter((h) => (this.hosts.get(h)?.size ?? 0) > 0).sort());
    }
}
