/**
 * The real OpenTelemetry SDK recording into its in-memory exporters, for tests of `OpenTelemetryTelemetry`: providers of
 * our own (never the global ones) and no network.
 */
import type { Attributes } from '@opentelemetry/api';
import {
    AggregationTemporality,
    DataPointType,
    InMemoryMetricExporter,
    MeterProvider,
    PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OpenTelemetryTelemetry } from '../../shared/clients/OpenTelemetryTelemetry';

/** One exported data point: a counter's sum, or a histogram's count, sum (NaN if the SDK kept none), min and max. */
export interface RecordedPoint {
    name: string;
    attributes: Attributes;
    value: number | { count: number; sum: number; min: number | undefined; max: number | undefined };
}

export interface RecordingTelemetry {
    telemetry: OpenTelemetryTelemetry;
    /** Every data point collected so far. */
    points: () => Promise<RecordedPoint[]>;
    /** Every log record emitted so far, as the SDK exported it. */
    logRecords: () => Promise<ReadableLogRecord[]>;
    shutdown: () => Promise<void>;
}

export function recordingTelemetry(): RecordingTelemetry {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // The interval never elapses in a test: forceFlush collects.
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const logExporter = new InMemoryLogRecordExporter();
    // The simple processor exports each record as it is emitted.
    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(logExporter)] });
    return {
        telemetry: new OpenTelemetryTelemetry(
            provider.getMeter('hollowtrace'),
            loggerProvider.getLogger('hollowtrace'),
        ),
        points: async () => {
            await reader.forceFlush();
            const points: RecordedPoint[] = [];
            for (const resourceMetrics of exporter.getMetrics())
                for (const scope of resourceMetrics.scopeMetrics)
                    for (const metric of scope.metrics)
                        for (const point of metric.dataPoints) {
                            const value = point.value;
                            points.push({
                                name: metric.descriptor.name,
                                attributes: { ...point.attributes },
                                value:
                                    metric.dataPointType === DataPointType.HISTOGRAM && typeof value === 'object'
                                        ? {
                                              count: value.count,
                                              sum: value.sum ?? Number.NaN,
                                              min: value.min,
                                              max: value.max,
                                          }
                                        : (value as number),
                            });
                        }
            return points;
        },
        logRecords: async () => {
            await loggerProvider.forceFlush();
            return [...logExporter.getFinishedLogRecords()];
        },
        shutdown: async () => {
            await Promise.all([provider.shutdown(), loggerProvider.shutdown()]);
        },
    };
}
