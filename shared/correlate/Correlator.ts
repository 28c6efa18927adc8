/**
 * @module Stage 2 use case: groups a batch by host, applies it to each host's state with optimistic concurrency, and
 * publishes new and updated incidents. Host state is cached between batches (the correlator owns its hosts: stage 1
 * forwards with partition key = host); a conflict on save drops the cache, re-reads and re-applies, a bounded number
 * of times. Re-applying is safe because the reducer is idempotent by event identity.
 */
import { ConcurrencyConflictError } from '../errors';
import { groupByHost } from '../ingest/groupByHost';
import type { SysmonEvent } from '../sysmon/types';
import type { CorrelationConfig } from './config';
import { toIncident } from './incident';
import type { Incident } from './incident';
import type { IncidentStore } from '../ports/incidentStore';
import { applyEvents, expireState } from './reducer';
import { stateKey } from './state';
import type { HostStateStore, LoadedHostState } from '../ports/hostStateStore';

export interface CorrelatorOptions {
    config: CorrelationConfig;
    store: HostStateStore;
    incidents: IncidentStore;
    /** Re-read-and-reapply attempts after an ETag conflict before giving up (the batch is then retried whole). */
    maxConflictRetries?: number;
    /** Hosts kept in the cache; the least recently used is dropped beyond it. */
    maxCachedHosts?: number;
    /**
     * State records (processes, image files, chains) kept in the cache over all hosts; least recently used hosts are
     * dropped beyond it, so memory follows this figure rather than fleet size (a busy host holds thousands of
     * records for the retention window: `npm run bench:replay` shows about 20 MB per simulated host-hour).
     */
    maxCachedRecords?: number;
}

export interface CorrelationOutcome {
    incidents: Incident[];
    hosts: number;
    conflicts: number;
    transactions: number;
}

/** Bumps the host meta record and puts it first, so it lands in the first (or only) transaction of the save. */
function withMeta(loaded: LoadedHostState, changed: ReadonlySet<string>, now: Date): Set<string> {
    loaded.state.meta = { saves: loaded.state.meta.saves + 1, updatedAt: now.getTime() };
    return new Set([stateKey.meta, ...changed]);
}

/** Records of a host's state, the unit the cache is bounded in. */
function recordCount(loaded: LoadedHostState): number {
    return loaded.state.processes.size + loaded.state.files.size + loaded.state.chains.size;
}

export class Correlator {
    /** Least recently used first; with each host, its record count when it was last remembered. */
    private readonly cache = new Map<string, { loaded: LoadedHostState; records: number }>();
    private cachedRecords = 0;
    private readonly maxConflictRetries: number;
    private readonly maxCachedHosts: number;
    private readonly maxCachedRecords: number;

    constructor(private readonly options: CorrelatorOptions) {
        this.maxConflictRetries = options.maxConflictRetries ?? 3;
        this.maxCachedHosts = options.maxCachedHosts ?? 5_000;
        this.maxCachedRecords = options.maxCachedRecords ?? 200_000;
    }

    /**
     * Correlates one batch. Throws `StorageUnavailableError` when storage fails and `ConcurrencyConflictError` when
     * conflicts outlast the retries, so the trigger's retry policy re-runs the batch.
     */
    async process(events: readonly SysmonEvent[], now: Date): Promise<CorrelationOutcome> {
        const outcome: CorrelationOutcome = { incidents: [], hosts: 0, conflicts: 0, transactions: 0 };
        for (const [host, hostEvents] of groupByHost(events)) {
            outcome.hosts++;
            await this.processHost(host, hostEvents, now, outcome);
        }
        if (outcome.incidents.length > 0) await this.options.incidents.upsert(outcome.incidents);
        return outcome;
    }

    private async processHost(
        host: string,
        events: readonly SysmonEvent[],
        now: Date,
        outcome: CorrelationOutcome,
    ): Promise<void> {
        for (let attempt = 0; ; attempt++) {
            const loaded = await this.loaded(host);
            try {
                const result = applyEvents(loaded.state, events, now.getTime(), this.options.config);
                if (result.changed.size === 0) {
                    this.remember(host, loaded);
                    return;
                }
                const stats = await this.options.store.save(
                    host,
                    loaded,
                    withMeta(loaded, result.changed, now),
                    new Set(),
                );
                outcome.transactions += stats.transactions;
                this.remember(host, loaded);
                outcome.incidents.push(...result.incidents.map(toIncident));
                return;
            } catch (error) {
                this.forget(host); // the cached state may hold changes that were not saved
                if (!(error instanceof ConcurrencyConflictError) || attempt >= this.maxConflictRetries) throw error;
                outcome.conflicts++;
            }
        }
    }

    /**
     * Removes expired state of every host the store knows (the expiry timer's job). Works on the cached state when
     * this correlator holds the host (a conflict on save re-reads, as for batches). Returns the records removed.
     */
    async expire(now: Date): Promise<number> {
        let removedTotal = 0;
        for (const host of await this.options.store.listHosts()) {
            for (let attempt = 0; ; attempt++) {
                const loaded = await this.loaded(host);
                const removed = expireState(loaded.state, now.getTime(), this.options.config);
                try {
                    if (removed.size > 0)
                        await this.options.store.save(host, loaded, withMeta(loaded, new Set(), now), removed);
                    this.remember(host, loaded);
                    removedTotal += removed.size;
                    break;
                } catch (error) {
                    this.forget(host);
                    if (!(error instanceof ConcurrencyConflictError) || attempt >= this.maxConflictRetries) throw error;
                }
            }
        }
        return removedTotal;
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
