/**
 * @module Azure Table Storage adapter for the dead-letter port. One entity per letter: PartitionKey is the
 * rejection day (UTC `YYYY-MM-DD`) so an operator can list a day, RowKey is the escaped letter id so a replayed
 * batch overwrites instead of duplicating. Passes test/contracts/deadLetterStoreContract.ts.
 */
import {
    RestError,
    TableClient,
    type TableEntity,
    type TableServiceClientOptions,
    type TransactionAction,
} from '@azure/data-tables';
import { StorageUnavailableError } from '../../errors.js';
import type { DeadLetter, DeadLetterStore } from '../../ingest/deadLetter.js';

/** Table transactions take at most 100 operations, all in one partition (learn.microsoft.com "Performing entity group transactions"). */
const MAX_TRANSACTION_ACTIONS = 100;

/**
 * A transaction's payload is capped at 4 MiB (same doc); Azurite enforces it too (413 RequestBodyTooLarge).
 * 100 letters with 30,000-char non-ASCII raws are ~9 MB of UTF-8, so groups are also cut by estimated size,
 * with headroom for the multipart framing.
 */
const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;
/** Multipart headers and request line (which repeats both keys) per operation; generous on purpose. */
const PER_ACTION_OVERHEAD_BYTES = 2048;

/** Partition for a `rejectedAt` with no parsable day: it sorts after every real day, so those letters list last. */
const UNKNOWN_DAY = '0000-00-00';

/**
 * Characters forbidden in PartitionKey/RowKey: `/`, `\`, `#`, `?`, U+0000–U+001F and U+007F–U+009F
 * (learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model,
 * "Characters disallowed in key fields"). `%` is escaped too so that the encoding stays reversible.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the service forbids
const KEY_UNSAFE = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;

/**
 * Escapes `id` for use as a RowKey: each forbidden character (and `%`) becomes `%XX`, its code unit in hex.
 * All escaped characters are below U+0100, so two hex digits always suffice.
 */
export function encodeTableKey(id: string): string {
    return id.replace(KEY_UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Inverse of {@link encodeTableKey}. */
export function decodeTableKey(key: string): string {
    return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * Builds a `TableClient` from a connection string. Plain http is allowed only for an http:// endpoint or
 * `UseDevelopmentStorage=true` (Azurite): the SDK rejects plain-http requests without `allowInsecureConnection`.
 * `options` is for tests (e.g. `retryOptions`).
 */
export function createTableClientFromConnectionString(
    connectionString: string,
    tableName: string,
    options?: TableServiceClientOptions,
): TableClient {
    const settings = new Map<string, string>();
    for (const part of connectionString.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0) settings.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
    const endpoint = settings.get('tableendpoint');
    const insecure = settings.get('usedevelopmentstorage')?.toLowerCase() === 'true'
        || (endpoint !== undefined
            ? endpoint.toLowerCase().startsWith('http://')
            : settings.get('defaultendpointsprotocol')?.toLowerCase() === 'http');
    return TableClient.fromConnectionString(connectionString, tableName, {
        ...options,
        ...(insecure ? { allowInsecureConnection: true } : {}),
    });
}

/** Stored shape of a letter. Numbers are written as Double: Int64 would come back as BigInt. */
type DeadLetterEntity = TableEntity<Record<string, unknown>>;

/** Dead letters in one Azure Table (or Azurite). Create the table once with {@link TableDeadLetterStore.create}. */
export class TableDeadLetterStore implements DeadLetterStore {
    constructor(private readonly client: TableClient) {}

    /** Returns a store whose table exists (created if missing). */
    static async create(client: TableClient): Promise<TableDeadLetterStore> {
        const store = new TableDeadLetterStore(client);
        await store.ensureTable();
        return store;
    }

    /** Creates the table if missing. 409 TableAlreadyExists means it is there (the SDK swallows it too). */
    async ensureTable(): Promise<void> {
        try {
            await this.client.createTable();
        } catch (e) {
            if (e instanceof RestError && e.statusCode === 409) return;
            throw this.wrap('create table', e);
        }
    }

    async putMany(letters: readonly DeadLetter[]): Promise<void> {
        const { transactions, singles } = planWrites(letters.map(toEntity));
        for (const group of transactions) {
            const actions: TransactionAction[] = group.map((entity) => ['upsert', entity, 'Replace']);
            try {
                await this.client.submitTransaction(actions);
            } catch (e) {
                throw this.wrap('write dead letters to', e);
            }
        }
        for (const entity of singles) {
            try {
                await this.client.upsertEntity(entity, 'Replace');
            } catch (e) {
                throw this.wrap('write a dead letter to', e);
            }
        }
    }

    async list(options?: { limit?: number }): Promise<DeadLetter[]> {
        const entities: DeadLetterEntity[] = [];
        try {
            for await (const entity of this.client.listEntities<Record<string, unknown>>()) {
                entities.push({ ...entity, partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
            }
        } catch (e) {
            throw this.wrap('list dead letters in', e);
        }
        entities.sort((a, b) => compare(b.partitionKey, a.partitionKey) || compare(a.rowKey, b.rowKey));
        const limit = Math.max(0, options?.limit ?? entities.length);
        return entities.slice(0, limit).map(fromEntity);
    }

    /**
     * Turns SDK and socket failures into `StorageUnavailableError` (so the batch is retried). The message
     * names the table and HTTP status only: never the URL or connection string, which may carry a SAS or key.
     */
    private wrap(action: string, e: unknown): unknown {
        if (!isStorageFailure(e)) return e;
        const statusCode = e instanceof RestError ? e.statusCode : undefined;
        const status = statusCode !== undefined ? `HTTP ${String(statusCode)}` : 'no HTTP response';
        const code = errorCode(e);
        return new StorageUnavailableError(
            `Could not ${action} table '${this.client.tableName}': ${status}${code !== undefined ? ` (${code})` : ''}`,
            { cause: sanitize(e, statusCode, code) },
        );
    }
}

/**
 * A copy of the failure without `request`/`response`: a RestError keeps the signed `Authorization` header
 * (and a SAS in the URL) plus the whole payload, and test reporters and JSON loggers print them verbatim.
 */
function sanitize(e: Error, statusCode: number | undefined, code: string | undefined): Error {
    const copy = new RestError(e.message, { ...(statusCode !== undefined ? { statusCode } : {}), ...(code !== undefined ? { code } : {}) });
    copy.name = e.name;
    if (e.stack !== undefined) copy.stack = e.stack;
    return copy;
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Azurite 3.35 cuts a transaction sub-request's JSON body at U+2028/U+2029 (its batch parser matches the body
 * with `/{+.+}+/`, and `.` stops at line terminators; JSON.stringify leaves them unescaped), answering 400/500.
 * Letters carrying them are written one by one instead: same result, still idempotent.
 */
const LINE_TERMINATOR_UNSAFE_IN_BATCH = /[\u2028\u2029]/;

/**
 * Plans the writes: transactions of one partition each, at most 100 actions and ~3 MiB, plus the single
 * upserts that must bypass transactions. Duplicate ids in one call collapse to the last occurrence.
 */
function planWrites(entities: readonly DeadLetterEntity[]): { transactions: DeadLetterEntity[][]; singles: DeadLetterEntity[] } {
    const byPartition = new Map<string, Map<string, DeadLetterEntity>>();
    for (const entity of entities) {
        // Last write wins within one call too: a transaction may not touch the same entity twice (400).
        const partition = byPartition.get(entity.partitionKey) ?? new Map<string, DeadLetterEntity>();
        partition.delete(entity.rowKey);
        partition.set(entity.rowKey, entity);
        byPartition.set(entity.partitionKey, partition);
    }
    const singles: DeadLetterEntity[] = [];
    const groups: DeadLetterEntity[][] = [];
    for (const partition of byPartition.values()) {
        let group: DeadLetterEntity[] = [];
        let bytes = 0;
        for (const entity of partition.values()) {
            const json = JSON.stringify(entity);
            if (LINE_TERMINATOR_UNSAFE_IN_BATCH.test(json)) {
                singles.push(entity);
                continue;
            }
            const size = Buffer.byteLength(json, 'utf8') + PER_ACTION_OVERHEAD_BYTES;
            if (group.length > 0 && (group.length >= MAX_TRANSACTION_ACTIONS || bytes + size > MAX_TRANSACTION_BYTES)) {
                groups.push(group);
                group = [];
                bytes = 0;
            }
            group.push(entity);
            bytes += size;
        }
        if (group.length > 0) groups.push(group);
    }
    return { transactions: groups, singles };
}

/** UTC day of `rejectedAt`; an unparsable time still gets stored (in {@link UNKNOWN_DAY}) rather than lost. */
function dayOf(rejectedAt: string): string {
    const ms = Date.parse(rejectedAt);
    return Number.isNaN(ms) ? UNKNOWN_DAY : new Date(ms).toISOString().slice(0, 10);
}

function double(value: number): { value: number; type: 'Double' } {
    return { value, type: 'Double' };
}

function toEntity(letter: DeadLetter): DeadLetterEntity {
    const entity: DeadLetterEntity = {
        // The enqueued day is fixed for a given input, so a batch retried after midnight overwrites its own letters.
        partitionKey: dayOf(letter.enqueuedTime ?? letter.rejectedAt),
        rowKey: encodeTableKey(letter.id),
        id: letter.id,
        reason: letter.reason,
        detail: letter.detail,
        raw: letter.raw,
        rawTruncated: letter.rawTruncated,
        rawBytes: double(letter.rawBytes),
        messageIndex: double(letter.messageIndex),
        recordIndex: double(letter.recordIndex),
        rejectedAt: letter.rejectedAt,
    };
    // Absent optionals are not stored, so they read back absent (not as undefined or null).
    if (letter.partitionId !== undefined) entity.partitionId = letter.partitionId;
    if (letter.sequenceNumber !== undefined) entity.sequenceNumber = double(letter.sequenceNumber);
    if (letter.offset !== undefined) entity.offset = letter.offset;
    if (letter.enqueuedTime !== undefined) entity.enqueuedTime = letter.enqueuedTime;
    return entity;
}

function str(value: unknown): string {
    if (typeof value === 'string') return value;
    return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function num(value: unknown): number {
    return typeof value === 'number' ? value : Number(value);
}

function fromEntity(entity: DeadLetterEntity): DeadLetter {
    const letter: DeadLetter = {
        id: typeof entity.id === 'string' ? entity.id : decodeTableKey(entity.rowKey),
        reason: str(entity.reason),
        detail: str(entity.detail),
        raw: str(entity.raw),
        rawTruncated: entity.rawTruncated === true,
        rawBytes: num(entity.rawBytes),
        messageIndex: num(entity.messageIndex),
        recordIndex: num(entity.recordIndex),
        rejectedAt: str(entity.rejectedAt),
    };
    if (entity.partitionId !== undefined) letter.partitionId = str(entity.partitionId);
    if (entity.sequenceNumber !== undefined) letter.sequenceNumber = num(entity.sequenceNumber);
    if (entity.offset !== undefined) letter.offset = str(entity.offset);
    if (entity.enqueuedTime !== undefined) letter.enqueuedTime = str(entity.enqueuedTime);
    return letter;
}

/** RestError (HTTP or socket failure inside the SDK), a timeout, or a raw Node socket error. */
function isStorageFailure(e: unknown): e is Error {
    if (e instanceof RestError) return true;
    if (!(e instanceof Error)) return false;
    return e.name === 'RestError' || e.name === 'AbortError' || typeof (e as { code?: unknown }).code === 'string';
}

/** The service's error code (e.g. `InvalidInput`) or the socket code (e.g. `ECONNREFUSED`), if any. */
function errorCode(e: Error): string | undefined {
    const details = (e as { details?: { errorCode?: unknown; odataError?: { code?: unknown } } }).details;
    const candidates = [details?.odataError?.code, details?.errorCode, (e as { code?: unknown }).code];
    const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
    // Codes are short identifiers; anything else is not echoed, to keep messages free of payload text.
    return found !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(found) ? found : undefined;
}
