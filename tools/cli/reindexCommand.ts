/**
 * @module `hollowtrace reindex-incidents`: writes the index rows (id -> host, short host name -> hosts) of every
 * incident in the configured incident table. Needed once after upgrading a deployment whose table was written before
 * the index existed: until then `GET /api/incidents/{id}` and the playbook's host lookup miss incidents that have not
 * had a new version since. Reads the app's own settings (`loadConfig`), so it reaches the same table the functions use.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { loadConfig } from '../../shared/config/loadConfig';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { tableClientFor } from '../../shared/storage/table/tableSupport';

export const REINDEX_USAGE = `  hollowtrace reindex-incidents
      Writes the index rows of every stored incident (safe to run again; run it once after upgrading from a version
      without them). Uses the app's settings from the environment: HOLLOWTRACE_STORAGE_CONNECTION_STRING, or
      HOLLOWTRACE_STORAGE_ACCOUNT or HOLLOWTRACE_TABLE_ENDPOINT with your Azure sign-in (az login), and
      HOLLOWTRACE_INCIDENT_TABLE.`;

export interface ReindexOptions {
    env: Readonly<Record<string, string | undefined>>;
    stdout?: (text: string) => void;
}

/** Rebuilds the index page by page, printing progress; returns the number of incidents indexed. */
export async function runReindex(options: ReindexOptions): Promise<number> {
    const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
    const config = loadConfig(options.env);
    const client = tableClientFor(
        config.storage,
        config.incidentTable,
        (clientId) => new DefaultAzureCredential(clientId !== undefined ? { managedIdentityClientId: clientId } : {}),
    );
    const store = new TableIncidentStore(client);
    let indexed = 0;
    let token: string | undefined;
    do {
        const page = await store.rebuildIndex(token);
        indexed += page.indexed;
        token = page.continuationToken;
        stdout(`... ${indexed.toLocaleString('en-US')} incidents indexed in ${config.incidentTable}\n`);
    } while (token !== undefined);
    return indexed;
}
