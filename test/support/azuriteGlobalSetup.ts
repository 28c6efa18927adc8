/**
 * Starts Azurite's Table service in-process, in memory, once per test run, and provides its connection string to
 * the tests (`inject('tablesConnectionString')`). Nothing is started by hand.
 */
import type { TestProject } from 'vitest/node';
import { startLocalAzuriteTable } from '../../tools/local/localAzurite';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    const azurite = await startLocalAzuriteTable();
    project.provide('tablesConnectionString', azurite.connectionString);
    return () => azurite.close();
}

declare module 'vitest' {
    export interface ProvidedContext {
        tablesConnectionString: string;
    }
}
