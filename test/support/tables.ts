/** Table Storage connection strings and tables for tests. */
import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { expect } from 'vitest';
import { StorageUnavailableError } from '../../shared/errors';
import { AZURITE_ACCOUNT_KEY } from '../../tools/local/azuriteAccount';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';

/** Port 1 on loopback: nothing listens, so every request fails without an HTTP response. */
export const CLOSED_PORT_CONNECTION_STRING = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:1/devstoreaccount1;`;

/** A client of table `unreachable` on the closed port, without retries: every call fails fast, with no response. */
export function closedPortClient(): TableClient {
    return createTableClientFromConnectionString(CLOSED_PORT_CONNECTION_STRING, 'unreachable', {
        retryOptions: { maxRetries: 0 },
    });
}

/**
 * What every Table adapter must throw when the service does not answer: a `StorageUnavailableError` naming the table
 * and the failure, keeping its cause but not the request (which carries headers), and never the account key.
 */
export function expectStorageUnavailable(error: unknown): void {
    expect(error).toBeInstanceOf(StorageUnavailableError);
    const e = error as StorageUnavailableError;
    expect(e.code).toBe('storage-unavailable');
    expect(e.message).toContain("'unreachable'");
    expect(e.message).toContain('no HTTP response');
    expect(e.message).not.toContain(AZURITE_ACCOUNT_KEY);
    expect(e.cause).toBeDefined();
    expect((e.cause as { request?: unknown }).request).toBeUndefined();
}

/**
 * Tables for one test file on the Azurite the global setup started: each a fresh name (alphanumeric, 3-63 chars,
 * starting with a letter; unique per run so parallel runs do not collide), all dropped by `dropAll` in `afterAll`.
 */
export interface TestTables {
    newClient: () => TableClient;
    missingClient: () => TableClient;
    dropAll: () => Promise<void>;
}

export function testTables(connectionString: string, prefix: string): TestTables {
    const runPrefix = `${prefix}${randomBytes(4).toString('hex')}`;
    const created: string[] = [];
    return {
        newClient: () => {
            const tableName = `${runPrefix}n${String(created.length)}`;
            created.push(tableName);
            return createTableClientFromConnectionString(connectionString, tableName);
        },
        /** A client of a table nobody creates: requests get a 404. Its name ends in `missing`. */
        missingClient: () => createTableClientFromConnectionString(connectionString, `${runPrefix}missing`),
        dropAll: async () => {
            await Promise.all(
                created.map((t) => createTableClientFromConnectionString(connectionString, t).deleteTable()),
            );
        },
    };
}

/** The stores the Event Hub handlers write (host state, incidents, dead letters), each on a fresh table of `tables`. */
export async function handlerStores(
    tables: TestTables,
): Promise<{ state: TableHostStateStore; incidents: TableIncidentStore; deadLetters: TableDeadLetterStore }> {
    const [state, incidents, deadLetters] = await Promise.all([
        TableHostStateStore.create(tables.newClient()),
        TableIncidentStore.create(tables.newClient()),
        TableDeadLetterStore.create(tables.newClient()),
    ]);
    return { state, incidents, deadLetters };
}
