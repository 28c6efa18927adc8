/**
 * @module Azure Table Storage adapter for the host-state port. One partition per host (PartitionKey = escaped
 * lower-cased host), one entity per state record (RowKey = escaped record key such as `p:<guid>`), each written
 * conditionally on the ETag it was loaded with. Passes test/contracts/hostStateStoreContract.ts.
 *
 * Also exports the helpers the incident store shares: JSON split into string properties, and error wrapping.
 */
import {
    RestError,
    type TableClient,
    type TableEntity,
    type TableEntityResult,
    type TransactionAction,
    odata,
} from '@azure/data-tables';
import { ConcurrencyConflictError, StorageUnavailableError } from '../../errors.js';
import { emptyHostState, putRecord, recordAt } from '../../correlate/state.js';
import type { StateRecord } from '../../correlate/state.js';
import {
    deserializeRecord,
    serializeRecord,
    type HostStateStore,
    type LoadedHostState,
    type SaveStats,
} from '../../correlate/stateStore.js';
import { decodeTableKey, encodeTableKey } from './tableDeadLetterStore.js';

/**
 * Characters per string property. A String property holds at most 64 KiB, i.e. 32,768 UTF-16 code units
 * (learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model, "Property types");
 * 30,000 leaves room and is a round number to reason about.
 */
export const MAX_PART_CHARS = 30_000;

/**
 * Parts per entity. An entity holds at most 1 MiB of data (same doc, "Table service data model"), counted as
 * UTF-16: 14 × 30,000 chars × 2 bytes ≈ 820 KiB leaves room for keys, the other properties and the per-property
 * overhead, and keeps a single entity well under the 4 MiB transaction payload.
 */
export const MAX_PARTS = 14;

/** Table transactions take at most 100 operations, all in one partition (learn.microsoft.com "Performing entity group transactions"). */
const MAX_TRANSACTION_ACTIONS = 100;

/**
 * A transaction's payload is capped at 4 MiB (same doc; Azurite answers 413 beyond it). Groups are also cut by
 * estimated UTF-8 size, with headroom for the multipart framing, as in tableDeadLetterStore.ts.
 */
const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;
/** Multipart headers and request line (which repeats both keys) per operation; generous on purpose. */
const PER_ACTION_OVERHEAD_BYTES = 2048;

/** Removed records are deleted one request each, this many at a time (see {@link TableHostStateStore.save}). */
const DELETE_CONCURRENCY = 16;

/** Page size of partition scans: the service returns at most 1,000 entities per page (Query Entities, "$top"). */
const SCAN_PAGE_SIZE = 1000;

/**
 * Splits a JSON text into the string properties `v0`, `v1`, ... of at most {@link MAX_PART_CHARS} characters,
 * plus `parts`. Throws a plain `Error` past {@link MAX_PARTS}: callers bound what they store, so an oversized
 * record is a programming error, and it must not be retried as if storage were down.
 *
 * U+2028/U+2029 are written as JSON escapes (JSON.parse reads them back unchanged; JSON.stringify only emits them
 * inside strings): Azurite 3.35 cuts a transaction sub-request body at them (see tableDeadLetterStore.ts).
 * A part never ends between the two halves of a surrogate pair, so each part is well-formed UTF-16 on the wire.
 */
export function splitJson(json: string, what: string): Record<string, string | number> {
    const text = json.replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
    const properties: Record<string, string | number> = {};
    let parts = 0;
    for (let start = 0; start < text.length || parts === 0; parts++) {
        let end = Math.min(start + MAX_PART_CHARS, text.length);
        const last = text.charCodeAt(end - 1);
        if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
        if (parts >= MAX_PARTS) {
            throw new Error(
                `${what} is too large for one Table entity: its JSON is ${String(json.length)} characters, `
                + `over ${String(MAX_PARTS)} properties of ${String(MAX_PART_CHARS)} characters`,
            );
        }
        properties[`v${String(parts)}`] = text.slice(start, end);
        start = end;
    }
    properties.parts = parts;
    return properties;
}

/** Inverse of {@link splitJson}: the JSON text held in an entity's `v0..v{parts-1}`. */
export function joinJson(entity: Record<string, unknown>, what: string): string {
    const parts = entity.parts;
    if (typeof parts !== 'number' || !Number.isInteger(parts) || parts < 1 || parts > MAX_PARTS) {
        throw new Error(`${what} is not a hollowtrace entity: 'parts' is ${JSON.stringify(parts) ?? 'missing'}`);
    }
    let json = '';
    for (let i = 0; i < parts; i++) {
        const part = entity[`v${String(i)}`];
        if (typeof part !== 'string') throw new Error(`${what} is incomplete: property 'v${String(i)}' is missing`);
        json += part;
    }
    return json;
}

/** The HTTP status of an SDK failure, if it has one. */
export function statusOf(e: unknown): number | undefined {
    return e instanceof RestError ? e.statusCode : undefined;
}

/**
 * The service's error code (e.g. `UpdateConditionNotSatisfied`) or the socket code (e.g. `ECONNREFUSED`), if any.
 * Outside transactions the SDK leaves `e.code` undefined and the code sits in `e.details` (toolchain-facts.md §4.3).
 */
export function errorCode(e: unknown): string | undefined {
    if (!(e instanceof Error)) return undefined;
    const details = (e as { details?: { errorCode?: unknown; odataError?: { code?: unknown } } }).details;
    const candidates = [details?.odataError?.code, details?.errorCode, (e as { code?: unknown }).code];
    const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
    // Codes are short identifiers; anything else is not echoed, to keep messages free of payload text.
    return found !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(found) ? found : undefined;
}

/**
 * Turns SDK and socket failures into `StorageUnavailableError` (so the batch is retried); anything else (a bug)
 * is returned unchanged. The message names the table and HTTP status only: never the URL or connection string,
 * which may carry a SAS or key. Same rules as tableDeadLetterStore.ts.
 */
export function toStorageError(tableName: string, action: string, e: unknown): unknown {
    if (!isStorageFailure(e)) return e;
    const statusCode = statusOf(e);
    const status = statusCode !== undefined ? `HTTP ${String(statusCode)}` : 'no HTTP response';
    const code = errorCode(e);
    return new StorageUnavailableError(
        `Could not ${action} table '${tableName}': ${status}${code !== undefined ? ` (${code})` : ''}`,
        { cause: sanitize(e, statusCode, code) },
    );
}

/**
 * A copy of the failure without `request`/`response`: a RestError keeps the signed `Authorization` header
 * (and a SAS in the URL) plus the whole payload, and test reporters and JSON loggers print them verbatim.
 */
export function sanitize(e: Error, statusCode: number | undefined, code: string | undefined): Error {
    const copy = new RestError(e.message, { ...(statusCode !== undefined ? { statusCode } : {}), ...(code !== undefined ? { code } : {}) });
    copy.name = e.name;
    if (e.stack !== undefined) copy.stack = e.stack;
    return copy;
}

/** RestError (HTTP or socket failure inside the SDK), a timeout, or a raw Node socket error. */
function isStorageFailure(e: unknown): e is Error {
    if (e instanceof RestError) return true;
    if (!(e instanceof Error)) return false;
    return e.name === 'RestError' || e.name === 'AbortError' || typeof (e as { code?: unknown }).code === 'string';
}

/** PartitionKey of a host: host names are case-insensitive, so `WS01` and `ws01` share one partition. */
export function hostPartitionKey(host: string): string {
    return encodeTableKey(host.toLowerCase());
}

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
export class TableHostStateStore implements HostStateStore {
    constructor(private readonly client: TableClient) {}

    /** Returns a store whose table exists (created if missing). */
    static async create(client: TableClient): Promise<TableHostStateStore> {
        const store = new TableHostStateStore(client);
        await store.ensureTable();
        return store;
    }

    /** Creates the table if missing. 409 TableAlreadyExists means it is there (the SDK swallows it too). */
    async ensureTable(): Promise<void> {
        try {
            await this.client.createTable();
        } catch (e) {
            if (statusOf(e) === 409) return;
            throw toStorageError(this.client.tableName, 'create table', e);
        }
    }

    async load(host: string): Promise<LoadedHostState> {
        const state = emptyHostState(host);
        const etags = new Map<string, string>();
        const partitionKey = hostPartitionKey(host);
        const pages = this.client
            .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })
            .byPage({ maxPageSize: SCAN_PAGE_SIZE });
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
    async save(host: string, loaded: LoadedHostState, changed: ReadonlySet<string>, removed: ReadonlySet<string>): Promise<SaveStats> {
        const partitionKey = hostPartitionKey(host);
        // Build every entity first, so an oversized record throws before anything is written.
        const writes: PlannedWrite[] = [];
        for (const key of changed) {
            if (removed.has(key)) continue; // a transaction may not touch an entity twice, and the delete wins anyway
            const record = recordAt(loaded.state, key);
            if (!record) continue;
            writes.push(this.plan(host, partitionKey, key, record, loaded.etags.get(key)));
        }
        let transactions = 0;
        for (const group of groupWrites(writes)) {
            await this.submit(host, partitionKey, group, loaded);
            transactions++;
        }
        const deletes = [...removed].filter((key) => loaded.etags.has(key));
        transactions += await this.deleteAll(host, partitionKey, deletes, loaded);
        return { transactions };
    }

    async listHosts(): Promise<string[]> {
        const hosts = new Set<string>();
        const pages = this.client.listEntities({ queryOptions: { select: ['PartitionKey'] } }).byPage({ maxPageSize: SCAN_PAGE_SIZE });
        try {
            for await (const page of pages) for (const entity of page) hosts.add(decodeTableKey(entity.partitionKey ?? ''));
        } catch (e) {
            throw toStorageError(this.client.tableName, 'list hosts in', e);
        }
        return [...hosts].sort();
    }

    private plan(host: string, partitionKey: string, key: string, record: StateRecord, etag: string | undefined): PlannedWrite {
        const json = serializeRecord(record);
        const entity: StateEntity = {
            partitionKey,
            rowKey: encodeTableKey(key),
            kind: record.kind,
            ...splitJson(json, `state record ${key} of host ${host}`),
        };
        const bytes = Buffer.byteLength(JSON.stringify(entity), 'utf8') + PER_ACTION_OVERHEAD_BYTES;
        return { key, entity, bytes, ...(etag !== undefined ? { etag } : {}) };
    }

    /** Submits one transaction and records the new ETags. 412/409/404 mean another writer got there first. */
    private async submit(host: string, partitionKey: string, group: readonly PlannedWrite[], loaded: LoadedHostState): Promise<void> {
        const actions: TransactionAction[] = group.map((w) => (w.etag !== undefined ? ['update', w.entity, 'Replace', { etag: w.etag }] : ['create', w.entity]));
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
            throw new ConcurrencyConflictError(`state record ${lost} of host ${host} was changed by another writer right after this save`);
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
        return joinJson(current, `state record ${write.key}`) === joinJson(write.entity, write.key) ? current.etag : undefined;
    }

    /**
     * Deletes records one conditional request each (see the class comment for why not in a transaction), a few at
     * a time. 404 means another writer already deleted it, which is the outcome we wanted (the in-memory store
     * accepts it too); 412 means it changed since it was loaded.
     */
    private async deleteAll(host: string, partitionKey: string, keys: readonly string[], loaded: LoadedHostState): Promise<number> {
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
                        conflict = new ConcurrencyConflictError(`state record ${key} of host ${host} changed since it was loaded`, {
                            cause: sanitize(e as Error, status, errorCode(e)),
                        });
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
 * The action a transaction failure names: the service prefixes the message with the failing operation's index
 * (`1:The specified entity already exists.`).
 */
function failedAction<T>(e: unknown, group: readonly T[]): T | undefined {
    const match = e instanceof Error ? /^(\d+):/.exec(e.message) : null;
    return match?.[1] !== undefined ? group[Number(match[1])] : undefined;
}

/** Groups writes into transactions of at most 100 operations and ~3 MiB (one partition: the caller's host). */
function groupWrites(writes: readonly PlannedWrite[]): PlannedWrite[][] {
    const groups: PlannedWrite[][] = [];
    let group: PlannedWrite[] = [];
    let bytes = 0;
    for (const write of writes) {
        if (group.length > 0 && (group.length >= MAX_TRANSACTION_ACTIONS || bytes + write.bytes > MAX_TRANSACTION_BYTES)) {
            groups.push(group);
            group = [];
            bytes = 0;
        }
        group.push(write);
        bytes += write.bytes;
    }
    if (group.length > 0) groups.push(group);
    return groups;
}
