/**
 * @module Adapts workspace enrichment (shared/enrich) to the API's `IncidentEnricher`: maps an incident to the
 * enrichment input and an enrichment to the lines of the playbook comment.
 */
import type { Incident } from '../correlate/incident';
import { enrichIncident } from '../enrich/enrichment';
import type { Enrichment } from '../enrich/enrichment';
import type { WorkspaceQuery } from '../ports/workspaceQuery';
import type { EnrichmentSummary } from './comment';
import type { IncidentEnricher } from '../ports/incidentEnricher';

export class WorkspaceIncidentEnricher implements IncidentEnricher {
    /** `port` undefined = no workspace configured: every enrichment says so instead of failing. */
    constructor(
        private readonly port: WorkspaceQuery | undefined,
        private readonly timeoutMs: number,
    ) {}

    enrich(incident: Incident, now: Date): Promise<Enrichment> {
        return enrichIncident(
            {
                host: incident.host,
                targetProcessGuid: incident.target.processGuid,
                firstSeen: incident.firstSeen,
                lastSeen: incident.lastSeen,
                ...(incident.injector.image !== undefined && { injectorImage: incident.injector.image }),
                ...(incident.target.image !== undefined && { targetImage: incident.target.image }),
            },
            this.port,
            { timeoutMs: this.timeoutMs, now },
        );
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
