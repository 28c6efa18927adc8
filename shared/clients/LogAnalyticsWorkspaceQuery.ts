/**
 * @module Log Analytics adapter of `WorkspaceQuery`: runs enrichment KQL against the Microsoft Sentinel
 * workspace with the real `LogsQueryClient` of `@azure/monitor-query-logs` 1.0.0 (Logs query API,
 * `POST {endpoint}/workspaces/{workspaceId}/query`: learn.microsoft.com, "Azure Monitor Log Analytics API request
 * format"). Maps `Success` / `PartialFailure` onto the port's result and every thrown error onto a
 * `WorkspaceQueryError` whose message is fit to show. Never logs, and never copies a request, its headers or a
 * token into an error.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import type { LogsErrorInfo, LogsQueryClientOptions, LogsTable } from '@azure/monitor-query-logs';
import { ConfigurationError } from '../errors';
import { WorkspaceQueryError } from '../enrich/enrichment';
import type { WorkspaceQuery, WorkspaceQueryResult, WorkspaceTable } from '../ports/workspaceQuery';

/** The public-cloud Logs query endpoint; `/v1` is part of it (the SDK does not append it to a custom endpoint). */
export const LOG_ANALYTICS_DEFAULT_ENDPOINT = 'https://api.loganalytics.io/v1';
/**
 * The public-cloud token scope. Sovereign clouds need their own (e.g. `https://api.loganalytics.azure.cn/.default`)
 * passed as `scopes`: the client's `audience` option is ignored by 1.0.0 (observed; docs/architecture.md).
 */
export const LOG_ANALYTICS_DEFAULT_SCOPE = 'https://api.loganalytics.io/.default';

type RetryOptions = NonNullable<LogsQueryClientOptions['retryOptions']>;
type PipelinePolicy = NonNullable<LogsQueryClientOptions['additionalPolicies']>[number]['policy'];
type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0];

/**
 * Bounded retries. The SDK's throttling strategy sleeps for whatever `Retry-After` says, with no cap, and its
 * exponential strategy defaults to 3 retries up to 64 s apart; enrichment has a budget of seconds. The per-call
 * abort signal (below) cuts any sleep short at the deadline.
 */
export const WORKSPACE_QUERY_RETRY_OPTIONS: RetryOptions = {
    maxRetries: 2,
    retryDelayInMs: 500,
    maxRetryDelayInMs: 4_000,
};

/** The service's own limit on `Prefer: wait=` (learn.microsoft.com, "Timeouts" of the Log Analytics API: 10 min). */
const MAX_SERVER_TIMEOUT_SECONDS = 600;

/** Options of {@link createWorkspaceQuery}. */
export interface WorkspaceQueryOptions {
    /** The workspace's "Workspace ID" (a GUID, the `customerId`), not its ARM resource id. */
    workspaceId: string;
    /** Base URL including `/v1`; defaults to {@link LOG_ANALYTICS_DEFAULT_ENDPOINT}. Must be https (bearer tokens need TLS). */
    endpoint?: string;
    /** Production: `ManagedIdentityCredential` / `DefaultAzureCredential`. Tests: a fake returning a static token. */
    credential: TokenCredential;
    /** PEM of an extra CA to trust (a local HTTPS stand-in in tests). */
    tlsCa?: string | Buffer;
    /** Token scopes; default {@link LOG_ANALYTICS_DEFAULT_SCOPE}. */
    scopes?: string[];
    /** Default {@link WORKSPACE_QUERY_RETRY_OPTIONS}. */
    retryOptions?: RetryOptions;
}

/** What one call saw: its abort signal, and the last HTTP answer of any attempt (to report throttling). */
interface CallState {
    signal: AbortSignal;
    lastStatus?: number;
    lastRetryAfterSeconds?: number;
}

/**
 * Carries the call id from `queryWorkspace` to the pipeline. Needed because `LogsQueryClient.queryWorkspace` in
 * 1.0.0 drops `abortSignal` (its `convertToInternalOptions` keeps only `prefer` and `requestOptions`), so the
 * signal is attached to the request by a policy instead; the header is removed before anything is sent.
 */
const CALL_ID_HEADER = 'x-hollowtrace-call-id';

function retryAfterSeconds(headers: { get(name: string): string | undefined }): number | undefined {
    // The same headers the SDK's throttling strategy reads: retry-after-ms, x-ms-retry-after-ms, Retry-After.
    for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
        const ms = Number(headers.get(name));
        if (headers.get(name) !== undefined && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
    }
    const value = headers.get('retry-after');
    if (value === undefined) return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
    const date = Date.parse(value); // Retry-After may also be an HTTP date (RFC 9110 §10.2.3)
    return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined;
}

function toTable(table: LogsTable): WorkspaceTable {
    return { columns: table.columnDescriptors.map((column) => column.name), rows: table.rows as unknown[][] };
}

/** `code: message`, plus the innermost detail (the service nests the precise cause, e.g. the parse position). */
function describeServiceError(error: LogsErrorInfo | undefined): { code?: string; text: string } {
    if (!error) return { text: 'no detail given' };
    let inner: LogsErrorInfo | undefined = error.innererror;
    let innermost: LogsErrorInfo | undefined;
    for (let depth = 0; inner && depth < 10; depth++) {
        innermost = inner;
        inner = inner.innererror;
    }
    const detail = innermost?.message && innermost.message !== error.message ? ` (${innermost.message})` : '';
    return {
        code: error.code,
        text: `${error.code ? `${error.code}: ` : ''}${error.message ?? 'no message'}${detail}`,
    };
}

interface RestErrorLike {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    statusCode?: unknown;
    details?: unknown;
    response?: { headers?: { get(name: string): string | undefined } };
}

const CREDENTIAL_ERRORS = new Set([
    'CredentialUnavailableError',
    'AuthenticationError',
    'AggregateAuthenticationError',
    'AuthenticationRequiredError',
]);

/** Maps anything `queryWorkspace` threw onto a `WorkspaceQueryError`. Only status, codes and service text are kept. */
function toWorkspaceQueryError(
    error: unknown,
    call: CallState,
    timeoutMs: number,
    timeout: AbortSignal,
): WorkspaceQueryError {
    if (error instanceof WorkspaceQueryError) return error;
    const e = (typeof error === 'object' && error !== null ? error : {}) as RestErrorLike;
    const name = typeof e.name === 'string' ? e.name : '';
    const message = typeof e.message === 'string' ? e.message : String(error);

    if (call.signal.aborted) {
        // Cut short while the SDK slept on a Retry-After, or while an attempt was in flight after a 429.
        if (call.lastStatus === 429)
            return throttled(call.lastRetryAfterSeconds, ` and no retry fitted in the ${timeoutMs} ms budget`);
        const reason = call.signal.reason as { name?: unknown } | undefined;
        if (timeout.aborted || reason?.name === 'TimeoutError')
            return new WorkspaceQueryError('timeout', `timed out after ${timeoutMs} ms`);
        return new WorkspaceQueryError('aborted', 'cancelled by the caller');
    }
    if (CREDENTIAL_ERRORS.has(name)) {
        // Identity errors describe the credential chain, never a token.
        return new WorkspaceQueryError(
            'unauthenticated',
            `could not get a token for the workspace: ${name}: ${message}`,
        );
    }

    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status === undefined) {
        const code = typeof e.code === 'string' ? `${e.code}: ` : '';
        if (name === 'RestError') return new WorkspaceQueryError('network', `workspace unreachable: ${code}${message}`);
        return new WorkspaceQueryError('unexpected', `query failed: ${name ? `${name}: ` : ''}${message}`);
    }

    // The deserialised error body `{ error: { code, message, innererror } }` (the SDK puts it in `details`).
    const body = (e.details as { error?: LogsErrorInfo } | undefined)?.error;
    const service = describeServiceError(body);
    const detail = body ? service.text : message;
    const fields = { httpStatus: status, ...(service.code !== undefined && { serviceCode: service.code }) };
    if (status === 429) {
        return throttled(
            e.response?.headers ? retryAfterSeconds(e.response.headers) : call.lastRetryAfterSeconds,
            '',
            service.code,
        );
    }
    if (status === 400)
        return new WorkspaceQueryError('bad-query', `query rejected by the workspace (HTTP 400 ${detail})`, fields);
    if (status === 401)
        return new WorkspaceQueryError(
            'unauthenticated',
            `token refused by the workspace (HTTP 401 ${detail})`,
            fields,
        );
    if (status === 403) {
        return new WorkspaceQueryError(
            'forbidden',
            `access denied (HTTP 403 ${detail}); the identity needs read access to the workspace, e.g. Log Analytics Reader`,
            fields,
        );
    }
    if (status === 404) return new WorkspaceQueryError('not-found', `workspace not found (HTTP 404 ${detail})`, fields);
    if (status === 408 || status === 504) {
        return new WorkspaceQueryError(
            'timeout',
            `the workspace gave up on the query (HTTP ${status} ${detail})`,
            fields,
        );
    }
    if (status >= 500)
        return new WorkspaceQueryError(
            'service-unavailable',
            `workspace service error (HTTP ${status} ${detail})`,
            fields,
        );
    return new WorkspaceQueryError(
        'unexpected',
        `unexpected answer from the workspace (HTTP ${status} ${detail})`,
        fields,
    );
}

function throttled(retryAfter: number | undefined, suffix: string, serviceCode?: string): WorkspaceQueryError {
    const after = retryAfter !== undefined ? `, retry after ${retryAfter} s` : '';
    return new WorkspaceQueryError('throttled', `throttled by the workspace (HTTP 429${after})${suffix}`, {
        httpStatus: 429,
        ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }),
        ...(serviceCode !== undefined && { serviceCode }),
    });
}

/** Settles with `promise` or rejects as soon as `signal` aborts (the socket is torn down by the pipeline policy). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason as Error);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        void promise.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
    });
}

/** `WorkspaceQuery` over one `LogsQueryClient` and workspace. Build it with {@link createWorkspaceQuery}. */
export class LogAnalyticsWorkspaceQuery implements WorkspaceQuery {
    private readonly calls = new Map<string, CallState>();
    private readonly requests = new WeakMap<PipelineRequest, CallState>();
    private readonly client: LogsQueryClient;

    /**
     * @param clientOptions options for `LogsQueryClient`; two policies are added: one attaching each call's abort
     *   signal to its request (per call, before the retry policy, so it also cuts Retry-After sleeps), one recording
     *   every attempt's status (per retry) so a timeout after a 429 is reported as throttling.
     */
    constructor(
        credential: TokenCredential,
        private readonly workspaceId: string,
        clientOptions: LogsQueryClientOptions,
    ) {
        const attachSignal: PipelinePolicy = {
            name: 'hollowtraceAttachCallSignal',
            sendRequest: (request, next) => {
                const id = request.headers.get(CALL_ID_HEADER);
                request.headers.delete(CALL_ID_HEADER);
                const call = id !== undefined ? this.calls.get(id) : undefined;
                if (call) {
                    request.abortSignal = call.signal;
                    this.requests.set(request, call);
                }
                return next(request);
            },
        };
        const observeAttempt: PipelinePolicy = {
            name: 'hollowtraceObserveAttempt',
            sendRequest: async (request, next) => {
                const response = await next(request);
                const call = this.requests.get(request);
                if (call) {
                    call.lastStatus = response.status;
                    call.lastRetryAfterSeconds = retryAfterSeconds(response.headers);
                }
                return response;
            },
        };
        this.client = new LogsQueryClient(credential, {
            ...clientOptions,
            additionalPolicies: [
                ...(clientOptions.additionalPolicies ?? []),
                { policy: attachSignal, position: 'perCall' },
                { policy: observeAttempt, position: 'perRetry' },
            ],
        });
    }

    /** Runs `kql` over `timespan`; gives up after `timeoutMs` or when `abortSignal` fires. */
    async query(
        kql: string,
        timespan: { startTime: Date; endTime: Date },
        options: { timeoutMs: number; abortSignal?: AbortSignal },
    ): Promise<WorkspaceQueryResult> {
        const timeoutMs = Math.max(1, Math.floor(options.timeoutMs));
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = options.abortSignal ? AbortSignal.any([options.abortSignal, timeout]) : timeout;
        const id = randomUUID();
        const call: CallState = { signal };
        this.calls.set(id, call);
        try {
            const result = await untilAborted(
                this.client.queryWorkspace(this.workspaceId, kql, timespan, {
                    // `Prefer: wait=N`: the service stops working on the query when the client stops waiting.
                    serverTimeoutInSeconds: Math.min(MAX_SERVER_TIMEOUT_SECONDS, Math.ceil(timeoutMs / 1000)),
                    abortSignal: signal, // ignored by 1.0.0 (see CALL_ID_HEADER); kept for versions that honour it
                    requestOptions: { headers: { [CALL_ID_HEADER]: id } },
                }),
                signal,
            );
            if (result.status === LogsQueryResultStatus.Success)
                return { status: 'success', tables: result.tables.map(toTable) };
            return {
                status: 'partial',
                tables: result.partialTables.map(toTable),
                partialError: describeServiceError(result.partialError).text,
            };
        } catch (error) {
            throw toWorkspaceQueryError(error, call, timeoutMs, timeout);
        } finally {
            this.calls.delete(id);
        }
    }
}

/**
 * Builds the workspace query adapter. Create it once per process (it holds the client and its connection pool).
 * @throws ConfigurationError when the workspace id is empty or the endpoint is not an https URL.
 * @example createWorkspaceQuery({ workspaceId: config.workspaceId, credential: new ManagedIdentityCredential({ clientId }) })
 */
export function createWorkspaceQuery(options: WorkspaceQueryOptions): LogAnalyticsWorkspaceQuery {
    const workspaceId = options.workspaceId.trim();
    if (workspaceId === '') throw new ConfigurationError('the Log Analytics workspace id is empty');
    const endpoint = (options.endpoint ?? LOG_ANALYTICS_DEFAULT_ENDPOINT).replace(/\/+$/, '');
    // core-rest-pipeline's bearer policy refuses non-https URLs, even with allowInsecureConnection (docs/architecture.md).
    if (!/^https:\/\//i.test(endpoint))
        throw new ConfigurationError(
            `the Log Analytics endpoint must be an https:// URL, got ${JSON.stringify(endpoint)}`,
        );
    return new LogAnalyticsWorkspaceQuery(options.credential, workspaceId, {
        endpoint,
        credentials: { scopes: options.scopes ?? [LOG_ANALYTICS_DEFAULT_SCOPE] },
        retryOptions: options.retryOptions ?? WORKSPACE_QUERY_RETRY_OPTIONS,
        userAgentOptions: { userAgentPrefix: 'hollowtrace' },
        ...(options.tlsCa !== undefined && { tlsOptions: { ca: options.tlsCa } }),
    });
}
