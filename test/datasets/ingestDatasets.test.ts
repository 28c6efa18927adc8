/**
 * Every real recording in ../shared/datasets parses with zero rejections, the counts by EventID equal the
 * datasets README, and each Security-Datasets `.raw.jsonl.gz` (NXLog / lab-VM shapes, with Security-channel
 * lines) yields exactly the normalized Sysmon events of its flat twin.
 */
import { describe, expect, it } from 'vitest';
import { ingestBatch } from '../../shared/ingest/ingestBatch';
import type { SysmonEvent } from '../../shared/sysmon/types';
import { DATASETS_PRESENT, DATASETS_SKIP_REASON, readDatasetSummary, readGzipLines } from '../support/datasets';

const NOW = new Date('2026-01-01T00:00:00Z');
const summary = DATASETS_PRESENT ? readDatasetSummary() : [];

function ingestFile(relativePath: string) {
    return ingestBatch(
        readGzipLines(relativePath).map((body) => ({ body })),
        NOW,
    );
}

/** Drops the wire position, which differs between two files holding the same events. */
function withoutOrigin(events: SysmonEvent[]): Omit<SysmonEvent, 'origin'>[] {
    return events.map(({ origin: _origin, ...rest }) => rest);
}

describe.skipIf(!DATASETS_PRESENT)(
    `real recordings in ../shared/datasets ${DATASETS_PRESENT ? '' : `(${DATASETS_SKIP_REASON})`}`,
    () => {
        it('the README lists all 25 recordings, 49,695 Sysmon events', () => {
            expect(summary).toHaveLength(25);
            expect(summary.reduce((sum, row) => sum + row.sysmonEvents, 0)).toBe(49_695);
        });

        it.each(summary.map((row) => [row.file, row] as const))(
            '%s: zero rejections, counts by EventID as in the README',
            (file, row) => {
                const { report } = ingestFile(file);
                expect(report.rejected).toBe(0);
                expect(report.received).toBe(report.accepted + report.ignored + report.rejected);
                expect(report.received).toBe(row.sysmonEvents);
                expect(report.sysmonByEventId).toEqual(row.countsByEventId);
                expect(report.ignoredByReason['not-sysmon'] ?? 0).toBe(0);
            },
        );

        const twins = summary.filter((row) => row.file.startsWith('security-datasets/'));
        it.each(twins.map((row) => [row.file.replace('.sysmon.jsonl.gz', '.raw.jsonl.gz'), row] as const))(
            '%s: same normalized Sysmon events as its flat twin, other channels ignored',
            (rawFile, row) => {
                const flat = ingestFile(row.file);
                const raw = ingestFile(rawFile);
                expect(raw.report.rejected).toBe(0);
                expect(raw.report.sysmonByEventId).toEqual(row.countsByEventId);
                expect(raw.report.ignoredByReason['not-sysmon']).toBe(raw.report.received - row.sysmonEvents);
                expect(withoutOrigin(raw.events)).toEqual(withoutOrigin(flat.events));
            },
        );
    },
);
