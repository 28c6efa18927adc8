/**
 * Starts Azurite's Table service in this process, in memory, on a free loopback port: for tests, the demo and
 * `hollowtrace replay --store table` without a configured account. Deep imports because `require('azurite')`
 * pulls in the VS Code extension (docs/architecture.md).
 */
import TableServer from 'azurite/dist/src/table/TableServer';
import TableConfiguration from 'azurite/dist/src/table/TableConfiguration';
import { AZURITE_ACCOUNT_KEY } from './azuriteAccount';

export { AZURITE_ACCOUNT_KEY };

export interface LocalAzurite {
    connectionString: string;
    close(): Promise<void>;
}

export async function startLocalAzuriteTable(port = 0): Promise<LocalAzurite> {
    // Positional: host, port, keepAliveTimeout, metadataDBPath, enableDebugLog, enableAccessLog, accessLogWriteStream,
    // debugLogFilePath, loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence.
    const config = new TableConfiguration(
        '127.0.0.1',
        port,
        5,
        '__azurite_db_table__.json',
        false,
        false,
        undefined,
        undefined,
        false,
        true,
        '',
        '',
        '',
        undefined,
        false,
        true,
    );
    const server = new TableServer(config);
    await server.start();
    const address = server.getHttpServerAddress();
    return {
        connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};TableEndpoint=${address}/devstoreaccount1;`,
        close: () => server.close(),
    };
}
