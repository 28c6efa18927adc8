/**
 * @module The metrics port on an OpenTelemetry `Meter`. With `useAzureMonitor` registered (functions/composition, only
 * when APPLICATIONINSIGHTS_CONNECTION_STRING is set) the instruments land in Application Insights `customMetrics`,
 * name = instrument name, attributes = `customDimensions` (docs/telemetry.md). Tests pass a Meter of their own.
 */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { COUNTERS, HISTOGRAMS } from '../ports/telemetry';
import type { CounterName, HistogramName, Telemetry, TelemetryAttributes } from '../ports/telemetry';

export class OpenTelemetryTelemetry implements Telemetry {
    private readonly counters = new Map<CounterName, Counter>();
    private readonly histograms = new Map<HistogramName, Histogram>();

    constructor(private readonly meter: Meter) {}

    count(counter: CounterName, value: number, attributes: TelemetryAttributes = {}): void {
        if (value <= 0) return;
        let instrument = this.counters.get(counter);
        if (!instrument) {
            const { name, unit, description } = COUNTERS[counter];
            instrument = this.meter.createCounter(name, { unit, description });
            this.counters.set(counter, instrument);
        }
        instrument.add(value, attributes);
    }

    observe(histogram: HistogramName, value: number, attributes: TelemetryAttributes = {}): void {
        let instrument = this.histograms.get(histogram);
        if (!instrument) {
            const { name, unit, description } = HISTOGRAMS[histogram];
            instrument = this.meter.createHistogram(name, { unit, description });
            this.histograms.set(histogram, instrument);
        }
        instrument.record(value, attributes);
    }
}
