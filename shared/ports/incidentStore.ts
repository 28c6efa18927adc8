/**
 * @module Incident-store port: the published incidents, idempotent by (id, version). Implementations:
 * `InMemoryIncidentStore` (beside this file) and `TableIncidentStore` (shared/storage/table); one contract suite for both.
 */
import type { Technique } from '../correlate/evaluate';
import type { Incident } from '../correlate/incident';

export interface IncidentQuery {
    host?: string;
    /** ISO times: incidents whose lastSeen is at or after `since` and at or before `until`. */
    since?: string;
    until?: string;
    technique?: Technique;
    minScore?: number;
    limit?: number;
    continuationToken?: string;
}

export interface IncidentPage {
    incidents: Incident[];
    continuationToken?: string;
}

/** At most this many hosts come back from {@link IncidentStore.hostsByShortName} (one Table query page). */
export const MAX_HOSTS_PER_SHORT_NAME = 1000;

/**
 * A host's short name: its first DNS label, lower-cased (`WS01.contoso.local` → `ws01`; `WS01` → `ws01`). Sentinel
 * Host entities often carry only this NetBIOS-style name while Sysmon reports the FQDN.
 */
export function shortHostName(host: string): string {
    return host.trim().toLowerCase().split('.')[0] ?? '';
}

/** True when `text` is well-formed UTF-16 (no lone surrogate): only such text can be a key or a URL component. */
export function isWellFormedText(text: string): boolean {
    return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/**
 * The JSON a continuation token carries (both stores issue base64url JSON), or undefined when it carries none: the
 * store then refuses the token with `InvalidContinuationTokenError`.
 */
export function continuationTokenJson(token: string): unknown {
    try {
        return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
        return undefined;
    }
}

/**
 * Every implementation answers each call with a number of storage requests that does not grow with the number of
 * incidents stored: `get` and `hostsByShortName` read index entries kept with the incidents by `upsert`.
 */
export interface IncidentStore {
    /**
     * Stores incidents and their index entries (id → host, short host name → host); idempotent by (id, version),
     * an older version never replaces a newer one. Throws `StorageUnavailableError`.
     */
    upsert(incidents: readonly Incident[]): Promise<void>;
    get(id: string): Promise<Incident | undefined>;
    /**
     * A page of incidents. `continuationToken` must be one this store issued: anything else rejects with
     * `InvalidContinuationTokenError`. A host name that is not well-formed text matches nothing.
     */
    query(query: IncidentQuery): Promise<IncidentPage>;
    /**
     * The hosts (lower-cased, at most {@link MAX_HOSTS_PER_SHORT_NAME}, sorted) of the stored incidents whose
     * {@link shortHostName} is `shortName` (compared case-insensitively).
     */
    hostsByShortName(shortName: string): Promise<string[]>;
}
