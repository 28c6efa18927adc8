/** The OpenTelemetry implementation on the real SDK, read back through its in-memory exporter (no network). */
import { expect } from 'vitest';
import {
    AggregationTemporality,
    DataPointType,
    InMemoryMetricExporter,
    MeterProvider,
    PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OpenTelemetryTelemetry } from '../../shared/clients/OpenTelemetryTelemetry';
import { describeTelemetryContract } from '../contracts/telemetryContract';
import type { EmittedEvent, Series } from '../contracts/telemetryContract';

describeTelemetryContract('OpenTelemetryTelemetry', () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // The interval never elapses in a test: forceFlush collects.
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const logExporter = new InMemoryLogRecordExporter();
    // A provider of our own, never the global one: the simple processor exports each record as it is emitted.
    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(logExporter)] });
    return {
        telemetry: new OpenTelemetryTelemetry(
            provider.getMeter('hollowtrace'),
            loggerProvider.getLogger('hollowtrace'),
        ),
        readEvents: async () => {
            await loggerProvider.forceFlush();
            const events = logExporter.getFinishedLogRecords().map(
                (r): EmittedEvent => ({
                    name: r.eventName ?? '',
                    severity: r.severityText as EmittedEvent['severity'],
                    attributes: { ...r.attributes } as EmittedEvent['attributes'],
                }),
            );
            expect(logExporter.getFinishedLogRecords().every((r) => r.body === r.eventName)).toBe(true);
            await loggerProvider.shutdown();
            return events;
        },
        read: async () => {
            await reader.forceFlush();
            const series: Series[] = [];
            for (const resource of exporter.getMetrics())
                for (const scope of resource.scopeMetrics)
                    for (const metric of scope.metrics)
                        for (const point of metric.dataPoints) {
                            const attributes = Object.fromEntries(
                                Object.entries(point.attributes).map(([k, v]) => [k, String(v)]),
                            );
                            const value = point.value;
                            series.push(
                                metric.dataPointType === DataPointType.HISTOGRAM && typeof value === 'object'
                                    ? {
                                          name: metric.descriptor.name,
                                          attributes,
                                          count: value.count,
                                          sum: value.sum ?? 0,
                                      }
                                    : { name: metric.descriptor.name, attributes, sum: value as number },
                            );
                        }
            await provider.shutdown();
            return series;
        },
    };
});
