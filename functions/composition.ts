/**
 * Wires the app's dependencies from configuration, once per process (clients are reused across invocations).
 * The only place besides shared/config that touches `process.env`, and the only place that builds credentials.
 */
import type { TableClient } from '@azure/data-tables';
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import { correlationMode, loadConfig, readHttpAuthentication } from '../shared/config/loadConfig';
import type { HollowtraceConfig, HttpAuthentication, StorageConfig } from '../shared/config/loadConfig';
import { EventHubEventForwarder, createEventHubProducer } from '../shared/clients/EventHubEventForwarder';
import { DEFAULT_CORRELATION_CONFIG } from '../shared/correlate/config';
import type { CorrelationConfig } from '../shared/correlate/config';
import { InlineCorrelation, inlineOutcomeWarnings } from '../shared/correlate/correlationService';
import type { CorrelationOutcome } from '../shared/correlate/Correlator';
import type { CorrelationDependencies } from '../shared/correlate/correlationService';
import { Correlator } from '../shared/correlate/Correlator';
import type { IngestDependencies } from '../shared/ingest/ingestService';
import { isNeededForCorrelation } from '../shared/correlate/facts';
import type { SysmonEvent } from '../shared/sysmon/types';
import type { IncidentsApiDependencies } from '../shared/api/incidentsApiDependencies';
import { TableEnrichmentStore } from '../shared/storage/table/TableEnrichmentStore';
import { WorkspaceIncidentEnricher } from '../shared/api/WorkspaceIncidentEnricher';
import { createWorkspaceQuery } from '../shared/clients/LogAnalyticsWorkspaceQuery';
import { TableDeadLetterStore } from '../shared/storage/table/TableDeadLetterStore';
import { tableClientFor } from '../shared/storage/table/tableSupport';
import { TableHostStateStore } from '../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../shared/storage/table/TableIncidentStore';
import { createSentinelIncidentPublisher } from '../shared/clients/SentinelIncidentPublisher';
import type { IncidentPublisher } from '../shared/ports/incidentPublisher';
import { IncidentStorePublisher } from '../shared/publish/IncidentStorePublisher';
import { NO_TELEMETRY } from '../shared/ports/telemetry';
import type { Telemetry } from '../shared/ports/telemetry';
import { OpenTelemetryTelemetry } from '../shared/clients/OpenTelemetryTelemetry';

let config: HollowtraceConfig | undefined;

/** The correlation rules with the retention the app settings chose. */
function correlationConfig(cfg: HollowtraceConfig): CorrelationConfig {
    return { ...DEFAULT_CORRELATION_CONFIG, pendingRetentionMs: cfg.pendingRetentionMs };
}
/** One credential per client id ('' for the default chain): storage, Event Hubs and the workspace may use different identities. */
const credentials = new Map<string, TokenCredential>();
let publishers: IncidentPublisher[] | undefined;

/** How API callers authenticate (HOLLOWTRACE_HTTP_AUTH); read before the rest, at registration. */
export function httpAuthentication(): HttpAuthentication {
    return readHttpAuthentication(process.env);
}

/** Behind App Service authentication (Entra ID) the functions are anonymous: Easy Auth has checked the caller. */
export function apiAuthLevel(): 'function' | 'anonymous' {
    return httpAuthentication() === 'entraId' ? 'anonymous' : 'function';
}

function appConfig(): HollowtraceConfig {
    config ??= loadConfig(process.env);
    return config;
}

/**
 * True when stage 2 runs on its own hub (`HOLLOWTRACE_CORRELATION=eventHub`). In inline mode its trigger is not
 * registered at all: the host would otherwise resolve its Event Hub settings (and fail on them) for nothing.
 */
export function correlationRunsOnEventHub(): boolean {
    return correlationMode(process.env) === 'eventhub';
}

/**
 * Managed identity in Azure: a user-assigned identity when a client id is set, otherwise the default chain. Built
 * once per client id (a credential caches its tokens), never one for all: the first caller's identity would
 * otherwise serve every later one.
 */
export function azureCredential(clientId?: string): TokenCredential {
    const key = clientId ?? '';
    let credential = credentials.get(key);
    if (credential === undefined) {
        credential = clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
        credentials.set(key, credential);
    }
    return credential;
}

function tableClient(storage: StorageConfig, table: string): TableClient {
    return tableClientFor(storage, table, azureCredential);
}

/** A build run once and its result shared; a failed build is forgotten so the next invocation tries again. */
function builtOnce<T>(build: () => Promise<T>): () => Promise<T> {
    let built: Promise<T> | undefined;
    return () =>
        (built ??= build().catch((error: unknown) => {
            built = undefined;
            throw error;
        }));
}

/**
 * Metrics and structured log records to Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set (the
 * same setting the Functions host reads for its own logs), otherwise none. `useAzureMonitor` registers the global
 * meter and logger providers, so it runs before the first `getMeter`/`getLogger`: one taken earlier stays a no-op.
 * Loaded lazily: most cold starts need none of it.
 */
export const appTelemetry: () => Promise<Telemetry> = builtOnce(async () => {
    const connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING;
    if (!connectionString) return NO_TELEMETRY;
    const { useAzureMonitor } = await import('@azure/monitor-opentelemetry');
    useAzureMonitor({ azureMonitorExporterOptions: { connectionString } });
    return new OpenTelemetryTelemetry(metrics.getMeter('hollowtrace'), logs.getLogger('hollowtrace'));
});

/**
 * Where committed incident versions are published besides our own table: the Sentinel workspace through the Logs
 * Ingestion API when HOLLOWTRACE_LOGS_INGESTION_ENDPOINT and HOLLOWTRACE_DCR_IMMUTABLE_ID are set, nothing
 * otherwise. The correlator's outbox hands each committed version to every publisher until it accepts it.
 */
export function getIncidentPublishers(): IncidentPublisher[] {
    if (publishers) return publishers;
    const sentinel = appConfig().sentinel;
    publishers = sentinel ? [createSentinelIncidentPublisher(sentinel, azureCredential(sentinel.clientId))] : [];
    return publishers;
}

/** Inline correlation has no invocation context of its own to log to: its warnings go to the log. */
function reportInlineOutcome(outcome: CorrelationOutcome): void {
    for (const warning of inlineOutcomeWarnings(outcome)) console.warn(warning);
}

/** Stage 2 dependencies (also used by stage 1 in inline mode and by the expiry timer). */
export const getCorrelationDependencies: () => Promise<CorrelationDependencies> = builtOnce(async () => {
    const cfg = appConfig();
    const [store, incidents, deadLetters, recorder] = await Promise.all([
        TableHostStateStore.create(tableClient(cfg.storage, cfg.stateTable)),
        TableIncidentStore.create(tableClient(cfg.storage, cfg.incidentTable)),
        TableDeadLetterStore.create(tableClient(cfg.storage, cfg.deadLetterTable)),
        appTelemetry(),
    ]);
    return {
        correlator: new Correlator({
            config: correlationConfig(cfg),
            store,
            publishers: [new IncidentStorePublisher(incidents), ...getIncidentPublishers()],
        }),
        deadLetters,
        telemetry: recorder,
    };
});

/** Stage 1 dependencies. */
export const getIngestDependencies: () => Promise<IngestDependencies> = builtOnce(async () => {
    const cfg = appConfig();
    const allowed = new Set(DEFAULT_CORRELATION_CONFIG.allowedSourceImages);
    const needed = (event: SysmonEvent): boolean => isNeededForCorrelation(event, allowed);
    const recorder = await appTelemetry();
    if (cfg.forwarding.mode === 'inline') {
        const { correlator, deadLetters } = await getCorrelationDependencies();
        const forwarder = new InlineCorrelation(correlator, undefined, reportInlineOutcome, recorder);
        return { deadLetters, forwarder, limits: cfg.ingestLimits, needed, telemetry: recorder };
    }
    const forwarding = cfg.forwarding;
    const clientId = forwarding.connection.kind === 'managedIdentity' ? forwarding.connection.clientId : undefined;
    const deadLetters = await TableDeadLetterStore.create(tableClient(cfg.storage, cfg.deadLetterTable));
    const forwarder = new EventHubEventForwarder(createEventHubProducer(forwarding, () => azureCredential(clientId)));
    return { deadLetters, forwarder, limits: cfg.ingestLimits, needed, telemetry: recorder };
});

/** HTTP API dependencies: the incident store, the enrichment cache, the dead letters, and the workspace enricher. */
export const getApiDependencies: () => Promise<IncidentsApiDependencies> = builtOnce(async () => {
    const cfg = appConfig();
    const [incidents, enrichmentStore, deadLetters, recorder] = await Promise.all([
        TableIncidentStore.create(tableClient(cfg.storage, cfg.incidentTable)),
        TableEnrichmentStore.create(tableClient(cfg.storage, cfg.enrichmentTable)),
        TableDeadLetterStore.create(tableClient(cfg.storage, cfg.deadLetterTable)),
        appTelemetry(),
    ]);
    const workspace = cfg.workspace;
    const port = workspace
        ? createWorkspaceQuery({
              workspaceId: workspace.workspaceId,
              endpoint: workspace.endpoint,
              scopes: [workspace.scope],
              credential: azureCredential(workspace.clientId),
          })
        : undefined;
    // Without a workspace the answers still come, with enrichment marked unavailable and why.
    return {
        incidents,
        enrichmentStore,
        deadLetters,
        enricher: new WorkspaceIncidentEnricher(
            port,
            workspace?.timeoutMs ?? 20_000,
            workspace ? { totalMs: workspace.budgetMs, concurrency: workspace.concurrency } : undefined,
            undefined,
            recorder,
        ),
    };
});
