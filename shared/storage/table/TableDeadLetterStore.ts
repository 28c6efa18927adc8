/**
 * @module Azure Table Storage adapter for the dead-letter port. Passes test/contracts/deadLetterStoreContract.ts.
 *
 * One entity per letter. PartitionKey is `<bucket>-<day with each digit d written 9-d>`: a bucket (a hash of the id,
 * one of {@link DEAD_LETTER_BUCKETS}) spreads a day's letters over partitions, since one partition serves about
 * 2,000 entities per second (learn.microsoft.com, "Scalability and performance targets for Table storage"), and the
 * complemented day makes ascending key order newest day first. RowKey is `deadLetterKey(id)`, so a replayed batch
 * overwrites its letters and the service returns a bucket's letters in listing order. A page is then read on the
 * service: the keys of at most `limit` letters per bucket first, then the whole letters that make the page.
 */
import { odata } from '@azure/data-tables';
import type { TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import {
    MAX_DEAD_LETTER_RAW_CHARS,
    UNKNOWN_DEAD_LETTER_DAY,
    compareListingOrder,
    deadLetterDay,
    deadLetterKey,
    parseDeadLetterCursor,
    withinRawBudget,
} from '../../ingest/deadLetter';
import type { DeadLetter } from '../../ingest/deadLetter';
import type { DeadLetterQuery, DeadLetterStore } from '../../ports/deadLetterStore';
import {
    MAX_PARTS,
    MAX_PART_CHARS,
    PER_ACTION_OVERHEAD_BYTES,
    decodeTableKey,
    errorCode,
    groupForTransactions,
    MAX_ENTITIES_PER_PAGE,
    statusOf,
    toStorageError,
} from './tableSupport';
import { TableStore } from './TableStore';

/**
 * Partitions per day. 16 × ~2,000 entities/s keeps a fleet-scale flood of bad input below the partition targets.
 * Changing it moves letters to other partitions: those already stored would no longer be found.
 */
export const DEAD_LETTER_BUCKETS = 16;

/** A PartitionKey of the layout before bucketing: the letter's day. */
const DAY_PARTITION = /^\d{4}-\d{2}-\d{2}$/;

/** The bucket names, `00` to `0f`. */
const BUCKETS = Array.from({ length: DEAD_LETTER_BUCKETS }, (_, b) => b.toString(16).padStart(2, '0'));

/** Writes and deletes go this many requests at a time. */
const WRITE_CONCURRENCY = 8;

/** Stored shape of a letter. Numbers are written as Double: Int64 would come back as BigInt. */
type DeadLetterEntity = TableEntity<Record<string, unknown>>;

/** A page position in one bucket: the complemented day (as in the PartitionKey) and the RowKey. */
interface RowPosition {
    day: string;
    key: string;
}

/** The bucket of an id: FNV-1a (32-bit) over its UTF-16 code units, two hex digits. */
export function deadLetterBucket(id: string): string {
    let hash = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) {
        hash ^= id.charCodeAt(i);
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return (hash % DEAD_LETTER_BUCKETS).toString(16).padStart(2, '0');
}

/** `2026-11-25` → `7973-88-74`: same length, reversed order. */
function complementDay(day: string): string {
    return day.replace(/\d/g, (digit) => String(9 - Number(digit)));
}

/** PartitionKey of a letter filed under `day` with this id. */
export function deadLetterPartitionKey(day: string, id: string): string {
    return `${deadLetterBucket(id)}-${complementDay(day)}`;
}

/** Dead letters in one Azure Table (or Azurite). Create the table once with {@link TableDeadLetterStore.create}. */
export class TableDeadLetterStore extends TableStore implements DeadLetterStore {
    async putMany(letters: readonly DeadLetter[]): Promise<void> {
        const { transactions, singles } = planWrites(letters.map(toEntity));
        const requests: (() => Promise<unknown>)[] = [
            ...transactions.map((group) => async () => {
                const actions: TransactionAction[] = group.map((entity) => ['upsert', entity, 'Replace']);
                try {
                    await this.client.submitTransaction(actions);
                } catch (e) {
                    throw toStorageError(this.client.tableName, 'write dead letters to', e);
                }
            }),
            ...singles.map((entity) => async () => {
                try {
                    await this.client.upsertEntity(entity, 'Replace');
                } catch (e) {
                    throw toStorageError(this.client.tableName, 'write a dead letter to', e);
                }
            }),
        ];
        await runPooled(requests, WRITE_CONCURRENCY);
    }

    async list(options?: DeadLetterQuery): Promise<DeadLetter[]> {
        const limit = options?.limit;
        if (limit !== undefined && limit <= 0) return [];
        const paged = limit !== undefined || options?.maxRawChars !== undefined;
        const perBucket = paged ? await this.choosePage(options, limit ?? Infinity) : undefined;
        // The whole letters: per bucket, as many as it contributes to the page (a prefix of its listing order).
        const rows = await Promise.all(
            BUCKETS.map((b) => {
                const count = perBucket === undefined ? Infinity : (perBucket.get(b) ?? 0);
                return count === 0 ? Promise.resolve([]) : this.readBucket(b, options, count, false);
            }),
        );
        const merged = rows.flat().map((row) => ({ ...positionOf(row), row }));
        merged.sort(compareListingOrder);
        const letters = merged.slice(0, limit).map((m) => fromEntity(m.row));
        // Letters written between the two reads may have joined the page: the budget holds all the same.
        const chars = letters.map((l) => l.raw.length);
        return letters.slice(0, withinRawBudget(chars, options?.maxRawChars));
    }

    /**
     * Which letters make the page, as a count per bucket: the first `limit` keys of every bucket, merged and cut at
     * `limit` and at the raw-text budget. Keys and raw lengths only, so this stays small whatever the letters hold.
     */
    private async choosePage(options: DeadLetterQuery | undefined, limit: number): Promise<Map<string, number>> {
        const keys = await Promise.all(BUCKETS.map((b) => this.readBucket(b, options, limit, true)));
        const ordered = keys
            .flatMap((rows, b) =>
                rows.map((row) => ({ ...positionOf(row), bucket: BUCKETS[b] as string, chars: rawCharsOf(row) })),
            )
            .sort(compareListingOrder)
            .slice(0, limit);
        const page = ordered.slice(
            0,
            withinRawBudget(
                ordered.map((row) => row.chars),
                options?.maxRawChars,
            ),
        );
        const perBucket = new Map<string, number>();
        for (const row of page) perBucket.set(row.bucket, (perBucket.get(row.bucket) ?? 0) + 1);
        return perBucket;
    }

    async deleteMany(letters: readonly Pick<DeadLetter, 'id' | 'enqueuedTime' | 'rejectedAt'>[]): Promise<void> {
        await runPooled(
            letters.map((letter) => async () => {
                try {
                    // One request each: a transaction fails whole on one missing entity.
                    await this.client.deleteEntity(
                        deadLetterPartitionKey(deadLetterDay(letter), letter.id),
                        deadLetterKey(letter.id),
                    );
                } catch (e) {
                    if (!(statusOf(e) === 404 && errorCode(e) === 'ResourceNotFound'))
                        throw toStorageError(this.client.tableName, 'delete dead letters from', e);
                }
            }),
            WRITE_CONCURRENCY,
        );
    }

    /**
     * Moves up to one page of letters from the layout before bucketing (PartitionKey: the day itself, `2026-11-25`)
     * into the current one, for a table written by an earlier version: `list` reads only bucketed partitions, so
     * such letters are not listed or reprocessed until moved. Each letter is written in its new place before its old
     * entity is deleted, so a pass that stops half-way loses nothing and the next one finishes it. Returns how many
     * it moved; 0 when none are left.
     */
    async moveFromDayPartitions(): Promise<number> {
        // Bucketed keys start with `0` (buckets 00-0f); a day does from year 1000 on, or is the unknown day 0000-00-00.
        const filter = odata`PartitionKey ge ${'1'} or PartitionKey eq ${UNKNOWN_DEAD_LETTER_DAY}`;
        const old: DeadLetterEntity[] = [];
        try {
            const pages = this.client.listEntities({ queryOptions: { filter } }).byPage({ maxPageSize: 100 });
            const first = await pages.next();
            if (first.done !== true)
                for (const entity of first.value)
                    if (DAY_PARTITION.test(entity.partitionKey ?? ''))
                        old.push({ ...entity, partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
        } catch (e) {
            throw toStorageError(this.client.tableName, 'read day-partitioned dead letters from', e);
        }
        await this.putMany(old.map(fromEntity));
        await runPooled(
            old.map((entity) => async () => {
                try {
                    await this.client.deleteEntity(entity.partitionKey, entity.rowKey);
                } catch (e) {
                    if (!(statusOf(e) === 404 && errorCode(e) === 'ResourceNotFound'))
                        throw toStorageError(this.client.tableName, 'delete a moved dead letter from', e);
                }
            }),
            WRITE_CONCURRENCY,
        );
        return old.length;
    }

    /**
     * The first `count` rows of one bucket in listing order that the query selects: with a cursor, the rest of the
     * cursor's day first, then the older days. Two range queries rather than one `or` filter, which the service would
     * answer with a scan.
     */
    private async readBucket(
        bucket: string,
        query: DeadLetterQuery | undefined,
        count: number,
        keysOnly: boolean,
    ): Promise<DeadLetterEntity[]> {
        const oldest = `${bucket}-${complementDay(query?.sinceDay ?? '0000-00-00')}`;
        const reason = query?.reason !== undefined ? odata` and reason eq ${query.reason}` : '';
        const rows: DeadLetterEntity[] = [];
        let newest = `${bucket}-`;
        if (query?.after !== undefined) {
            const { day, id } = parseDeadLetterCursor(query.after);
            const cursorPartition = `${bucket}-${complementDay(day)}`;
            if (cursorPartition <= oldest) {
                const sameDay = odata`PartitionKey eq ${cursorPartition} and RowKey gt ${deadLetterKey(id)}`;
                rows.push(...(await this.read(sameDay + reason, count, keysOnly)));
            }
            newest = cursorPartition;
        }
        if (rows.length < count) {
            const olderDays = odata`PartitionKey gt ${newest} and PartitionKey le ${oldest}`;
            rows.push(...(await this.read(olderDays + reason, count - rows.length, keysOnly)));
        }
        return rows;
    }

    /** Up to `count` entities matching `filter`, asking the service for no more than are still needed. */
    private async read(filter: string, count: number, keysOnly: boolean): Promise<DeadLetterEntity[]> {
        const rows: DeadLetterEntity[] = [];
        let continuationToken: string | undefined;
        try {
            do {
                const pages = this.client
                    .listEntities<Record<string, unknown>>({
                        queryOptions: { filter, ...(keysOnly && { select: ['PartitionKey', 'RowKey', 'rawChars'] }) },
                    })
                    .byPage({
                        maxPageSize: Math.min(count - rows.length, MAX_ENTITIES_PER_PAGE),
                        ...(continuationToken !== undefined && { continuationToken }),
                    });
                const next = await pages.next();
                if (next.done === true) break;
                const page: TableEntityResult<Record<string, unknown>>[] & { continuationToken?: string } = next.value;
                for (const entity of page) {
                    rows.push({ ...entity, partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
                }
                continuationToken = page.continuationToken;
            } while (continuationToken !== undefined && rows.length < count);
        } catch (e) {
            throw toStorageError(this.client.tableName, 'list dead letters in', e);
        }
        return rows.slice(0, count);
    }
}

/** Where a row stands in listing order: its day (uncomplemented from the PartitionKey) and RowKey. */
function positionOf(row: DeadLetterEntity): RowPosition {
    return { day: complementDay(row.partitionKey.slice(row.partitionKey.indexOf('-') + 1)), key: row.rowKey };
}

/** Characters of raw text a row holds: `rawChars`, or for letters written before it was stored, the most they held. */
function rawCharsOf(row: DeadLetterEntity): number {
    return typeof row.rawChars === 'number' ? row.rawChars : MAX_DEAD_LETTER_RAW_CHARS;
}

/** Runs the tasks, `concurrency` at a time; the first failure is thrown once the running ones settle. */
async function runPooled(tasks: readonly (() => Promise<unknown>)[], concurrency: number): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
        while (next < tasks.length && failure === undefined) {
            const task = tasks[next++] as () => Promise<unknown>;
            try {
                await task();
            } catch (e) {
                failure ??= { error: e };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
    if (failure !== undefined) throw failure.error;
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

/**
 * `raw` over the string properties `raw`, `raw1`, `raw2`, ... of at most `MAX_PART_CHARS` characters each (a String
 * property holds 64 KiB), never cutting a surrogate pair; a parked message needs up to `MAX_PARTS` of them.
 */
function splitRaw(raw: string): Record<string, string> {
    const properties: Record<string, string> = {};
    let start = 0;
    for (let part = 0; part === 0 || start < raw.length; part++) {
        if (part >= MAX_PARTS)
            throw new Error(`a dead letter's raw text of ${String(raw.length)} characters is too large`);
        let end = Math.min(start + MAX_PART_CHARS, raw.length);
        const last = raw.charCodeAt(end - 1);
        if (end < raw.length && last >= 0xd800 && last <= 0xdbff) end--;
        properties[part === 0 ? 'raw' : `raw${String(part)}`] = raw.slice(start, end);
        start = end;
    }
    return properties;
}

/** Inverse of {@link splitRaw}. */
function joinRaw(entity: DeadLetterEntity): string {
    let raw = str(entity.raw);
    for (let part = 1; typeof entity[`raw${String(part)}`] === 'string'; part++)
        raw += entity[`raw${String(part)}`] as string;
    return raw;
}

function double(value: number): { value: number; type: 'Double' } {
    return { value, type: 'Double' };
}

function toEntity(letter: DeadLetter): DeadLetterEntity {
    const entity: DeadLetterEntity = {
        partitionKey: deadLetterPartitionKey(deadLetterDay(letter), letter.id),
        rowKey: deadLetterKey(letter.id),
        // For operators reading the table: the day the complemented PartitionKey encodes.
        day: deadLetterDay(letter),
        id: letter.id,
        reason: letter.reason,
        detail: letter.detail,
        ...splitRaw(letter.raw),
        // Read with the keys when a page is chosen, to keep its raw text within `maxRawChars`.
        rawChars: double(letter.raw.length),
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
    if (letter.stage !== undefined) entity.stage = letter.stage;
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
        raw: joinRaw(entity),
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
    if (entity.stage === 'ingest' || entity.stage === 'correlate') letter.stage = entity.stage;
    return letter;
}
