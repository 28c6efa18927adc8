/** The OpenTelemetry implementation on the real SDK, read back through its in-memory exporter (no network). */
import { expect } from 'vitest';
import { describeTelemetryContract } from '../contracts/telemetryContract';
import type { EmittedEvent, Series } from '../contracts/telemetryContract';
import { recordingTelemetry } from '../support/recordingTelemetry';

describeTelemetryContract('OpenTelemetryTelemetry', () => {
    const recording = recordingTelemetry();
    return {
        telemetry: recording.telemetry,
        readEvents: async () => {
            const records = await recording.logRecords();
            expect(records.every((r) => r.body === r.eventName)).toBe(true);
            return records.map(
                (r): EmittedEvent => ({
                    name: r.eventName ?? '',
                    severity: r.severityText as EmittedEvent['severity'],
                    attributes: { ...r.attributes } as EmittedEvent['attributes'],
                }),
            );
        },
        read: async () => {
            const series = (await recording.points()).map(({ name, attributes, value }): Series => {
                const strings = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, String(v)]));
                return typeof value === 'object'
                    ? { name, attributes: strings, count: value.count, sum: value.sum }
                    : { name, attributes: strings, sum: value };
            });
            await recording.shutdown();
            return series;
        },
    };
});
