/** The Logs Ingestion stand-in (./logsIngestionStandIn) with one DCR declaring hollowtrace's incident stream and its columns. */
import { INCIDENT_ROW_COLUMNS, INCIDENT_STREAM } from '../../shared/delivery/incidentRow';
import { startLogsIngestionStandIn } from './logsIngestionStandIn';
import type { LogsIngestionStandIn } from './logsIngestionStandIn';

export function startIncidentStreamStandIn(dcrImmutableId: string): Promise<LogsIngestionStandIn> {
    return startLogsIngestionStandIn({
        dcrImmutableId,
        streams: { [INCIDENT_STREAM]: INCIDENT_ROW_COLUMNS.map((c) => c.name) },
    });
}
