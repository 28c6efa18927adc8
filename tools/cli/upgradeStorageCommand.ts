/**
 * @module `hollowtrace upgrade-storage`: brings tables written by an earlier version to the current layout, once,
 * after upgrading a deployment. Reads the app's own settings (`loadConfig`), so it reaches the tables the functions use.
 * - The incident index (id -> host, short host name -> hosts): without it `GET /api/incidents/{id}` and the
 *   playbook's host lookup miss incidents that have not had a new version since.
 * - Dead letters stored before bucketing (PartitionKey: the day): the listing and reprocessing read buckets only.
 * Both steps are idempotent and resumable, and safe beside the running app.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { loadConfig } from '../../shared/config/loadConfig';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { tableClientFor } from '../../shared/storage/table/tableSupport';

export const UPGRADE_STORAGE_USAGE = `  hollowtrace upgrade-storage
      Brings the app's tables to this version's layout (run once after upgrading; safe to run again): writes the
      index rows of every stored incident and moves dead letters stored before bucketing into buckets. Uses the app's
      settings from the environment: HOLLOWTRACE_STORAGE_CONNECTION_STRING, or HOLLOWTRACE_STORAGE_ACCOUNT or
      HOLLOWTRACE_TABLE_ENDPOINT with your Azure sign-in (az login), and the table names if not the defaults.`;

export interface UpgradeStorageOptions {
    env: Readonly<Record<string, string | undefined>>;
    stdout?: (text: string) => void;
}

export interface UpgradeStorageOutcome {
    incidentsIndexed: number;
    deadLettersMoved: number;
}

/** Runs both steps page by page, printing progress. Fails on a table that does not exist rather than create it. */
export async function runUpgradeStorage(options: UpgradeStorageOptions): Promise<UpgradeStorageOutcome> {
    const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
    const config = loadConfig(options.env);
    const credential = (clientId: string | undefined) =>
        new DefaultAzureCredential(clientId !== undefined ? { managedIdentityClientId: clientId } : {});
    const incidents = new TableIncidentStore(tableClientFor(config.storage, config.incidentTable, credential));
    const deadLetters = new TableDeadLetterStore(tableClientFor(config.storage, config.deadLetterTable, credential));

    let incidentsIndexed = 0;
    let token: string | undefined;
    do {
        const page = await incidents.rebuildIndex(token);
        incidentsIndexed += page.indexed;
        token = page.continuationToken;
        stdout(`... ${incidentsIndexed.toLocaleString('en-US')} incidents indexed in ${config.incidentTable}\n`);
    } while (token !== undefined);

    let deadLettersMoved = 0;
    for (let moved = await deadLetters.moveFromDayPartitions(); moved > 0; ) {
        deadLettersMoved += moved;
        stdout(
            `... ${deadLettersMoved.toLocaleString('en-US')} dead letters moved into buckets in ${config.deadLetterTable}\n`,
        );
        moved = await deadLetters.moveFromDayPartitions();
    }
    stdout(
        `upgrade-storage: ${incidentsIndexed.toLocaleString('en-US')} incidents indexed, ${deadLettersMoved.toLocaleString('en-US')} dead letters moved\n`,
    );
    return { incidentsIndexed, deadLettersMoved };
}
