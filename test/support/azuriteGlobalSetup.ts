/**
 * Starts Azurite's Table service in-process, in memory, on a free loopback port, once per test run, and
 * provides its connection string to the tests (`inject('tablesConnectionString')`). Nothing is started by hand.
 * Deep imports because `require('azurite')` pulls in the VS Code extension (../shared/reference/toolchain-facts.md §4.5).
 */
import type { TestProject } from 'vitest/node';
import TableServer from 'azurite/dist/src/table/TableServer';
import TableConfiguration from 'azurite/dist/src/table/TableConfiguration';

/** Azurite's well-known development account key (public, documented by Microsoft for the emulator). */
const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    // Positional: host, port, keepAliveTimeout, metadataDBPath, enableDebugLog, enableAccessLog, accessLogWriteStream,
    // debugLogFilePath, loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence.
    const config = new TableConfiguration(
        '127.0.0.1', 0, 5, '__azurite_db_table__.json', false, false, undefined, undefined,
        false, true, '', '', '', undefined, false, true,
    );
    const server = new TableServer(config);
    await server.start();
    const address = server.getHttpServerAddress();
    project.provide(
        'tablesConnectionString',
        `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};TableEndpoint=${address}/devstoreaccount1;`,
    );
    return async () => {
        await server.close();
    };
}

declare module 'vitest' {
    export interface ProvidedContext {
        tablesConnectionString: string;
    }
}
