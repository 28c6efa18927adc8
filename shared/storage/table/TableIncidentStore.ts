/**
 * @module Azure Table Storage adapter for the incident port. One entity per incident: PartitionKey is the escaped
 * lower-cased host, RowKey the escaped incident id. The incident JSON is kept whole in `v0..vN` (so what comes back
 * deep-equals what went in), beside the few properties queries filter on. Passes test/contracts/incidentStoreContract.ts.
 */
import { type TableClient, type TableEntity, type TableEntityResultPage, odata } from '@azure/data-tables';
import { ConcurrencyConflictError } from '../../errors';
import type { Incident } from '../../correlate/incident';
import type { IncidentPage, IncidentQuery, IncidentStore } from '../../ports/incidentStore';
import {
    encodeTableKey,
    ensureTable,
    errorCode,
    hostPartitionKey,
    joinJson,
    splitJson,
    statusOf,
    toStorageError,
} from './tableSupport';

/** Page size when the caller gives none (the port's default). */
const DEFAULT_LIMIT = 100;
/** The service returns at most 1,000 entities per query page (learn.microsoft.com "Query Entities", `$top`). */
const MAX_LIMIT = 1000;
/** Read-compare-write rounds per incident before giving up on a racing writer. */
const MAX_UPSERT_ATTEMPTS = 5;

type IncidentEntity = TableEntity<Record<string, unknown>>;

/**
 * Incidents in one Azure Table (or Azurite). Create the table once with {@link TableIncidentStore.create}.
 *
 * `upsert` is a read-compare-write per incident: it reads the stored version (and ETag), skips the write when the
 * stored version is the same or newer, and otherwise writes conditionally (`update` with the ETag, or `create`),
 * so two writers racing with different versions can never leave the older one stored.
 */
export class TableIncidentStore implements IncidentStore {
    constructor(private readonly client: TableClient) {}

    /** Returns a store whose table exists (created if missing). */
    static async create(client: TableClient): Promise<TableIncidentStore> {
        await ensureTable(client);
        return new TableIncidentStore(client);
    }

    /** Creates the table if missing (the shared {@link ensureTable} of tableSupport.ts). */
    async ensureTable(): Promise<void> {
        await ensureTable(this.client);
    }

    async upsert(incidents: readonly Incident[]): Promise<void> {
        // Build every entity first, so an invalid incident throws before anything is written.
        const entities = incidents.map((incident) => ({ incident, entity: toEntity(incident) }));
        // In order: a later copy of the same id in one call then competes with the earlier one by version.
        for (const { incident, entity } of entities) await this.upsertOne(incident, entity);
    }

    async get(id: string): Promise<Incident | undefined> {
        // Ids are unique across hosts, but the host is not known here: this filter scans every partition, and the
        // service may answer with empty pages and a continuation token before the match (the iterator follows them).
        const entities = this.client.listEntities<Record<string, unknown>>({
            queryOptions: { filter: odata`RowKey eq ${encodeTableKey(id)}` },
        });
        try {
            for await (const entity of entities) return fromEntity(entity);
        } catch (e) {
            throw toStorageError(this.client.tableName, 'read an incident from', e);
        }
        return undefined;
    }

    async query(query: IncidentQuery): Promise<IncidentPage> {
        const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
        const filter = incidentFilter(query);
        const incidents: Incident[] = [];
        let continuationToken = query.continuationToken;
        try {
            // A page may hold fewer entities than asked (the service stops at partition and time boundaries), so keep
            // asking for what is missing; each request asks for no more than that, so the token never skips one.
            do {
                const pages = this.client
                    .listEntities<Record<string, unknown>>({ queryOptions: filter !== undefined ? { filter } : {} })
                    .byPage({
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
        return { incidents, ...(continuationToken !== undefined ? { continuationToken } : {}) };
    }

    private async upsertOne(incident: Incident, entity: IncidentEntity): Promise<void> {
        for (let attempt = 0; attempt < MAX_UPSERT_ATTEMPTS; attempt++) {
            const current = await this.readVersion(entity);
            if (current !== undefined && current.version >= incident.version) return;
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
function incidentFilter(query: IncidentQuery): string | undefined {
    const clauses: string[] = [];
    if (query.host !== undefined) clauses.push(odata`PartitionKey eq ${hostPartitionKey(query.host)}`);
    if (query.since !== undefined) clauses.push(odata`lastSeen ge ${query.since}`);
    if (query.until !== undefined) clauses.push(odata`lastSeen le ${query.until}`);
    if (query.technique !== undefined) clauses.push(odata`technique eq ${query.technique}`);
    // Scores are stored as Int32, and the service compares a property only with a literal of its own type, so the
    // literal must be an integer too; for integer scores, score ≥ x ⇔ score ≥ ⌈x⌉.
    if (query.minScore !== undefined) clauses.push(odata`score ge ${Math.ceil(query.minScore)}`);
    return clauses.length > 0 ? clauses.join(' and ') : undefined;
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
