/**
 * @module Adapts workspace enrichment (shared/enrich) to the API's `IncidentEnricher`: maps an incident to the
 * enrichment input and an enrichment to the lines of the playbook comment, and runs the incidents of one playbook
 * call concurrently under one time budget, so the answer comes well within what its caller waits (an HTTP-triggered
 * function has 230 s: learn.microsoft.com "Azure Functions HTTP trigger", Limits; see docs/operations.md).
 */
import type { Incident } from '../correlate/incident';
import { enrichIncident } from '../enrich/enrichment';
import type { Enrichment } from '../enrich/enrichment';
import type { WorkspaceQuery } from '../ports/workspaceQuery';
import type { EnrichmentSummary } from './comment';
import type { IncidentEnricher } from '../ports/incidentEnricher';
import { mapConcurrently } from './boundedConcurrency';
import type { Telemetry } from '../ports/telemetry';
import { NO_TELEMETRY } from '../ports/telemetry';

/** One playbook call's enrichment: at most `totalMs` for all its incidents, `concurrency` incidents at a time. */
export interface EnrichmentBudget {
    totalMs: number;
    concurrency: number;
}

/** Matches HOLLOWTRACE_ENRICHMENT_BUDGET_MS and HOLLOWTRACE_ENRICHMENT_CONCURRENCY's defaults (shared/config). */
export const DEFAULT_ENRICHMENT_BUDGET: EnrichmentBudget = { totalMs: 30_000, concurrency: 5 };

export class WorkspaceIncidentEnricher implements IncidentEnricher {
    /**
     * @param port undefined = no workspace configured: every enrichment says so instead of failing.
     * @param timeoutMs the most one incident's queries may take.
     * @param clock milliseconds from a monotonic clock (tests pass a fake one).
     * @param telemetry records each incident's query time by enrichment status.
     */
    constructor(
        private readonly port: WorkspaceQuery | undefined,
        private readonly timeoutMs: number,
        private readonly budget: EnrichmentBudget = DEFAULT_ENRICHMENT_BUDGET,
        private readonly clock: () => number = () => performance.now(),
        private readonly telemetry: Telemetry = NO_TELEMETRY,
    ) {}

    enrichAll(incidents: readonly Incident[], now: Date): Promise<Enrichment[]> {
        const started = this.clock();
        return mapConcurrently(incidents, this.budget.concurrency, (incident) => {
            const remaining = this.budget.totalMs - (this.clock() - started);
            if (remaining < 1) {
                return Promise.resolve({
                    status: 'unavailable' as const,
                    reason: `the enrichment budget of ${this.budget.totalMs} ms for this request ran out before this incident's turn`,
                    retrievedAt: now.toISOString(),
                });
            }
            return this.enrich(incident, now, Math.min(this.timeoutMs, remaining));
        });
    }

    private async enrich(incident: Incident, now: Date, timeoutMs: number): Promise<Enrichment> {
        const started = this.clock();
        const enrichment = await enrichIncident(
            {
                host: incident.host,
                targetProcessGuid: incident.target.processGuid,
                firstSeen: incident.firstSeen,
                lastSeen: incident.lastSeen,
                ...(incident.injector.image !== undefined && { injectorImage: incident.injector.image }),
                ...(incident.target.image !== undefined && { targetImage: incident.target.image }),
            },
            this.port,
            { timeoutMs, now },
        );
        this.telemetry.observe('enrichmentDuration', this.clock() - started, { status: enrichment.status });
        return enrichment;
    }

    summarize(value: unknown): EnrichmentSummary {
        const enrichment = value as Enrichment;
        const lines: string[] = [];
        if (enrichment.pairRarity)
            lines.push(
                `injector -> target image pair seen ${enrichment.pairRarity.occurrences} times on ${enrichment.pairRarity.hosts} hosts in 30 days`,
            );
        if (enrichment.hashRarity)
            lines.push(
                `injector hash seen ${enrichment.hashRarity.occurrences} times on ${enrichment.hashRarity.hosts} hosts in 30 days`,
            );
        if (enrichment.alertsOnHost)
            lines.push(
                `${enrichment.alertsOnHost.count} other alerts on the host within 24 hours${enrichment.alertsOnHost.names.length > 0 ? `: ${enrichment.alertsOnHost.names.join(', ')}` : ''}`,
            );
        if (enrichment.targetConnections)
            lines.push(
                `target made ${enrichment.targetConnections.count} network connections after the chain${enrichment.targetConnections.destinations.length > 0 ? ` (${enrichment.targetConnections.destinations.join(', ')})` : ''}`,
            );
        if (enrichment.reason) lines.push(`not available: ${enrichment.reason}`);
        return { status: enrichment.status, lines };
    }
}
