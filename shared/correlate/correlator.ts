/**
 * @module Stage 2 use case: groups a batch by host, applies it to each host's state with optimistic concurrency, and
 * publishes new and updated incidents. Host state is cached between batches (the correlator owns its hosts: stage 1
 * forwards with partition key = host); a conflict on save drops the cache, re-reads and re-applies, a bounded number
 * of times. Re-applying is safe because the reducer is idempotent by event identity.
 */
import { ConcurrencyConflictError } from '../errors';
import { groupByHost } from '../ingest/forwarder';
import type { SysmonEvent } from '../sysmon/types';
import type { CorrelationConfig } from './config';
import { toIncident } from './incident';
import type { Incident } from './incident';
import type { IncidentStore } from './incidentStore';
import { applyEvents, expireState } from './reducer';
import { stateKey } from './state';
import type { HostStateStore, LoadedHostState } from './stateStore';

export interface CorrelatorOptions {
    config: CorrelationConfig;
    store: HostStateStore;
    incidents: IncidentStore;
    /** Re-read-and-reapply attempts after an ETag conflict before giving up (the batch is then retried whole). */
    maxConflictRetries?: number;
    /** Hosts kept in the cache; the least recently used is dropped beyond it. */
    maxCachedHosts?: number;
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

export class Correlator {
    private readonly cache = new Map<string, LoadedHostState>();
    private readonly maxConflictRetries: number;
    private readonly maxCachedHosts: number;

    constructor(private readonly options: CorrelatorOptions) {
        this.maxConflictRetries = options.maxConflictRetries ?? 3;
        this.maxCachedHosts = options.maxCachedHosts ?? 5_000;
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

    private async processHost(host: string, events: readonly SysmonEvent[], now: Date, outcome: CorrelationOutcome): Promise<void> {
        for (let attempt = 0; ; attempt++) {
            const loaded = await this.loaded(host);
            try {
                const result = applyEvents(loaded.state, events, now.getTime(), this.options.config);
                if (result.changed.size === 0) {
                    this.remember(host, loaded);
                    return;
                }
                const stats = await this.options.store.save(host, loaded, withMeta(loaded, result.changed, now), new Set());
                outcome.transactions += stats.transactions;
                this.remember(host, loaded);
                outcome.incidents.push(...result.incidents.map(toIncident));
                return;
            } catch (error) {
                this.cache.delete(host); // the cached state may hold changes that were not saved
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
                    if (removed.size > 0) await this.options.store.save(host, loaded, withMeta(loaded, new Set(), now), removed);
                    this.remember(host, loaded);
                    removedTotal += removed.size;
                    break;
                } catch (error) {
                    this.cache.delete(host);
                    if (!(error instanceof ConcurrencyConflictError) || attempt >= this.maxConflictRetries) throw error;
                }
            }
        }
        return removedTotal;
    }

    private async loaded(host: string): Promise<LoadedHostState> {
        const cached = this.cache.get(host);
        if (cached) return cached;
        return this.options.store.load(host);
    }

    private remember(host: string, loaded: LoadedHostState): void {
        this.cache.delete(host);
        this.cache.set(host, loaded);
        if (this.cache.size > this.maxCachedHosts) {
            const oldest = this.cache.keys().next().value;
            if (oldest !== undefined) this.cache.delete(oldest);
        }
    }
}
