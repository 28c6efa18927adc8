/**
 * @module The one place where app settings are read and validated. Everything else receives a `HollowtraceConfig`.
 * The README's configuration table lists the same settings; keep the two in step.
 */
import { ConfigurationError } from '../errors';
import { DEFAULT_CORRELATION_CONFIG } from '../correlate/config';
import { DEFAULT_INGEST_LIMITS } from '../ingest/ingestBatch';
import type { IngestLimits } from '../ingest/ingestBatch';

export type Environment = Readonly<Record<string, string | undefined>>;

/** How Table Storage is reached: a connection string (Azurite, local) or an account URL with managed identity. */
export type StorageConfig =
    | { kind: 'connectionString'; connectionString: string }
    | { kind: 'managedIdentity'; tableEndpoint: string; clientId?: string };

/**
 * Where stage 1 sends the events correlation needs: correlated in the same invocation (`inline`, for small
 * deployments whose source hub is already keyed by host), or forwarded to the host-keyed hub of stage 2.
 */
export type ForwardingConfig =
    | { mode: 'inline' }
    | {
          mode: 'eventHub';
          eventHubName: string;
          connection:
              | { kind: 'connectionString'; connectionString: string }
              | { kind: 'managedIdentity'; fullyQualifiedNamespace: string; clientId?: string };
      };

/** The Sentinel (Log Analytics) workspace queried for enrichment; absent when not configured. */
export interface WorkspaceConfig {
    workspaceId: string;
    endpoint: string;
    scope: string;
    /** The most one incident's queries may take. */
    timeoutMs: number;
    /** The most one playbook call's enrichment may take, all its incidents together. */
    budgetMs: number;
    /** Incidents of one playbook call enriched at once (each runs up to 4 queries). */
    concurrency: number;
    clientId?: string;
}

/** Where incident versions are uploaded for Sentinel (Logs Ingestion API); absent when Sentinel delivery is off. */
export interface SentinelDeliveryConfig {
    /** The DCR's logs ingestion endpoint (or a DCE's), https. */
    endpoint: string;
    /** The DCR's immutable id (`dcr-` and 32 hex digits), not its resource name. */
    dcrImmutableId: string;
    /** The DCR input stream the rows are declared in. */
    streamName: string;
    /** Token audience for sovereign clouds; the SDK defaults to the public cloud (https://monitor.azure.com). */
    audience?: string;
    clientId?: string;
}

/**
 * How callers of the HTTP API prove who they are: a function key (`authLevel: 'function'`), or an Entra ID token
 * checked by App Service authentication in front of anonymous functions (the pattern the Functions host team
 * describes in github.com/Azure/azure-functions-host/issues/11394: with Easy Auth, keys add nothing).
 */
export type HttpAuthentication = 'functionKey' | 'entraId';

/**
 * An HTTP-triggered function must answer within 230 s (learn.microsoft.com, "Azure Functions HTTP trigger", Limits),
 * and a Logic Apps HTTP action waits 120 s by default; the enrichment budget stays well below both.
 */
export const MAX_ENRICHMENT_BUDGET_MS = 100_000;

export interface HollowtraceConfig {
    httpAuthentication: HttpAuthentication;
    storage: StorageConfig;
    deadLetterTable: string;
    stateTable: string;
    incidentTable: string;
    enrichmentTable: string;
    ingestLimits: IngestLimits;
    forwarding: ForwardingConfig;
    workspace?: WorkspaceConfig;
    sentinel?: SentinelDeliveryConfig;

    /**
     * How long correlation waits for the rest of a chain after its last piece of evidence (and keeps process and
     * file records after their last change): the late delivery tolerated between the events of one attack.
     */
    pendingRetentionMs: number;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/; // Table service naming rules (learn.microsoft.com, "Understanding the Table service data model")

function positiveInteger(env: Environment, name: string, fallback: number, problems: string[]): number {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) {
        problems.push(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
        return fallback;
    }
    return value;
}

function tableName(env: Environment, name: string, fallback: string, problems: string[]): string {
    const value = env[name]?.trim() || fallback;
    if (!TABLE_NAME.test(value))
        problems.push(`${name} must be 3-63 letters or digits starting with a letter, got ${JSON.stringify(value)}`);
    return value;
}

function readStorage(env: Environment, problems: string[]): StorageConfig {
    const connectionString = env.HOLLOWTRACE_STORAGE_CONNECTION_STRING?.trim();
    if (connectionString) return { kind: 'connectionString', connectionString };
    const accountName = env.HOLLOWTRACE_STORAGE_ACCOUNT?.trim();
    const tableEndpoint =
        env.HOLLOWTRACE_TABLE_ENDPOINT?.trim() ||
        (accountName ? `https://${accountName}.table.core.windows.net` : undefined);
    if (!tableEndpoint) {
        problems.push(
            'set HOLLOWTRACE_STORAGE_CONNECTION_STRING (local, Azurite) or HOLLOWTRACE_STORAGE_ACCOUNT / HOLLOWTRACE_TABLE_ENDPOINT (managed identity)',
        );
        return { kind: 'connectionString', connectionString: '' };
    }
    if (!/^https:\/\//.test(tableEndpoint))
        problems.push('HOLLOWTRACE_TABLE_ENDPOINT must be an https:// URL (managed identity tokens need TLS)');
    const clientId = env.AZURE_CLIENT_ID?.trim();
    return { kind: 'managedIdentity', tableEndpoint, ...(clientId && { clientId }) };
}

/**
 * `HOLLOWTRACE_CORRELATION` lower-cased, `inline` when unset. Read on its own (without the rest of the settings) when
 * the Functions host loads the app, to decide whether stage 2's trigger exists at all.
 */
export function correlationMode(env: Environment): string {
    return (env.HOLLOWTRACE_CORRELATION?.trim() || 'inline').toLowerCase();
}

function readForwarding(env: Environment, problems: string[]): ForwardingConfig {
    const mode = correlationMode(env);
    if (mode === 'inline') return { mode: 'inline' };
    if (mode !== 'eventhub') {
        problems.push(
            `HOLLOWTRACE_CORRELATION must be "inline" or "eventHub", got ${JSON.stringify(env.HOLLOWTRACE_CORRELATION)}`,
        );
        return { mode: 'inline' };
    }
    const eventHubName = env.CORRELATION_EVENTHUB_NAME?.trim() ?? '';
    if (!eventHubName) problems.push('CORRELATION_EVENTHUB_NAME is required when HOLLOWTRACE_CORRELATION is eventHub');
    const connectionString = env.CorrelationEventHub?.trim();
    if (connectionString)
        return { mode: 'eventHub', eventHubName, connection: { kind: 'connectionString', connectionString } };
    const fullyQualifiedNamespace = env.CorrelationEventHub__fullyQualifiedNamespace?.trim() ?? '';
    if (!fullyQualifiedNamespace) {
        problems.push(
            'set CorrelationEventHub (connection string) or CorrelationEventHub__fullyQualifiedNamespace (managed identity)',
        );
    }
    const clientId = env.CorrelationEventHub__clientId?.trim() || env.AZURE_CLIENT_ID?.trim();
    return {
        mode: 'eventHub',
        eventHubName,
        connection: { kind: 'managedIdentity', fullyQualifiedNamespace, ...(clientId && { clientId }) },
    };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readWorkspace(env: Environment, problems: string[]): WorkspaceConfig | undefined {
    const workspaceId = env.HOLLOWTRACE_SENTINEL_WORKSPACE_ID?.trim();
    if (!workspaceId) return undefined;
    if (!GUID.test(workspaceId)) problems.push('HOLLOWTRACE_SENTINEL_WORKSPACE_ID must be the workspace id (a GUID)');
    const endpoint = env.HOLLOWTRACE_LOGS_QUERY_ENDPOINT?.trim() || 'https://api.loganalytics.io/v1';
    if (!/^https:\/\//.test(endpoint)) problems.push('HOLLOWTRACE_LOGS_QUERY_ENDPOINT must be an https:// URL');
    const timeoutMs = positiveInteger(env, 'HOLLOWTRACE_ENRICHMENT_TIMEOUT_MS', 20_000, problems);
    if (timeoutMs > 600_000) problems.push('HOLLOWTRACE_ENRICHMENT_TIMEOUT_MS must be at most 600000');
    const budgetMs = positiveInteger(env, 'HOLLOWTRACE_ENRICHMENT_BUDGET_MS', 30_000, problems);
    if (budgetMs > MAX_ENRICHMENT_BUDGET_MS)
        problems.push(`HOLLOWTRACE_ENRICHMENT_BUDGET_MS must be at most ${MAX_ENRICHMENT_BUDGET_MS}`);
    const concurrency = positiveInteger(env, 'HOLLOWTRACE_ENRICHMENT_CONCURRENCY', 5, problems);
    if (concurrency > 20) problems.push('HOLLOWTRACE_ENRICHMENT_CONCURRENCY must be at most 20');
    const clientId = env.AZURE_CLIENT_ID?.trim();
    return {
        workspaceId,
        endpoint,
        scope: env.HOLLOWTRACE_LOGS_QUERY_SCOPE?.trim() || 'https://api.loganalytics.io/.default',
        timeoutMs,
        budgetMs,
        concurrency,
        ...(clientId && { clientId }),
    };
}

/**
 * `HOLLOWTRACE_HTTP_AUTH`: `functionKey` (default) or `entraId`. Read on its own too, because the functions'
 * `authLevel` is fixed when they register, before the rest of the configuration is needed.
 * @throws ConfigurationError for any other value
 */
export function readHttpAuthentication(env: Environment): HttpAuthentication {
    const raw = env.HOLLOWTRACE_HTTP_AUTH?.trim() || 'functionKey';
    const value = ({ functionkey: 'functionKey', entraid: 'entraId' } as const)[
        raw.toLowerCase() as 'functionkey' | 'entraid'
    ];
    if (!value)
        throw new ConfigurationError(
            `HOLLOWTRACE_HTTP_AUTH must be "functionKey" or "entraId", got ${JSON.stringify(raw)}`,
        );
    return value;
}

const DCR_IMMUTABLE_ID = /^dcr-[0-9a-f]{32}$/i;
/** DCR stream names: `Custom-` then the column-name alphabet (learn.microsoft.com, "Structure of a data collection rule"). */
const DCR_STREAM = /^Custom-[A-Za-z][A-Za-z0-9_-]{0,250}$/;

function readSentinel(env: Environment, problems: string[]): SentinelDeliveryConfig | undefined {
    const endpoint = env.HOLLOWTRACE_LOGS_INGESTION_ENDPOINT?.trim() ?? '';
    const dcrImmutableId = env.HOLLOWTRACE_DCR_IMMUTABLE_ID?.trim() ?? '';
    if (!endpoint && !dcrImmutableId) return undefined;
    if (!endpoint)
        problems.push('HOLLOWTRACE_LOGS_INGESTION_ENDPOINT is required when HOLLOWTRACE_DCR_IMMUTABLE_ID is set');
    else if (!/^https:\/\/[^/\s]+/.test(endpoint))
        problems.push('HOLLOWTRACE_LOGS_INGESTION_ENDPOINT must be an https:// URL (managed identity tokens need TLS)');
    if (!dcrImmutableId)
        problems.push('HOLLOWTRACE_DCR_IMMUTABLE_ID is required when HOLLOWTRACE_LOGS_INGESTION_ENDPOINT is set');
    else if (!DCR_IMMUTABLE_ID.test(dcrImmutableId))
        problems.push(
            `HOLLOWTRACE_DCR_IMMUTABLE_ID must be the DCR's immutable id (dcr- and 32 hex digits), got ${JSON.stringify(dcrImmutableId)}`,
        );
    const streamName = env.HOLLOWTRACE_DCR_STREAM?.trim() || 'Custom-HollowtraceIncidents';
    if (!DCR_STREAM.test(streamName))
        problems.push(`HOLLOWTRACE_DCR_STREAM must start with "Custom-", got ${JSON.stringify(streamName)}`);
    const audience = env.HOLLOWTRACE_LOGS_INGESTION_AUDIENCE?.trim();
    if (audience && !/^https:\/\//.test(audience))
        problems.push('HOLLOWTRACE_LOGS_INGESTION_AUDIENCE must be an https:// URL, e.g. https://monitor.azure.us');
    const clientId = env.AZURE_CLIENT_ID?.trim();
    return {
        endpoint,
        dcrImmutableId,
        streamName,
        ...(audience && { audience }),
        ...(clientId && { clientId }),
    };
}

/**
 * Reads and validates every setting at once; throws one `ConfigurationError` listing all problems.
 * @example loadConfig({ HOLLOWTRACE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).deadLetterTable // 'hollowtracedeadletters'
 */
export function loadConfig(env: Environment): HollowtraceConfig {
    const problems: string[] = [];
    let httpAuthentication: HttpAuthentication = 'functionKey';
    try {
        httpAuthentication = readHttpAuthentication(env);
    } catch (error) {
        problems.push((error as Error).message);
    }
    const config: HollowtraceConfig = {
        httpAuthentication,
        storage: readStorage(env, problems),
        deadLetterTable: tableName(env, 'HOLLOWTRACE_DEAD_LETTER_TABLE', 'hollowtracedeadletters', problems),
        stateTable: tableName(env, 'HOLLOWTRACE_STATE_TABLE', 'hollowtracestate', problems),
        incidentTable: tableName(env, 'HOLLOWTRACE_INCIDENT_TABLE', 'hollowtraceincidents', problems),
        enrichmentTable: tableName(env, 'HOLLOWTRACE_ENRICHMENT_TABLE', 'hollowtraceenrichment', problems),
        ingestLimits: {
            maxMessageBytes: positiveInteger(
                env,
                'HOLLOWTRACE_MAX_MESSAGE_BYTES',
                DEFAULT_INGEST_LIMITS.maxMessageBytes,
                problems,
            ),
            maxDepth: positiveInteger(env, 'HOLLOWTRACE_MAX_NESTING', DEFAULT_INGEST_LIMITS.maxDepth, problems),
            maxDeadLetterRawChars: DEFAULT_INGEST_LIMITS.maxDeadLetterRawChars,
        },
        forwarding: readForwarding(env, problems),
        pendingRetentionMs:
            positiveInteger(
                env,
                'HOLLOWTRACE_PENDING_RETENTION_MINUTES',
                DEFAULT_CORRELATION_CONFIG.pendingRetentionMs / 60_000,
                problems,
            ) * 60_000,
    };
    const workspace = readWorkspace(env, problems);
    if (workspace) config.workspace = workspace;
    const sentinel = readSentinel(env, problems);
    if (sentinel) config.sentinel = sentinel;
    if (problems.length > 0) throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
    return config;
}
