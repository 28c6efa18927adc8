import { describeTelemetryContract } from '../../contracts/telemetryContract';
import type { Series } from '../../contracts/telemetryContract';
import { InMemoryTelemetry } from '../../../shared/ports/InMemoryTelemetry';
import { COUNTERS, EVENTS, HISTOGRAMS } from '../../../shared/ports/telemetry';
import type { CounterName, EventSeverity, HistogramName } from '../../../shared/ports/telemetry';

const SEVERITY_TEXT: Record<EventSeverity, 'INFO' | 'WARN' | 'ERROR'> = { info: 'INFO', warn: 'WARN', error: 'ERROR' };

describeTelemetryContract('InMemoryTelemetry', () => {
    const telemetry = new InMemoryTelemetry();
    return {
        telemetry,
        read: () => {
            const series = new Map<string, Series>();
            for (const r of telemetry.recordings) {
                const name =
                    r.kind === 'counter'
                        ? COUNTERS[r.name as CounterName].name
                        : HISTOGRAMS[r.name as HistogramName].name;
                const key = `${name} ${JSON.stringify(r.attributes)}`;
                const entry = series.get(key) ?? {
                    name,
                    attributes: { ...r.attributes },
                    ...(r.kind === 'histogram' && { count: 0 }),
                    sum: 0,
                };
                entry.sum += r.value;
                if (entry.count !== undefined) entry.count++;
                series.set(key, entry);
            }
            return Promise.resolve([...series.values()]);
        },
        readEvents: () =>
            Promise.resolve(
                telemetry.events.map((e) => ({
                    name: EVENTS[e.name],
                    severity: SEVERITY_TEXT[e.severity],
                    attributes: { ...e.attributes },
                })),
            ),
    };
});
