/**
 * The KQL queries shipped in deploy/monitoring parse and analyze without errors against the Application Insights
 * tables they read, and name only metrics and log records the app emits; each is queried by at least one query.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COUNTERS, EVENTS, HISTOGRAMS } from '../../../shared/ports/telemetry';
import { APPLICATION_INSIGHTS_TABLES, analyzeKql, describeDiagnostics } from '../../support/kqlChecker';

/** Error diagnostics of `query` against the Application Insights tables. */
function kqlErrors(query: string): string[] {
    const errors = analyzeKql(query, APPLICATION_INSIGHTS_TABLES).diagnostics.filter((d) => d.severity === 'Error');
    return describeDiagnostics(query, errors);
}

const DIRECTORY = join(__dirname, '../../../deploy/monitoring');

const EMITTED = new Set<string>([
    ...[...Object.values(COUNTERS), ...Object.values(HISTOGRAMS)].map((m) => m.name),
    ...Object.values(EVENTS),
]);
const queries = readdirSync(DIRECTORY)
    .filter((file) => file.endsWith('.kql'))
    .map((file) => ({ file, text: readFileSync(join(DIRECTORY, file), 'utf8') }));

describe('deploy/monitoring KQL', () => {
    it('ships queries', () => {
        expect(queries.length).toBeGreaterThanOrEqual(5);
    });

    it.each(queries)('$file has no errors against the declared tables', ({ text }) => {
        expect(kqlErrors(text)).toStrictEqual([]);
    });

    it.each(queries)('$file names only metrics and log records the app emits', ({ text }) => {
        const named = [...text.matchAll(/'(hollowtrace\.[a-z_.]+)'/g)].map((m) => m[1]!);
        expect(named.length).toBeGreaterThan(0);
        expect(named.filter((name) => !EMITTED.has(name))).toStrictEqual([]);
    });

    it('queries every metric and log record the app emits', () => {
        const all = queries.map((q) => q.text).join('\n');
        expect([...EMITTED].filter((name) => !all.includes(`'${name}'`))).toStrictEqual([]);
    });

    it('the checker reports an unknown column and an unknown table (so a passing query means something)', () => {
        expect(kqlErrors("customMetrics | where metricName == 'x'")).toEqual([expect.stringContaining('KS142')]);
        expect(kqlErrors('customMetric | take 1').length).toBeGreaterThan(0);
    });
});
