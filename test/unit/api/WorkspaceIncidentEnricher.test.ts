/** One budget for all the incidents of a playbook call, measured on a fake clock (no timed assertions). */
import { describe, expect, it } from 'vitest';
import { WorkspaceIncidentEnricher } from '../../../shared/api/WorkspaceIncidentEnricher';
import type { WorkspaceQuery, WorkspaceQueryResult } from '../../../shared/ports/workspaceQuery';
import { incidentId, sampleIncident } from '../../helpers/incidents';
import { InMemoryTelemetry } from '../../../shared/ports/InMemoryTelemetry';

const NOW = new Date('2026-11-26T00:00:00Z');

/** A workspace whose every query "takes" `costMs` on the fake clock, recording the time budget it was given. */
function fakeWorkspace(clock: { now: number }, costMs: number): { port: WorkspaceQuery; budgets: number[] } {
    const budgets: number[] = [];
    const result: WorkspaceQueryResult = {
        status: 'success',
        tables: [
            { columns: ['Occurrences', 'Hosts', 'Alerts', 'AlertNames', 'Connections', 'Destinations'], rows: [] },
        ],
    };
    return {
        budgets,
        port: {
            query: (_kql, _timespan, options) => {
                budgets.push(options.timeoutMs);
                clock.now += costMs;
                return Promise.resolve(result);
            },
        },
    };
}

describe('WorkspaceIncidentEnricher.enrichAll', () => {
    it('gives each incident what is left of the one budget, and says so for those it cannot reach', async () => {
        const clock = { now: 0 };
        const { port, budgets } = fakeWorkspace(clock, 100);
        const enricher = new WorkspaceIncidentEnricher(
            port,
            20_000,
            { totalMs: 1_000, concurrency: 1 },
            () => clock.now,
        );
        const incidents = Array.from({ length: 5 }, (_, i) => sampleIncident(incidentId(i)));
        const results = await enricher.enrichAll(incidents, NOW);

        // 3 queries of 100 ms per incident: incidents start at 0, 300, 600 and 900 ms; the fifth at 1,200 ms is out.
        expect(results.map((r) => r.status)).toStrictEqual([
            'complete',
            'complete',
            'complete',
            'complete',
            'unavailable',
        ]);
        expect(results[4]!.reason).toBe(
            "the enrichment budget of 1000 ms for this request ran out before this incident's turn",
        );
        expect(budgets).toStrictEqual([1000, 1000, 1000, 700, 700, 700, 400, 400, 400, 100, 100, 100]);
    });

    it('never gives an incident more than its own timeout', async () => {
        const clock = { now: 0 };
        const { port, budgets } = fakeWorkspace(clock, 1);
        const enricher = new WorkspaceIncidentEnricher(port, 250, { totalMs: 30_000, concurrency: 5 }, () => clock.now);
        await enricher.enrichAll([sampleIncident(incidentId(1)), sampleIncident(incidentId(2))], NOW);
        expect(budgets).toHaveLength(6);
        expect(budgets.every((b) => b === 250)).toBe(true);
    });

    it("records each enriched incident's query time by status, and none for an incident the budget never reached", async () => {
        const clock = { now: 0 };
        const { port } = fakeWorkspace(clock, 100);
        const telemetry = new InMemoryTelemetry();
        const enricher = new WorkspaceIncidentEnricher(
            port,
            20_000,
            { totalMs: 500, concurrency: 1 },
            () => clock.now,
            telemetry,
        );
        await enricher.enrichAll(
            [1, 2, 3].map((i) => sampleIncident(incidentId(i))),
            NOW,
        );
        // Two incidents of 3 queries x 100 ms fit; the third starts at 600 ms, past the 500 ms budget.
        expect(telemetry.values('enrichmentDuration', { status: 'complete' })).toStrictEqual([300, 300]);
        expect(telemetry.values('enrichmentDuration')).toHaveLength(2);
    });
});
