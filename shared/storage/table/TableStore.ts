/** @module What every Azure Table adapter shares: the client of its one table, and creating that table. */
import type { TableClient } from '@azure/data-tables';
import { ensureTable } from './tableSupport';

export abstract class TableStore {
    constructor(protected readonly client: TableClient) {}

    /** Returns a store of the class it is called on, whose table exists (created if missing). */
    static async create<Store extends TableStore>(
        this: new (client: TableClient) => Store,
        client: TableClient,
    ): Promise<Store> {
        await ensureTable(client);
        return new this(client);
    }

    /** Creates the table if missing (the shared {@link ensureTable} of tableSupport.ts). */
    async ensureTable(): Promise<void> {
        await ensureTable(this.client);
    }
}
