import { deserializeRecord, emptyHostState, putRecord, recordAt, serializeRecord, stateKey } from '../correlate/state';
import { ConcurrencyConflictError } from '../errors';
import type { HostStateStore, LoadedHostState, SaveStats } from './hostStateStore';

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
        if (partition.size > 0) this.hosts.set(host.toLowerCase(), partition);
        else this.hosts.delete(host.toLowerCase());
        return Promise.resolve({ transactions: changed.size + removed.size > 0 ? 1 : 0 });
    }

    listDueHosts(dueBy: Date, limit: number, after?: string): Promise<string[]> {
        const due: string[] = [];
        for (const [host, partition] of this.hosts) {
            if (after !== undefined && host <= after.toLowerCase()) continue;
            const meta = partition.get(stateKey.meta);
            if (meta === undefined) continue;
            const record = deserializeRecord(meta.json);
            if (record.kind === 'meta' && record.value.dueAt !== undefined && record.value.dueAt <= dueBy.getTime())
                due.push(host);
        }
        return Promise.resolve(due.sort().slice(0, limit));
    }
}
