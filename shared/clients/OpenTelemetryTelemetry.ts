/**
 * @module The telemetry port on an OpenTelemetry `Meter` and `Logger`. With `useAzureMonitor` registered
 * (functions/composition, only when APPLICATIONINSIGHTS_CONNECTION_STRING is set) the instruments land in Application
 * Insights `customMetrics` and the log records in `traces`, attributes as `customDimensions` (docs/telemetry.md).
 * Tests pass a Meter and a Logger of their own.
 */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { Logger } from '@opentelemetry/api-logs';
import { COUNTERS, EVENTS, HISTOGRAMS } from '../ports/telemetry';
import type {
    CounterName,
    EventAttributes,
    EventName,
    EventSeverity,
    HistogramName,
    Telemetry,
    TelemetryAttributes,
} from '../ports/telemetry';

const SEVERITY: Record<EventSeverity, { number: SeverityNumber; text: string }> = {
    info: { number: SeverityNumber.INFO, text: 'INFO' },
    warn: { number: SeverityNumber.WARN, text: 'WARN' },
    error: { number: SeverityNumber.ERROR, text: 'ERROR' },
};

/** The instrument kept under `name`, created on first use (once per instrument, not per recording). */
function createdOnce<Name, Instrument>(
    instruments: Map<Name, Instrument>,
    name: Name,
    create: () => Instrument,
): Instrument {
    let instrument = instruments.get(name);
    if (instrument === undefined) {
        instrument = create();
        instruments.set(name, instrument);
    }
    return instrument;
}

export class OpenTelemetryTelemetry implements Telemetry {
    private readonly counters = new Map<CounterName, Counter>();
    private readonly histograms = new Map<HistogramName, Histogram>();

    /** Without a logger, events are dropped (metrics only). */
    constructor(
        private readonly meter: Meter,
        private readonly logger?: Logger,
    ) {}

    count(counter: CounterName, value: number, attributes: TelemetryAttributes = {}): void {
        if (value <= 0) return;
        const { name, ...options } = COUNTERS[counter];
        createdOnce(this.counters, counter, () => this.meter.createCounter(name, options)).add(value, attributes);
    }

    observe(histogram: HistogramName, value: number, attributes: TelemetryAttributes = {}): void {
        const { name, ...options } = HISTOGRAMS[histogram];
        createdOnce(this.histograms, histogram, () => this.meter.createHistogram(name, options)).record(
            value,
            attributes,
        );
    }

    event(name: EventName, severity: EventSeverity, attributes: EventAttributes): void {
        const { number, text } = SEVERITY[severity];
        // The body is the event name: it becomes the `message` of the `traces` row, the attributes its dimensions.
        this.logger?.emit({
            eventName: EVENTS[name],
            body: EVENTS[name],
            severityNumber: number,
            severityText: text,
            attributes,
        });
    }
}
