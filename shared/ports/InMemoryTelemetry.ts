/** Keeps every recording in order, for tests that assert what was counted and timed. */
import type {
    CounterName,
    EventAttributes,
    EventName,
    EventSeverity,
    HistogramName,
    Telemetry,
    TelemetryAttributes,
} from './telemetry';

export interface EventRecord {
    name: EventName;
    severity: EventSeverity;
    attributes: EventAttributes;
}

export interface Recording {
    kind: 'counter' | 'histogram';
    name: CounterName | HistogramName;
    value: number;
    attributes: TelemetryAttributes;
}

function matches(attributes: TelemetryAttributes, wanted: TelemetryAttributes): boolean {
    return Object.entries(wanted).every(([key, value]) => attributes[key] === value);
}

export class InMemoryTelemetry implements Telemetry {
    readonly recordings: Recording[] = [];
    readonly events: EventRecord[] = [];

    count(counter: CounterName, value: number, attributes: TelemetryAttributes = {}): void {
        if (value > 0) this.recordings.push({ kind: 'counter', name: counter, value, attributes });
    }

    observe(histogram: HistogramName, value: number, attributes: TelemetryAttributes = {}): void {
        this.recordings.push({ kind: 'histogram', name: histogram, value, attributes });
    }

    event(name: EventName, severity: EventSeverity, attributes: EventAttributes): void {
        this.events.push({ name, severity, attributes });
    }

    /** Sum of a counter over the recordings whose attributes include `wanted`. */
    total(counter: CounterName, wanted: TelemetryAttributes = {}): number {
        return this.recordings
            .filter((r) => r.kind === 'counter' && r.name === counter && matches(r.attributes, wanted))
            .reduce((sum, r) => sum + r.value, 0);
    }

    /** Values recorded in a histogram whose attributes include `wanted`. */
    values(histogram: HistogramName, wanted: TelemetryAttributes = {}): number[] {
        return this.recordings
            .filter((r) => r.kind === 'histogram' && r.name === histogram && matches(r.attributes, wanted))
            .map((r) => r.value);
    }
}
