/** Table Storage connection strings and tables for tests. */
import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { AZURITE_ACCOUNT_KEY } from '../../cli/localAzurite';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableDeadLetterStore';

/** Port 1 on loopback: nothing listens, so every request fails without an HTTP response. */
export const CLOSED_PORT_CONNECTION_STRING =
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:1/devstoreaccount1;`;

/**
 * Tables for one test file on the Azurite the global setup started: each a fresh name (alphanumeric, 3-63 chars,
 * starting with a letter; unique per run so parallel runs do not collide), all dropped by `dropAll` in `afterAll`.
 */
export function testTables(
    connectionString: string,
    prefix: string,
): { newClient: () => TableClient; missingClient: () => TableClient; dropAll: () => Promise<void> } {
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
            await Promise.all(created.map((t) => createTableClientFromConnectionString(connectionString, t).deleteTable()));
        },
    };
}
