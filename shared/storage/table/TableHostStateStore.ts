/**
 * @module Azure Table Storage adapter for the host-state port. One partition per host (PartitionKey = escaped
 * lower-cased host), one entity per state record (RowKey = escaped record key such as `p:<guid>`), each written
 * conditionally on the ETag it was loaded with. Passes test/contracts/hostStateStoreContract.ts.
 *
 * The helpers it shares with the other Table stores (JSON split into string properties, error wrapping, key escaping)
 * live in tableSupport.ts; the ones other modules import from here are re-exported.
 */
import { type TableEntity, type TableEntityResult, type TransactionAction, odata } from '@azure/data-tables';
import { ConcurrencyConflictError } from '../../errors';
import { emptyHostState, putRecord, recordAt, stateKey } from '../../correlate/state';
import type { StateRecord } from '../../correlate/state';
import { deserializeRecord, serializeRecord } from '../../correlate/state';
import { type HostStateStore, type LoadedHostState, type SaveStats } from '../../ports/hostStateStore';
import {
    PER_ACTION_OVERHEAD_BYTES,
    decodeTableKey,
    encodeTableKey,
    errorCode,
    groupForTransactions,
    hostPartitionKey,
    joinJson,
    MAX_ENTITIES_PER_PAGE,
    sanitize,
    splitJson,
    statusOf,
    toStorageError,
} from './tableSupport';
import { TableStore } from './TableStore';

/** Removed records are deleted one request each, this many at a time (see {@link TableHostStateStore.save}). */
const DELETE_CONCURRENCY = 16;

/** Stored shape of a record: `kind`, `parts` and `v0..v{parts-1}` (the record JSON). */
type StateEntity = TableEntity<Record<string, unknown>>;

/** A write planned for one entity group transaction. */
interface PlannedWrite {
    key: string;
    entity: StateEntity;
    /** Absent: the record must not exist yet (create). */
    etag?: string;
    bytes: number;
}

/**
 * Host state in one Azure Table (or Azurite). Create the table once with {@link TableHostStateStore.create}.
 *
 * Writes are entity group transactions of up to 100 records, each `update` conditional on its ETag and each
 * `create` failing if the record exists, so a save either applies a whole transaction or none of it. Deletes are
 * single conditional requests: `TableClient.submitTransaction` in @azure/data-tables 13.3.2 drops the options of a
 * `delete` action and sends `If-Match: *`, so a delete inside a transaction would be unconditional.
 */
export class TableHostStateStore extends TableStore implements HostStateStore {
    async load(host: string): Promise<LoadedHostState> {
        const state = emptyHostState(host);
        const etags = new Map<string, string>();
        const partitionKey = hostPartitionKey(host);
        const pages = this.client
            .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })
            .byPage({ maxPageSize: MAX_ENTITIES_PER_PAGE });
        try {
            for await (const page of pages) {
                for (const entity of page) {
                    const key = decodeTableKey(entity.rowKey ?? '');
                    putRecord(state, deserializeRecord(joinJson(entity, `state record ${key} of host ${host}`)));
                    etags.set(key, entity.etag);
                }
            }
        } catch (e) {
            throw toStorageError(this.client.tableName, `load host state from`, e);
        }
        return { state, etags };
    }

    /**
     * Writes `changed` in transactions of at most 100 records (and ~3 MiB), then deletes `removed` one by one.
     * Each transaction is atomic; the save as a whole is not when it needs several (a conflict in a later one leaves
     * the earlier ones applied, with their new ETags in `loaded.etags`), which the caller's reload-and-reapply
     * tolerates. A key both changed and removed is only deleted; a removed key without an ETag was never stored
     * and is skipped. `transactions` counts transactions plus single deletes: each is one billed storage transaction.
     */
    async save(
        host: string,
        loaded: LoadedHostState,
        changed: ReadonlySet<string>,
        removed: ReadonlySet<string>,
    ): Promise<SaveStats> {
        const partitionKey = hostPartitionKey(host);
        // Build every entity first, so an oversized record throws before anything is written.
        // Writes are grouped in units that must commit together: a chain record and the outbox entries of the
        // incident version it carries. Transactions commit in order, each atomically, so whatever a crash or a
        // failed later transaction leaves behind, a chain's new version is never stored without its outbox entries
        // (nor an entry without its version). The meta record's unit comes first.
        const units = new Map<string, PlannedWrite[]>();
        for (const key of changed) {
            if (removed.has(key)) continue; // a transaction may not touch an entity twice, and the delete wins anyway
            const record = recordAt(loaded.state, key);
            if (!record) continue;
            const unitKey = record.kind === 'outbox' ? record.value.chainKey : key;
            const unit = units.get(unitKey) ?? [];
            unit.push(this.plan(host, partitionKey, key, record, loaded.etags.get(key)));
            units.set(unitKey, unit);
        }
        let transactions = 0;
        const groups = groupForTransactions(
            units.values(),
            (unit) => unit.reduce((sum, w) => sum + w.bytes, 0),
            (unit) => unit.length,
        );
        for (const group of groups) {
            await this.submit(host, partitionKey, group.flat(), loaded);
            transactions++;
        }
        const deletes = [...removed].filter((key) => loaded.etags.has(key));
        transactions += await this.deleteAll(host, partitionKey, deletes, loaded);
        return { transactions };
    }

    /**
     * Meta records only (`RowKey eq 'm:host'`), filtered on their `dueAt` property: the service still scans across
     * partitions, but returns (and bills pages of) only the hosts due, and stops at `limit`.
     */
    async listDueHosts(dueBy: Date, limit: number, after?: string): Promise<string[]> {
        const clauses = [
            odata`RowKey eq ${encodeTableKey(stateKey.meta)}`,
            odata`dueAt le ${dueAtProperty(dueBy.getTime())}`,
        ];
        if (after !== undefined) clauses.push(odata`PartitionKey gt ${hostPartitionKey(after)}`);
        const hosts: string[] = [];
        const pages = this.client
            .listEntities({ queryOptions: { filter: clauses.join(' and '), select: ['PartitionKey'] } })
            .byPage({ maxPageSize: Math.min(limit, MAX_ENTITIES_PER_PAGE) });
        try {
            for await (const page of pages) {
                for (const entity of page) hosts.push(decodeTableKey(entity.partitionKey ?? ''));
                if (hosts.length >= limit) break;
            }
        } catch (e) {
            throw toStorageError(this.client.tableName, 'list due hosts in', e);
        }
        return hosts.slice(0, limit);
    }

    private plan(
        host: string,
        partitionKey: string,
        key: string,
        record: StateRecord,
        etag: string | undefined,
    ): PlannedWrite {
        const json = serializeRecord(record);
        const entity: StateEntity = {
            partitionKey,
            rowKey: encodeTableKey(key),
            kind: record.kind,
            ...splitJson(json, `state record ${key} of host ${host}`),
            // A property of its own so that listDueHosts can filter on it.
            ...(record.kind === 'meta' && record.value.dueAt !== undefined
                ? { dueAt: dueAtProperty(record.value.dueAt) }
                : {}),
        };
        const bytes = Buffer.byteLength(JSON.stringify(entity), 'utf8') + PER_ACTION_OVERHEAD_BYTES;
        return { key, entity, bytes, ...(etag !== undefined ? { etag } : {}) };
    }

    /** Submits one transaction and records the new ETags. 412/409/404 mean another writer got there first. */
    private async submit(
        host: string,
        partitionKey: string,
        group: readonly PlannedWrite[],
        loaded: LoadedHostState,
    ): Promise<void> {
        const actions: TransactionAction[] = group.map((w) =>
            w.etag !== undefined ? ['update', w.entity, 'Replace', { etag: w.etag }] : ['create', w.entity],
        );
        let subResponses: readonly { etag?: string }[];
        try {
            subResponses = (await this.client.submitTransaction(actions)).subResponses;
        } catch (e) {
            const status = statusOf(e);
            // 412 UpdateConditionNotSatisfied: stale ETag. 409 EntityAlreadyExists: created meanwhile.
            // 404 ResourceNotFound: deleted meanwhile (404 TableNotFound is a missing table, i.e. broken storage).
            if (status === 412 || status === 409 || (status === 404 && errorCode(e) === 'ResourceNotFound')) {
                const failed = failedAction(e, group);
                throw new ConcurrencyConflictError(
                    `state of host ${host} changed since it was loaded${failed !== undefined ? ` (record ${failed.key})` : ''}; nothing of this transaction was written`,
                    { cause: sanitize(e as Error, status, errorCode(e)) },
                );
            }
            throw toStorageError(this.client.tableName, 'save host state to', e);
        }
        // Sub-responses come in request order (OData batch). Azurite 3.35 sends an ETag header for every create and
        // update (the SDK's `rowKey` is only parsed from a create's Location header, URL-encoded, so it is not used).
        // Should one lack it, a point read recovers it only if the entity still holds what we wrote; otherwise the
        // ETag would be someone else's, and keeping it could overwrite their change, so the save reports a conflict.
        const aligned = subResponses.length === group.length;
        let lost: string | undefined;
        for (const [i, write] of group.entries()) {
            const etag = aligned ? subResponses[i]?.etag : undefined;
            if (etag !== undefined && etag.length > 0) {
                loaded.etags.set(write.key, etag);
                continue;
            }
            const reread = await this.reread(partitionKey, write);
            if (reread !== undefined) loaded.etags.set(write.key, reread);
            else {
                loaded.etags.delete(write.key);
                lost ??= write.key;
            }
        }
        if (lost !== undefined) {
            throw new ConcurrencyConflictError(
                `state record ${lost} of host ${host} was changed by another writer right after this save`,
            );
        }
    }

    /** The entity's ETag when it still holds `write`'s content; undefined when another writer changed or deleted it. */
    private async reread(partitionKey: string, write: PlannedWrite): Promise<string | undefined> {
        let current: TableEntityResult<Record<string, unknown>>;
        try {
            current = await this.client.getEntity<Record<string, unknown>>(partitionKey, write.entity.rowKey);
        } catch (e) {
            if (statusOf(e) === 404) return undefined;
            throw toStorageError(this.client.tableName, 'read host state from', e);
        }
        return joinJson(current, `state record ${write.key}`) === joinJson(write.entity, write.key)
            ? current.etag
            : undefined;
    }

    /**
     * Deletes records one conditional request each (see the class comment for why not in a transaction), a few at
     * a time. 404 means another writer already deleted it, which is the outcome we wanted (the in-memory store
     * accepts it too); 412 means it changed since it was loaded.
     */
    private async deleteAll(
        host: string,
        partitionKey: string,
        keys: readonly string[],
        loaded: LoadedHostState,
    ): Promise<number> {
        let conflict: ConcurrencyConflictError | undefined;
        let failure: { error: unknown } | undefined;
        let next = 0;
        const worker = async (): Promise<void> => {
            while (next < keys.length && conflict === undefined && failure === undefined) {
                const key = keys[next++] as string;
                const etag = loaded.etags.get(key);
                if (etag === undefined) continue;
                try {
                    await this.client.deleteEntity(partitionKey, encodeTableKey(key), { etag });
                    loaded.etags.delete(key);
                } catch (e) {
                    const status = statusOf(e);
                    if (status === 404 && errorCode(e) === 'ResourceNotFound') loaded.etags.delete(key);
                    else if (status === 412) {
                        conflict = new ConcurrencyConflictError(
                            `state record ${key} of host ${host} changed since it was loaded`,
                            {
                                cause: sanitize(e as Error, status, errorCode(e)),
                            },
                        );
                    } else failure = { error: toStorageError(this.client.tableName, 'delete host state from', e) };
                }
            }
        };
        await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
        if (failure !== undefined) throw failure.error;
        if (conflict !== undefined) throw conflict;
        return keys.length;
    }
}

/**
 * `dueAt` as stored: a fixed-width ISO time, so that string order is time order (the same reasoning as the incident
 * store's `lastSeen`), avoiding the typed-literal rules of Int64/Double filters.
 */
function dueAtProperty(ms: number): string {
    return new Date(Math.min(Math.max(ms, 0), 253_402_300_799_000)).toISOString();
}

/**
 * The action a transaction failure names: the service prefixes the message with the failing operation's index
 * (`1:The specified entity already exists.`).
 */
function failedAction<T>(e: unknown, group: readonly T[]): T | undefined {
    const match = e instanceof Error ? /^(\d+):/.exec(e.message) : null;
    return match?.[1] !== undefined ? group[Number(match[1])] : undefined;
}
