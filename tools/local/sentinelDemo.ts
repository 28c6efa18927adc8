/**
 * The Sentinel half of `npm run demo`: incident versions are uploaded by the real publisher (LogsIngestionClient) to
 * the local HTTPS stand-in of the Logs Ingestion API, and each is printed with the row that was uploaded and the
 * alert the deployed NRT rule would raise for it (display name, severity, entities), read from the rule in
 * deploy/azuredeploy.json.
 */
import { createSentinelIncidentPublisher } from '../../shared/clients/SentinelIncidentPublisher';
import type { SentinelIncidentPublisher } from '../../shared/clients/SentinelIncidentPublisher';
import type { Incident } from '../../shared/correlate/incident';
import { INCIDENT_STREAM, INCIDENT_TABLE } from '../../shared/delivery/incidentRow';
import { loadAnalyticsRule, previewAlert } from '../deploy/sentinelAlertPreview';
import type { AlertPreview } from '../deploy/sentinelAlertPreview';
import { hasOpenssl, standInCredential } from './logsIngestionStandIn';
import { startIncidentStreamStandIn } from './incidentStreamStandIn';
import type { LogsIngestionStandIn } from './logsIngestionStandIn';

/** A DCR immutable id for the stand-in (the shape Azure gives them: `dcr-` and 32 hex digits). */
export const DEMO_DCR_IMMUTABLE_ID = 'dcr-0123456789abcdef0123456789abcdef';

export interface SentinelDemo {
    standIn: LogsIngestionStandIn;
    publisher: SentinelIncidentPublisher;
    close(): Promise<void>;
}

/** Undefined (with the reason printed) when openssl is missing: the stand-in needs a certificate. */
export async function startSentinelDemo(out: (text: string) => void): Promise<SentinelDemo | undefined> {
    if (!hasOpenssl()) {
        out(
            '\nSentinel delivery preview skipped: openssl is not on PATH (the ingestion stand-in needs a certificate).\n',
        );
        return undefined;
    }
    const standIn = await startIncidentStreamStandIn(DEMO_DCR_IMMUTABLE_ID);
    const publisher = createSentinelIncidentPublisher(
        { endpoint: standIn.endpoint, dcrImmutableId: DEMO_DCR_IMMUTABLE_ID, streamName: INCIDENT_STREAM },
        standInCredential(),
        { tlsCa: standIn.ca },
    );
    return { standIn, publisher, close: () => standIn.close() };
}

function entities(alert: AlertPreview): string {
    return alert.entities
        .map(
            (e) =>
                `${e.entityType}(${Object.entries(e.identifiers)
                    .map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 57)}...` : v}`)
                    .join(', ')})`,
        )
        .join('\n               ');
}

/** The lines printed under an incident: its uploaded row and the alert Sentinel would raise. */
export function describeDelivery(incident: Incident, rows: readonly Record<string, unknown>[]): string {
    const row = [...rows].reverse().find((r) => r.IncidentId === incident.id && r.Version === incident.version);
    if (!row) return `           row    not uploaded (version ${incident.version})\n`;
    const alert = previewAlert(loadAnalyticsRule(), row);
    const signals = (row.Signals as unknown[]).length;
    return (
        `           row    ${INCIDENT_TABLE}: IncidentId=${String(row.IncidentId)} Version=${String(row.Version)} Score=${String(row.Score)} Severity=${String(row.Severity)} Technique=${String(row.Technique)} Signals=${signals} Tags=${JSON.stringify(row.Tags)}\n` +
        `           alert  "${alert.displayName}" (${alert.severity}; ${alert.tactics.join(', ')})\n` +
        `               ${entities(alert)}\n`
    );
}
