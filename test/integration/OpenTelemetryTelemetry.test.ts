/** The OpenTelemetry implementation on the real SDK, read back through its in-memory exporter (no network). */
import {
    AggregationTemporality,
    DataPointType,
    InMemoryMetricExporter,
    MeterProvider,
    PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { OpenTelemetryTelemetry } from '../../shared/clients/OpenTelemetryTelemetry';
import { describeTelemetryContract } from '../contracts/telemetryContract';
import type { Series } from '../contracts/telemetryContract';

describeTelemetryContract('OpenTelemetryTelemetry', () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // The interval never elapses in a test: forceFlush collects.
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    return {
        telemetry: new OpenTelemetryTelemetry(provider.getMeter('hollowtrace')),
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
