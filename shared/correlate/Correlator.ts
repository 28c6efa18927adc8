/**
 * @module Stage 2 use case: groups a batch by host, applies it to each host's state with optimistic concurrency, and
 * delivers new and updated incidents through a transactional outbox. Host state is cached between batches (the
 * correlator owns its hosts: stage 1 forwards with partition key = host); a conflict on save drops the cache,
 * re-reads and re-applies, a bounded number of times. Re-applying is safe because the reducer is idempotent by event
 * identity.
 *
 * Why an outbox: saving state and publishing an incident are two writes to two places, and anything failing between
 * them (a crash, a lost response that the SDK's retry turns into an ETag conflict, a publisher down) used to lose the
 * incident, because the re-applied batch finds the chain unchanged and reports nothing. Now every incident version is
 * written as one outbox entry per publisher in the same entity group transaction as the chain record that carries
 * the version (see TableHostStateStore.save), so the version exists in storage if and only if its entries do. Delivery
 * happens after the commit and an entry is deleted only after its publisher accepted it; whatever fails leaves the
 * entry pending, and the next batch for the host or the maintenance pass (`expire`) delivers it again. Publishers
 * are idempotent by (incident id, version), so a repeated delivery changes nothing.
 */
import { ConcurrencyConflictError, IncidentDeliveryError } from '../errors';
import { groupByHost } from '../ingest/groupByHost';
import type { SysmonEvent } from '../sysmon/types';
import type { CorrelationConfig } from './config';
import { toIncident } from './incident';
import type { Incident } from './incident';
import type { IncidentPublisher } from '../ports/incidentPublisher';
import { applyEvents, expireState, nextExpiryMs } from './reducer';
import { isEmptyHostState, stateKey } from './state';
import type { HostState } from './state';
import type { HostStateStore, LoadedHostState } from '../ports/hostStateStore';

export interface CorrelatorOptions {
    config: CorrelationConfig;
    store: HostStateStore;
    /** Where committed incident versions go (the incident table, Sentinel); each clears its own outbox entries. */
    publishers: readonly IncidentPublisher[];
    /** Re-read-and-reapply attempts after an ETag conflict before giving up (the batch is then retried whole). */
    maxConflictRetries?: number;
    /** Hosts kept in the cache; the least recently used is dropped beyond it. */
    maxCachedHosts?: number;
    /**
     * State records (processes, image files, chains) kept in the cache over all hosts; least recently used hosts are
     * dropped beyond it, so memory follows this figure rather than fleet size (a busy host holds thousands of
     * records for the retention window: docs/performance.md gives `npm run bench:replay`'s memory per host-hour).
     */
    maxCachedRecords?: number;
    /** How soon after a commit a host with undelivered outbox entries becomes due for the maintenance pass. */
    outboxRetryMs?: number;
}

/** A publisher that failed to take pending incident versions (they stay in the outbox). */
export interface DeliveryFailure {
    publisher: string;
    incidents: number;
    error: string;
}

export interface DeliveryOutcome {
    /** Incident versions a publisher accepted, counted once per publisher. */
    delivered: number;
    /** Outbox entries still pending afterwards (for configured publishers), to be delivered again later. */
    pending: number;
    deliveryFailures: DeliveryFailure[];
}

export interface CorrelationOutcome extends DeliveryOutcome {
    /** Incident versions committed by this batch. */
    incidents: Incident[];
    hosts: number;
    conflicts: number;
    transactions: number;
}

export interface ExpiryOptions {
    /** Hosts visited at most in this call (default 1,000). */
    maxHosts?: number;
    /** Asked before each host; true stops the pass (a time budget: the next call resumes with the hosts still due). */
    shouldStop?: () => boolean;
}

export interface ExpiryOutcome extends DeliveryOutcome {
    /** Hosts visited. */
    hosts: number;
    /** Records removed (host meta records included). */
    removed: number;
    /** Hosts whose state became empty and was removed with their meta record. */
    hostsRemoved: number;
    /** Hosts left due because their conflicts outlasted the retries (the next pass tries again). */
    skipped: number;
    transactions: number;
    /** Whether every due host was visited (false: the budget ran out; the next call resumes). */
    complete: boolean;
}

/** Hosts the maintenance pass lists per store query. */
const DUE_HOSTS_PAGE = 100;

/** Records of a host's state, the unit the cache is bounded in. */
function recordCount(loaded: LoadedHostState): number {
    const state = loaded.state;
    return state.processes.size + state.files.size + state.chains.size + state.tombstones.size + state.outbox.size;
}

function describe(error: unknown): string {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class Correlator {
    /** Least recently used first; with each host, its record count when it was last remembered. */
    private readonly cache = new Map<string, { loaded: LoadedHostState; records: number }>();
    private cachedRecords = 0;
    private readonly maxConflictRetries: number;
    private readonly maxCachedHosts: number;
    private readonly maxCachedRecords: number;
    private readonly outboxRetryMs: number;
    private readonly publisherNames: ReadonlySet<string>;

    constructor(private readonly options: CorrelatorOptions) {
        this.maxConflictRetries = options.maxConflictRetries ?? 3;
        this.maxCachedHosts = options.maxCachedHosts ?? 5_000;
        this.maxCachedRecords = options.maxCachedRecords ?? 200_000;
        this.outboxRetryMs = options.outboxRetryMs ?? 60_000;
        this.publisherNames = new Set(options.publishers.map((p) => p.name));
        if (this.publisherNames.size !== options.publishers.length)
            throw new Error('incident publishers must have distinct names (each names its outbox entries)');
        for (const name of this.publisherNames)
            if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`invalid incident publisher name ${name}`);
    }

    /**
     * Correlates one batch, then delivers every pending outbox entry of the hosts it touched. Throws
     * `StorageUnavailableError` when storage fails and `ConcurrencyConflictError` when conflicts outlast the retries,
     * so the trigger's retry policy re-runs the batch. A publisher failing does not throw: its entries are committed
     * and stay pending (see `deliveryFailures`), and throwing would only re-run a batch that is already applied.
     */
    async process(events: readonly SysmonEvent[], now: Date): Promise<CorrelationOutcome> {
        const outcome: CorrelationOutcome = {
            incidents: [],
            hosts: 0,
            conflicts: 0,
            transactions: 0,
            delivered: 0,
            pending: 0,
            deliveryFailures: [],
        };
        const touched: { host: string; loaded: LoadedHostState }[] = [];
        for (const [host, hostEvents] of groupByHost(events)) {
            outcome.hosts++;
            touched.push({ host, loaded: await this.processHost(host, hostEvents, now, outcome) });
        }
        await this.deliver(touched, outcome);
        return outcome;
    }

    /** Applies one host's events and commits them with their outbox entries; returns the host's state as committed. */
    private async processHost(
        host: string,
        events: readonly SysmonEvent[],
        now: Date,
        outcome: CorrelationOutcome,
    ): Promise<LoadedHostState> {
        const nowMs = now.getTime();
        for (let attempt = 0; ; attempt++) {
            const loaded = await this.loaded(host);
            try {
                const result = applyEvents(loaded.state, events, nowMs, this.options.config);
                if (result.changed.size === 0) {
                    this.remember(host, loaded);
                    return loaded;
                }
                const changed = new Set(result.changed);
                const incidents = result.incidents.map((change) => {
                    const incident = toIncident(change);
                    const chainKey = stateKey.chain(change.targetGuid);
                    for (const publisher of this.options.publishers) {
                        const key = stateKey.outbox(publisher.name, incident.id, incident.version);
                        loaded.state.outbox.set(key, {
                            publisher: publisher.name,
                            chainKey,
                            incident,
                            createdAt: nowMs,
                        });
                        changed.add(key);
                    }
                    return incident;
                });
                this.bumpMeta(loaded.state, nowMs, incidents.length > 0 && this.options.publishers.length > 0);
                const stats = await this.options.store.save(
                    host,
                    loaded,
                    new Set([stateKey.meta, ...changed]),
                    new Set(),
                );
                outcome.transactions += stats.transactions;
                this.remember(host, loaded);
                outcome.incidents.push(...incidents);
                return loaded;
            } catch (error) {
                this.forget(host); // the cached state may hold changes that were not saved
                if (!(error instanceof ConcurrencyConflictError) || attempt >= this.maxConflictRetries) throw error;
                outcome.conflicts++;
            }
        }
    }

    /**
     * Bumps the host meta record, which every save writes: two correlators holding one host then always touch one
     * common record, so the stale one's ETag check fails. `dueAt` is pulled forward to when a record written now
     * could first expire, or to the outbox retry when incident versions are being committed.
     */
    private bumpMeta(state: HostState, nowMs: number, committingOutbox: boolean): void {
        let dueAt = Math.min(state.meta.dueAt ?? Infinity, nowMs + this.options.config.pendingRetentionMs + 1);
        if (committingOutbox) dueAt = Math.min(dueAt, nowMs + this.outboxRetryMs);
        state.meta = { saves: state.meta.saves + 1, updatedAt: nowMs, dueAt };
    }

    /**
     * Hands each publisher the pending outbox entries (theirs) of the given hosts' committed state, oldest version
     * first, and deletes the entries it accepted. Entries of a publisher that is not configured (any more) are left.
     */
    private async deliver(hosts: readonly { host: string; loaded: LoadedHostState }[], outcome: DeliveryOutcome) {
        for (const publisher of this.options.publishers) {
            const entries: { host: string; loaded: LoadedHostState; key: string; incident: Incident }[] = [];
            for (const { host, loaded } of hosts)
                for (const [key, entry] of loaded.state.outbox)
                    if (entry.publisher === publisher.name)
                        entries.push({ host, loaded, key, incident: entry.incident });
            if (entries.length === 0) continue;
            entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
            let accepted = entries;
            try {
                await publisher.publish(entries.map((e) => e.incident));
            } catch (error) {
                // A delivery error names the versions that did not arrive (an upload is sent in chunks and some may
                // have landed): only those stay pending, so the landed rows are not uploaded a second time.
                const failed =
                    error instanceof IncidentDeliveryError
                        ? new Set(error.failed.map((ref) => `${ref.id}\u0000${ref.version}`))
                        : undefined;
                accepted = failed
                    ? entries.filter((e) => !failed.has(`${e.incident.id}\u0000${e.incident.version}`))
                    : [];
                outcome.deliveryFailures.push({
                    publisher: publisher.name,
                    incidents: entries.length - accepted.length,
                    error: describe(error),
                });
                if (accepted.length === 0) continue;
            }
            outcome.delivered += accepted.length;
            const byHost = new Map<string, { loaded: LoadedHostState; keys: string[] }>();
            for (const e of accepted) {
                const group = byHost.get(e.host) ?? { loaded: e.loaded, keys: [] };
                group.keys.push(e.key);
                byHost.set(e.host, group);
            }
            for (const [host, { loaded, keys }] of byHost) {
                try {
                    await this.options.store.save(host, loaded, new Set(), new Set(keys));
                    for (const key of keys) loaded.state.outbox.delete(key);
                } catch (error) {
                    // Delivered but not cleared: the entry is delivered again later, which the publisher ignores.
                    this.forget(host);
                    outcome.deliveryFailures.push({
                        publisher: publisher.name,
                        incidents: keys.length,
                        error: `delivered, but clearing the outbox failed (${describe(error)})`,
                    });
                }
            }
        }
        for (const { loaded } of hosts) outcome.pending += this.pendingFor(loaded.state);
    }

    /** Outbox entries of configured publishers. */
    private pendingFor(state: HostState): number {
        let pending = 0;
        for (const entry of state.outbox.values()) if (this.publisherNames.has(entry.publisher)) pending++;
        return pending;
    }

    /**
     * The maintenance pass (the expiry timer's job): visits the hosts that are due (`HostMeta.dueAt`), delivers their
     * pending outbox entries, removes expired state, and removes a host whose state is then empty together with its
     * meta record. Bounded by `maxHosts` and `shouldStop`; resumable, because a visited host is no longer due, so
     * the next call starts with the hosts still waiting. Works on the cached state when this correlator holds the
     * host (a conflict on save re-reads, as for batches).
     */
    async expire(now: Date, options: ExpiryOptions = {}): Promise<ExpiryOutcome> {
        const maxHosts = options.maxHosts ?? 1_000;
        const outcome: ExpiryOutcome = {
            hosts: 0,
            removed: 0,
            hostsRemoved: 0,
            skipped: 0,
            transactions: 0,
            delivered: 0,
            pending: 0,
            deliveryFailures: [],
            complete: false,
        };
        let after: string | undefined;
        for (;;) {
            if (outcome.hosts >= maxHosts || options.shouldStop?.() === true) return outcome;
            const page = await this.options.store.listDueHosts(
                now,
                Math.min(DUE_HOSTS_PAGE, maxHosts - outcome.hosts),
                after,
            );
            if (page.length === 0) {
                outcome.complete = true;
                return outcome;
            }
            for (const host of page) {
                if (outcome.hosts >= maxHosts || options.shouldStop?.() === true) return outcome;
                after = host;
                outcome.hosts++;
                await this.maintainHost(host, now, outcome);
            }
        }
    }

    private async maintainHost(host: string, now: Date, outcome: ExpiryOutcome): Promise<void> {
        const nowMs = now.getTime();
        for (let attempt = 0; ; attempt++) {
            const loaded = await this.loaded(host);
            try {
                if (this.pendingFor(loaded.state) > 0) await this.deliver([{ host, loaded }], outcome);
                const { removed, changed } = expireState(loaded.state, nowMs, this.options.config);
                if (isEmptyHostState(loaded.state)) {
                    // Everything else first, the meta record last: a host never keeps records without its meta record
                    // (which is what lists it as due).
                    if (removed.size > 0)
                        outcome.transactions += (
                            await this.options.store.save(host, loaded, new Set(), removed)
                        ).transactions;
                    if (loaded.etags.has(stateKey.meta)) {
                        const stats = await this.options.store.save(host, loaded, new Set(), new Set([stateKey.meta]));
                        outcome.transactions += stats.transactions;
                        outcome.removed++;
                    }
                    this.forget(host);
                    outcome.hostsRemoved++;
                } else {
                    let dueAt = nextExpiryMs(loaded.state, this.options.config) ?? Infinity;
                    if (this.pendingFor(loaded.state) > 0) dueAt = Math.min(dueAt, nowMs + this.outboxRetryMs);
                    loaded.state.meta = {
                        saves: loaded.state.meta.saves + 1,
                        updatedAt: nowMs,
                        ...(Number.isFinite(dueAt) && { dueAt }),
                    };
                    const stats = await this.options.store.save(
                        host,
                        loaded,
                        new Set([stateKey.meta, ...changed]),
                        removed,
                    );
                    outcome.transactions += stats.transactions;
                    this.remember(host, loaded);
                }
                outcome.removed += removed.size;
                return;
            } catch (error) {
                this.forget(host);
                if (!(error instanceof ConcurrencyConflictError)) throw error;
                if (attempt >= this.maxConflictRetries) {
                    outcome.skipped++;
                    return;
                }
            }
        }
    }

    private async loaded(host: string): Promise<LoadedHostState> {
        const cached = this.cache.get(host);
        if (cached) return cached.loaded;
        return this.options.store.load(host);
    }

    /** Caches a host's state as the most recently used, then drops the least recently used beyond either bound. */
    private remember(host: string, loaded: LoadedHostState): void {
        this.forget(host);
        const records = recordCount(loaded);
        this.cache.set(host, { loaded, records });
        this.cachedRecords += records;
        while (
            this.cache.size > this.maxCachedHosts ||
            (this.cachedRecords > this.maxCachedRecords && this.cache.size > 1)
        ) {
            const oldest = this.cache.keys().next().value;
            if (oldest === undefined || oldest === host) break;
            this.forget(oldest);
        }
    }

    private forget(host: string): void {
        const cached = this.cache.get(host);
        if (cached === undefined) return;
        this.cache.delete(host);
        this.cachedRecords -= cached.records;
    }
}
