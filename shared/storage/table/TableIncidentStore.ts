/**
 * @module Azure Table Storage adapter for the incident port. One entity per incident: PartitionKey is the escaped
 * lower-cased host, RowKey the escaped incident id. The incident JSON is kept whole in `v0..vN` (so what comes back
 * deep-equals what went in), beside the few properties queries filter on. Passes test/contracts/incidentStoreContract.ts.
 *
 * Two index rows per incident, in the same table, make `get` and `hostsByShortName` cost a fixed number of requests
 * whatever the table holds (a RowKey filter without its PartitionKey scans every partition):
 * - `%I<id>` / `''`: the id's host partition (a point read, then a point read of the incident);
 * - `%N<short host name>` / `<host partition>`: one partition query lists the hosts sharing a short name.
 * Escaped keys hold `%` only before two upper-case hex digits (tableSupport.ts), so `%I` and `%N` never start a host
 * partition; index rows have no `parts`, so every incident query filters on `parts ge 1` to leave them out.
 */
import { type TableEntity, type TableEntityResultPage, odata } from '@azure/data-tables';
import { ConcurrencyConflictError, InvalidContinuationTokenError } from '../../errors';
import type { Incident } from '../../correlate/incident';
import type { IncidentPage, IncidentQuery, IncidentStore } from '../../ports/incidentStore';
import {
    MAX_HOSTS_PER_SHORT_NAME,
    continuationTokenJson,
    isWellFormedText,
    shortHostName,
} from '../../ports/incidentStore';
import {
    decodeTableKey,
    encodeTableKey,
    errorCode,
    hostPartitionKey,
    joinJson,
    MAX_ENTITIES_PER_PAGE,
    splitJson,
    statusOf,
    toStorageError,
} from './tableSupport';
import { TableStore } from './TableStore';

/** Page size when the caller gives none (the port's default). */
const DEFAULT_LIMIT = 100;
/** Read-compare-write rounds per incident before giving up on a racing writer. */
const MAX_UPSERT_ATTEMPTS = 5;

type IncidentEntity = TableEntity<Record<string, unknown>>;

/** PartitionKey of the row naming an incident's host partition. */
function idIndexPartition(id: string): string {
    return `%I${encodeTableKey(id)}`;
}

/** PartitionKey of the rows naming every host partition with this short host name. */
function shortNameIndexPartition(shortName: string): string {
    return `%N${encodeTableKey(shortName)}`;
}

/** Longest key the service takes is 1 KiB; a token naming a longer one was not issued here. */
const MAX_TOKEN_KEY_CHARS = 1024;

/**
 * The store's own continuation token: base64url JSON of the next PartitionKey and RowKey. The SDK's token decodes
 * its base64 byte by byte as Latin-1 (data-tables 13.3.2 `decodeContinuationToken`), so the SDK's token is rebuilt
 * from ours with every non-ASCII character written as a JSON `\u` escape, which both decoders read back exactly.
 */
function toSdkToken(token: string): string {
    const parsed = continuationTokenJson(token);
    const { pk, rk } = (parsed ?? {}) as { pk?: unknown; rk?: unknown };
    const valid = (key: unknown): key is string =>
        typeof key === 'string' && key.length <= MAX_TOKEN_KEY_CHARS && isWellFormedText(key);
    if (!valid(pk) || pk === '' || (rk !== undefined && !valid(rk)) || fromSdkToken(pk, rk) !== token)
        throw new InvalidContinuationTokenError('the continuation token is not one this store issued');
    const json = JSON.stringify({ nextPartitionKey: pk, ...(rk ? { nextRowKey: rk } : {}) }).replace(
        /[\u0080-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    return Buffer.from(json, 'ascii').toString('base64');
}

/** Our token for the SDK's next keys (its token is UTF-8 base64 JSON: `encodeContinuationToken`). */
function fromSdkToken(pk: string, rk: string | undefined): string {
    return Buffer.from(JSON.stringify({ pk, ...(rk ? { rk } : {}) }), 'utf8').toString('base64url');
}

function readSdkToken(sdkToken: string | undefined): string | undefined {
    if (sdkToken === undefined) return undefined;
    const { nextPartitionKey, nextRowKey } = JSON.parse(Buffer.from(sdkToken, 'base64').toString('utf8')) as {
        nextPartitionKey: string;
        nextRowKey?: string;
    };
    return fromSdkToken(nextPartitionKey, nextRowKey);
}

/**
 * Incidents in one Azure Table (or Azurite). Create the table once with {@link TableIncidentStore.create}.
 *
 * `upsert` is a read-compare-write per incident: it reads the stored version (and ETag), skips the write when the
 * stored version is the same or newer, and otherwise writes conditionally (`update` with the ETag, or `create`),
 * so two writers racing with different versions can never leave the older one stored.
 */
export class TableIncidentStore extends TableStore implements IncidentStore {
    async upsert(incidents: readonly Incident[]): Promise<void> {
        // Build every entity first, so an invalid incident throws before anything is written.
        const entities = incidents.map((incident) => ({ incident, entity: toEntity(incident) }));
        // In order: a later copy of the same id in one call then competes with the earlier one by version.
        for (const { incident, entity } of entities) await this.upsertOne(incident, entity);
    }

    async get(id: string): Promise<Incident | undefined> {
        if (!isWellFormedText(id)) return undefined;
        const index = await this.pointRead<{ partition?: unknown }>(idIndexPartition(id), '', ['partition']);
        if (index === undefined || typeof index.partition !== 'string') return undefined;
        const entity = await this.pointRead<Record<string, unknown>>(index.partition, encodeTableKey(id));
        return entity && fromEntity(entity);
    }

    async hostsByShortName(shortName: string): Promise<string[]> {
        const short = shortName.trim().toLowerCase();
        if (short === '' || short.includes('.') || !isWellFormedText(short)) return [];
        try {
            const pages = this.client
                .listEntities<Record<string, unknown>>({
                    queryOptions: {
                        filter: odata`PartitionKey eq ${shortNameIndexPartition(short)}`,
                        select: ['RowKey'],
                    },
                })
                .byPage({ maxPageSize: MAX_HOSTS_PER_SHORT_NAME });
            // One partition, read in RowKey order: the first page is the first MAX_HOSTS_PER_SHORT_NAME hosts.
            const first = await pages.next();
            if (first.done === true) return [];
            return first.value.map((row) => decodeTableKey(String(row.rowKey))).sort();
        } catch (e) {
            throw toStorageError(this.client.tableName, 'read the host index of', e);
        }
    }

    /** One entity by its keys; undefined when there is none (a missing table is broken storage, not "none"). */
    private async pointRead<T extends object>(
        partitionKey: string,
        rowKey: string,
        select?: string[],
    ): Promise<T | undefined> {
        try {
            return await this.client.getEntity<T>(partitionKey, rowKey, select ? { queryOptions: { select } } : {});
        } catch (e) {
            if (statusOf(e) === 404 && errorCode(e) === 'ResourceNotFound') return undefined;
            throw toStorageError(this.client.tableName, 'read an incident from', e);
        }
    }

    async query(query: IncidentQuery): Promise<IncidentPage> {
        const limit = Math.min(MAX_ENTITIES_PER_PAGE, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
        let continuationToken = query.continuationToken !== undefined ? toSdkToken(query.continuationToken) : undefined;
        // No incident host holds a lone surrogate (it could not have been stored), and the SDK cannot encode one.
        if (query.host !== undefined && !isWellFormedText(query.host)) return { incidents: [] };
        const filter = incidentFilter(query);
        const incidents: Incident[] = [];
        try {
            // A page may hold fewer entities than asked (the service stops at partition and time boundaries), so keep
            // asking for what is missing; each request asks for no more than that, so the token never skips one.
            do {
                const pages = this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({
                    maxPageSize: limit - incidents.length,
                    ...(continuationToken !== undefined ? { continuationToken } : {}),
                });
                const next: IteratorResult<TableEntityResultPage<Record<string, unknown>>> = await pages.next();
                if (next.done === true) {
                    continuationToken = undefined;
                    break;
                }
                const page = next.value;
                for (const entity of page) incidents.push(fromEntity(entity));
                continuationToken = page.continuationToken;
            } while (continuationToken !== undefined && incidents.length < limit);
        } catch (e) {
            throw toStorageError(this.client.tableName, 'query incidents in', e);
        }
        const next = readSdkToken(continuationToken);
        return { incidents, ...(next !== undefined ? { continuationToken: next } : {}) };
    }

    /**
     * Writes the index rows of one page of stored incidents, for a table written before the index existed (its
     * incidents are otherwise found by `list` but not by `get` or a short host name until their next version).
     * Idempotent: the rows are the ones every write repeats. Pass the returned token back until there is none.
     */
    async rebuildIndex(continuationToken?: string): Promise<{ indexed: number; continuationToken?: string }> {
        const page = await this.query({
            limit: MAX_ENTITIES_PER_PAGE,
            ...(continuationToken !== undefined && { continuationToken }),
        });
        for (const incident of page.incidents) await this.writeIndex(incident, hostPartitionKey(incident.host));
        return {
            indexed: page.incidents.length,
            ...(page.continuationToken !== undefined && { continuationToken: page.continuationToken }),
        };
    }

    private async upsertOne(incident: Incident, entity: IncidentEntity): Promise<void> {
        for (let attempt = 0; attempt < MAX_UPSERT_ATTEMPTS; attempt++) {
            const current = await this.readVersion(entity);
            if (current !== undefined && current.version >= incident.version) return;
            // Index first: an index row without its incident (a crash in between) only costs a read that finds nothing.
            if (attempt === 0) await this.writeIndex(incident, entity.partitionKey);
            try {
                if (current !== undefined) await this.client.updateEntity(entity, 'Replace', { etag: current.etag });
                else await this.client.createEntity(entity);
                return;
            } catch (e) {
                const status = statusOf(e);
                // 412: changed since read; 409: created since read; 404: deleted since read. Read again and compare.
                if (status === 412 || status === 409 || (status === 404 && errorCode(e) === 'ResourceNotFound'))
                    continue;
                throw toStorageError(this.client.tableName, 'write an incident to', e);
            }
        }
        throw new ConcurrencyConflictError(
            `incident ${incident.id} version ${String(incident.version)} kept colliding with other writers (${String(MAX_UPSERT_ATTEMPTS)} attempts)`,
        );
    }

    /** The id and short-name index rows of an incident; idempotent, so every write of a version repeats them. */
    private async writeIndex(incident: Incident, partition: string): Promise<void> {
        try {
            await this.client.upsertEntity(
                { partitionKey: idIndexPartition(incident.id), rowKey: '', partition },
                'Replace',
            );
            await this.client.upsertEntity(
                { partitionKey: shortNameIndexPartition(shortHostName(incident.host)), rowKey: partition },
                'Replace',
            );
        } catch (e) {
            throw toStorageError(this.client.tableName, 'write the incident index of', e);
        }
    }

    /** The stored version and ETag, without the incident body; undefined when there is none. */
    private async readVersion(entity: IncidentEntity): Promise<{ version: number; etag: string } | undefined> {
        try {
            const current = await this.client.getEntity<{ version?: unknown }>(entity.partitionKey, entity.rowKey, {
                queryOptions: { select: ['version'] },
            });
            return { version: typeof current.version === 'number' ? current.version : 0, etag: current.etag };
        } catch (e) {
            // ResourceNotFound: no such incident yet. TableNotFound (also 404) is a missing table: storage is broken.
            if (statusOf(e) === 404 && errorCode(e) === 'ResourceNotFound') return undefined;
            throw toStorageError(this.client.tableName, 'read an incident from', e);
        }
    }
}

/**
 * The OData filter of a query, every value interpolated through `odata` (it quotes strings and doubles `'`, so a
 * host such as `o'brien-pc` can neither break nor widen the filter). `lastSeen` is an ISO string, so `ge`/`le`
 * compare it as a string, exactly like `matchesQuery`.
 */
function incidentFilter(query: IncidentQuery): string {
    // Index rows have no `parts`; the service leaves out an entity that lacks a property its filter compares.
    const clauses: string[] = [odata`parts ge ${1}`];
    if (query.host !== undefined) clauses.push(odata`PartitionKey eq ${hostPartitionKey(query.host)}`);
    if (query.since !== undefined) clauses.push(odata`lastSeen ge ${query.since}`);
    if (query.until !== undefined) clauses.push(odata`lastSeen le ${query.until}`);
    if (query.technique !== undefined) clauses.push(odata`technique eq ${query.technique}`);
    // Scores are stored as Int32, and the service compares a property only with a literal of its own type, so the
    // literal must be an integer too; for integer scores, score ≥ x ⇔ score ≥ ⌈x⌉.
    if (query.minScore !== undefined) clauses.push(odata`score ge ${Math.ceil(query.minScore)}`);
    return clauses.join(' and ');
}

/** An Int32 property; throws a plain `Error` for anything else (versions and scores are small integers by construction). */
function int32(value: number, what: string): { value: number; type: 'Int32' } {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
        throw new Error(`${what} must be a 32-bit integer to be stored and filtered on, got ${String(value)}`);
    }
    return { value, type: 'Int32' };
}

function toEntity(incident: Incident): IncidentEntity {
    const what = `incident ${incident.id}`;
    return {
        partitionKey: hostPartitionKey(incident.host),
        rowKey: encodeTableKey(incident.id),
        host: incident.host,
        version: int32(incident.version, `${what}: version`),
        technique: incident.technique,
        score: int32(incident.score, `${what}: score`),
        lastSeen: incident.lastSeen,
        ...splitJson(JSON.stringify(incident), what),
    };
}

function fromEntity(entity: Record<string, unknown>): Incident {
    return JSON.parse(joinJson(entity, `incident entity ${String(entity.rowKey)}`)) as Incident;
}
