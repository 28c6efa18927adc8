/**
 * @module Azure Table Storage adapter for the dead-letter port. One entity per letter: PartitionKey is the letter's
 * UTC day (`deadLetterDay`: enqueued, else rejected) so a listing since a day reads only those partitions, RowKey is
 * the escaped letter id so a replayed batch overwrites instead of duplicating. Passes test/contracts/deadLetterStoreContract.ts.
 */
import { odata } from '@azure/data-tables';
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { deadLetterDay, orderAndPage } from '../../ingest/deadLetter';
import type { DeadLetter } from '../../ingest/deadLetter';
import type { DeadLetterQuery, DeadLetterStore } from '../../ports/deadLetterStore';
import {
    PER_ACTION_OVERHEAD_BYTES,
    decodeTableKey,
    encodeTableKey,
    ensureTable,
    errorCode,
    groupForTransactions,
    statusOf,
    toStorageError,
} from './tableSupport';

/** Deletes go one request each (a transaction fails whole on one missing entity), this many at a time. */
const DELETE_CONCURRENCY = 8;

/** Stored shape of a letter. Numbers are written as Double: Int64 would come back as BigInt. */
type DeadLetterEntity = TableEntity<Record<string, unknown>>;

/** Dead letters in one Azure Table (or Azurite). Create the table once with {@link TableDeadLetterStore.create}. */
export class TableDeadLetterStore implements DeadLetterStore {
    constructor(private readonly client: TableClient) {}

    /** Returns a store whose table exists (created if missing). */
    static async create(client: TableClient): Promise<TableDeadLetterStore> {
        await ensureTable(client);
        return new TableDeadLetterStore(client);
    }

    /** Creates the table if missing (the shared {@link ensureTable} of tableSupport.ts). */
    async ensureTable(): Promise<void> {
        await ensureTable(this.client);
    }

    async putMany(letters: readonly DeadLetter[]): Promise<void> {
        const { transactions, singles } = planWrites(letters.map(toEntity));
        for (const group of transactions) {
            const actions: TransactionAction[] = group.map((entity) => ['upsert', entity, 'Replace']);
            try {
                await this.client.submitTransaction(actions);
            } catch (e) {
                throw toStorageError(this.client.tableName, 'write dead letters to', e);
            }
        }
        for (const entity of singles) {
            try {
                await this.client.upsertEntity(entity, 'Replace');
            } catch (e) {
                throw toStorageError(this.client.tableName, 'write a dead letter to', e);
            }
        }
    }

    async list(options?: DeadLetterQuery): Promise<DeadLetter[]> {
        // Filtered by the service: a day range is a PartitionKey range, so only those partitions are read.
        const filters: string[] = [];
        if (options?.sinceDay !== undefined) filters.push(odata`PartitionKey ge ${options.sinceDay}`);
        if (options?.reason !== undefined) filters.push(odata`reason eq ${options.reason}`);
        const queryOptions = filters.length > 0 ? { filter: filters.join(' and ') } : undefined;
        const entities: DeadLetterEntity[] = [];
        try {
            for await (const entity of this.client.listEntities<Record<string, unknown>>({ queryOptions })) {
                entities.push({ ...entity, partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
            }
        } catch (e) {
            throw toStorageError(this.client.tableName, 'list dead letters in', e);
        }
        return orderAndPage(entities.map(fromEntity), options);
    }

    async deleteMany(letters: readonly Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>[]): Promise<void> {
        let next = 0;
        let failure: { error: unknown } | undefined;
        const worker = async (): Promise<void> => {
            while (next < letters.length && failure === undefined) {
                const letter = letters[next++] as Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>;
                try {
                    await this.client.deleteEntity(deadLetterDay(letter), encodeTableKey(letter.id));
                } catch (e) {
                    if (!(statusOf(e) === 404 && errorCode(e) === 'ResourceNotFound'))
                        failure = { error: toStorageError(this.client.tableName, 'delete dead letters from', e) };
                }
            }
        };
        await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, letters.length) }, worker));
        if (failure !== undefined) throw failure.error;
    }
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
function planWrites(entities: readonly DeadLetterEntity[]): {
    transactions: DeadLetterEntity[][];
    singles: DeadLetterEntity[];
} {
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
        const batchable: { entity: DeadLetterEntity; bytes: number }[] = [];
        for (const entity of partition.values()) {
            const json = JSON.stringify(entity);
            if (LINE_TERMINATOR_UNSAFE_IN_BATCH.test(json)) singles.push(entity);
            else batchable.push({ entity, bytes: Buffer.byteLength(json, 'utf8') + PER_ACTION_OVERHEAD_BYTES });
        }
        for (const group of groupForTransactions(batchable, (w) => w.bytes)) groups.push(group.map((w) => w.entity));
    }
    return { transactions: groups, singles };
}

function double(value: number): { value: number; type: 'Double' } {
    return { value, type: 'Double' };
}

function toEntity(letter: DeadLetter): DeadLetterEntity {
    const entity: DeadLetterEntity = {
        partitionKey: deadLetterDay(letter),
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
