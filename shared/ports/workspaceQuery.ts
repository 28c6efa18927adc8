/**
 * @module Workspace-query port: runs enrichment KQL against the Microsoft Sentinel (Log Analytics) workspace.
 * Implementation: `LogAnalyticsWorkspaceQuery` (shared/clients/LogAnalyticsWorkspaceQuery.ts); tests drive it against a
 * local HTTPS stand-in.
 */

/** One table of a query result: column names and rows (values as the client converted them). */
export interface WorkspaceTable {
    columns: string[];
    rows: unknown[][];
}

/** The result of one workspace query. `partial`: the service answered with tables and an error beside them. */
export interface WorkspaceQueryResult {
    status: 'success' | 'partial';
    tables: WorkspaceTable[];
    partialError?: string;
}

/**
 * Runs one KQL query against the configured workspace. Throws `WorkspaceQueryError` when the query produced no
 * result (throttled, rejected, timed out, unreachable); must give up within `timeoutMs` or when `abortSignal` fires.
 */
export interface WorkspaceQuery {
    query(
        kql: string,
        timespan: { startTime: Date; endTime: Date },
        options: { timeoutMs: number; abortSignal?: AbortSignal },
    ): Promise<WorkspaceQueryResult>;
}
