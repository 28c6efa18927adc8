/**
 * Wires the app's dependencies from configuration, once per process (clients are reused across invocations).
 * The only place besides shared/config that touches `process.env`, and the only place that builds credentials.
 */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import { loadConfig } from '../shared/config/loadConfig';
import type { HollowtraceConfig, StorageConfig } from '../shared/config/loadConfig';
import { EventHubEventForwarder, createEventHubProducer } from '../shared/clients/eventHubForwarder';
import { NoForwarding } from '../shared/ingest/forwarder';
import type { EventForwarder } from '../shared/ingest/forwarder';
import type { IngestDependencies } from '../shared/ingest/ingestService';
import { TableDeadLetterStore, createTableClientFromConnectionString } from '../shared/storage/table/tableDeadLetterStore';

let config: HollowtraceConfig | undefined;
let credential: TokenCredential | undefined;
let ingestDependencies: Promise<IngestDependencies> | undefined;

function appConfig(): HollowtraceConfig {
    config ??= loadConfig(process.env);
    return config;
}

/** Managed identity in Azure: a user-assigned identity when AZURE_CLIENT_ID is set, otherwise the default chain. */
function azureCredential(clientId?: string): TokenCredential {
    credential ??= clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
    return credential;
}

function tableClient(storage: StorageConfig, table: string): TableClient {
    if (storage.kind === 'connectionString') return createTableClientFromConnectionString(storage.connectionString, table);
    return new TableClient(`${storage.tableEndpoint.replace(/\/$/, '')}`, table, azureCredential(storage.clientId));
}

function forwarder(cfg: HollowtraceConfig): EventForwarder {
    if (cfg.forwarding.mode === 'none') return new NoForwarding();
    const forwarding = cfg.forwarding;
    const clientId = forwarding.connection.kind === 'managedIdentity' ? forwarding.connection.clientId : undefined;
    return new EventHubEventForwarder(createEventHubProducer(forwarding, () => azureCredential(clientId)));
}

/** Stage 1 dependencies, built on first use; a failed build is retried on the next invocation. */
export function getIngestDependencies(): Promise<IngestDependencies> {
    ingestDependencies ??= (async () => {
        const cfg = appConfig();
        const deadLetters = await TableDeadLetterStore.create(tableClient(cfg.storage, cfg.deadLetterTable));
        return { deadLetters, forwarder: forwarder(cfg), limits: cfg.ingestLimits };
    })().catch((error: unknown) => {
        ingestDependencies = undefined;
        throw error;
    });
    return ingestDependencies;
}
