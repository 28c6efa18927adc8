/**
 * @module What every Azure Table Storage adapter in this folder shares: building a client, creating its table, the
 * query page size, escaping keys, the limits of entity group transactions, splitting JSON over string properties,
 * and turning SDK and socket failures into `StorageUnavailableError` without leaking secrets.

 */
import { RestError, TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { StorageConfig } from '../../config/loadConfig';
import { StorageUnavailableError } from '../../errors';

// ---------------------------------------------------------------------------------------------------------------
// Client and table
// ---------------------------------------------------------------------------------------------------------------

/** The service returns at most 1,000 entities per query page (learn.microsoft.com "Query Entities", `$top`). */
export const MAX_ENTITIES_PER_PAGE = 1000;

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
    const insecure =
        settings.get('usedevelopmentstorage')?.toLowerCase() === 'true' ||
        (endpoint !== undefined
            ? endpoint.toLowerCase().startsWith('http://')
            : settings.get('defaultendpointsprotocol')?.toLowerCase() === 'http');
    return TableClient.fromConnectionString(connectionString, tableName, {
        ...options,
        ...(insecure ? { allowInsecureConnection: true } : {}),
    });
}

/**
 * A client for `table` as the configuration says: from its connection string, or at its endpoint with the credential
 * `credential` gives for the configured client id (the functions' managed identity; a developer's sign-in on a laptop).
 */
export function tableClientFor(
    storage: StorageConfig,
    table: string,
    credential: (clientId: string | undefined) => TokenCredential,
): TableClient {
    if (storage.kind === 'connectionString')
        return createTableClientFromConnectionString(storage.connectionString, table);
    return new TableClient(storage.tableEndpoint.replace(/\/$/, ''), table, credential(storage.clientId));
}

/**
 * Creates the client's table if missing. 409 TableAlreadyExists means it is there (the SDK swallows it too);
 * any other storage failure becomes a `StorageUnavailableError` (see {@link toStorageError}).
 */
export async function ensureTable(client: TableClient): Promise<void> {
    try {
        await client.createTable();
    } catch (e) {
        if (statusOf(e) === 409) return;
        throw toStorageError(client.tableName, 'create table', e);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------------

/**
 * Characters forbidden in PartitionKey/RowKey: `/`, `\`, `#`, `?`, U+0000–U+001F and U+007F–U+009F
 * (learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model,
 * "Characters disallowed in key fields"). `%` is escaped too so that the encoding stays reversible.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the service forbids
const KEY_UNSAFE = /[%/\\#?\u0000-\u001f\u007f-\u009f]/g;

/**
 * Escapes `id` for use as a PartitionKey or RowKey: each forbidden character (and `%`) becomes `%XX`, its code
 * unit in hex. All escaped characters are below U+0100, so two hex digits always suffice.
 */
export function encodeTableKey(id: string): string {
    return id.replace(KEY_UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Inverse of {@link encodeTableKey}. */
export function decodeTableKey(key: string): string {
    return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** PartitionKey of a host: host names are case-insensitive, so `WS01` and `ws01` share one partition. */
export function hostPartitionKey(host: string): string {
    return encodeTableKey(host.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------------------
// Entity group transactions
// ---------------------------------------------------------------------------------------------------------------

/** Table transactions take at most 100 operations, all in one partition (learn.microsoft.com "Performing entity group transactions"). */
export const MAX_TRANSACTION_ACTIONS = 100;

/**
 * A transaction's payload is capped at 4 MiB (same doc); Azurite enforces it too (413 RequestBodyTooLarge).
 * 100 entities with 30,000-char non-ASCII strings are ~9 MB of UTF-8, so groups are also cut by estimated size,
 * with headroom for the multipart framing.
 */
export const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;

/** Multipart headers and request line (which repeats both keys) per operation; generous on purpose. */
export const PER_ACTION_OVERHEAD_BYTES = 2048;

/**
 * Cuts `items` (all of one partition), in order, into transactions of at most {@link MAX_TRANSACTION_ACTIONS}
 * operations and {@link MAX_TRANSACTION_BYTES} of estimated payload. `bytesOf` is an item's estimated size,
 * {@link PER_ACTION_OVERHEAD_BYTES} included; `actionsOf` the operations it stands for (default 1: an item that
 * is a unit of several operations is never split over two transactions). An item larger than the budget still
 * gets a group of its own.
 */
export function groupForTransactions<T>(
    items: Iterable<T>,
    bytesOf: (item: T) => number,
    actionsOf: (item: T) => number = () => 1,
): T[][] {
    const groups: T[][] = [];
    let group: T[] = [];
    let bytes = 0;
    let actions = 0;
    for (const item of items) {
        const size = bytesOf(item);
        const count = actionsOf(item);
        if (group.length > 0 && (actions + count > MAX_TRANSACTION_ACTIONS || bytes + size > MAX_TRANSACTION_BYTES)) {
            groups.push(group);
            group = [];
            bytes = 0;
            actions = 0;
        }
        group.push(item);
        bytes += size;
        actions += count;
    }
    if (group.length > 0) groups.push(group);
    return groups;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON over string properties
// ---------------------------------------------------------------------------------------------------------------

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

/**
 * Splits a JSON text into the string properties `v0`, `v1`, ... of at most {@link MAX_PART_CHARS} characters,
 * plus `parts`. Throws a plain `Error` past {@link MAX_PARTS}: callers bound what they store, so an oversized
 * record is a programming error, and it must not be retried as if storage were down.
 *
 * U+2028/U+2029 are written as JSON escapes (JSON.parse reads them back unchanged; JSON.stringify only emits them
 * inside strings): Azurite 3.35 cuts a transaction sub-request body at them (see TableDeadLetterStore.ts).
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
                `${what} is too large for one Table entity: its JSON is ${String(json.length)} characters, ` +
                    `over ${String(MAX_PARTS)} properties of ${String(MAX_PART_CHARS)} characters`,
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

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

/** The HTTP status of an SDK failure, if it has one. */
export function statusOf(e: unknown): number | undefined {
    return e instanceof RestError ? e.statusCode : undefined;
}

/**
 * The service's error code (e.g. `UpdateConditionNotSatisfied`, `InvalidInput`) or the socket code (e.g.
 * `ECONNREFUSED`), if any; undefined for anything that is not an `Error`. Outside transactions the SDK leaves
 * `e.code` undefined and the code sits in `e.details` (observed with @azure/data-tables 13.3.2; docs/architecture.md).
 */
export function errorCode(e: unknown): string | undefined {
    if (!(e instanceof Error)) return undefined;
    const details = (e as { details?: { errorCode?: unknown; odataError?: { code?: unknown } } }).details;
    const candidates = [details?.odataError?.code, details?.errorCode, (e as { code?: unknown }).code];
    const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
    // Codes are short identifiers; anything else is not echoed, to keep messages free of payload text.
    return found !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(found) ? found : undefined;
}

/** RestError (HTTP or socket failure inside the SDK), a timeout, or a raw Node socket error. */
export function isStorageFailure(e: unknown): e is Error {
    if (e instanceof RestError) return true;
    if (!(e instanceof Error)) return false;
    return e.name === 'RestError' || e.name === 'AbortError' || typeof (e as { code?: unknown }).code === 'string';
}

/**
 * Turns SDK and socket failures into `StorageUnavailableError` (so the batch is retried); anything else (a bug)
 * is returned unchanged. The message names the table and HTTP status only: never the URL or connection string,
 * which may carry a SAS or key.
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
    const copy = new RestError(e.message, {
        ...(statusCode !== undefined ? { statusCode } : {}),
        ...(code !== undefined ? { code } : {}),
    });
    copy.name = e.name;
    if (e.stack !== undefined) copy.stack = e.stack;
    return copy;
}
