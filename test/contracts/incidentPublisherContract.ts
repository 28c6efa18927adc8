/**
 * @module Behaviour every `IncidentPublisher` must show (the outbox relies on it), run against each implementation
 * (test/unit/ports/InMemoryIncidentPublisher.test.ts, test/integration/sentinelIncidentPublisher.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { IncidentDeliveryError } from '../../shared/errors';
import { INCIDENT_ROW_COLUMNS } from '../../shared/delivery/incidentRow';
import type { IncidentPublisher } from '../../shared/ports/incidentPublisher';
import { sampleIncident } from '../helpers/sampleIncident';

export interface PublisherHarness {
    publisher: IncidentPublisher;
    /** Every row the target holds, duplicates included. */
    rows(): Record<string, unknown>[];
    /** Makes the next publish fail (the way this implementation fails: an answer, an outage). */
    breakNext(): void;
}

function key(row: Record<string, unknown>): string {
    return `${String(row.IncidentId)}#${String(row.Version)}`;
}

/** What the analytics rule sees: the highest version per incident. */
function latest(rows: Record<string, unknown>[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const row of rows)
        out.set(String(row.IncidentId), Math.max(out.get(String(row.IncidentId)) ?? 0, Number(row.Version)));
    return out;
}

export function incidentPublisherContract(name: string, harness: () => Promise<PublisherHarness>): void {
    describe(`${name} (IncidentPublisher contract)`, () => {
        let h: PublisherHarness;
        beforeEach(async () => {
            h = await harness();
        });

        it('publishing nothing succeeds and delivers nothing', async () => {
            await h.publisher.publish([]);
            expect(h.rows()).toEqual([]);
        });

        it('delivers one row per incident version, with exactly the declared columns', async () => {
            await h.publisher.publish([
                sampleIncident('hti-a', 1),
                sampleIncident('hti-a', 2),
                sampleIncident('hti-b', 1),
            ]);
            const rows = h.rows();
            expect(rows.map(key).sort()).toEqual(['hti-a#1', 'hti-a#2', 'hti-b#1']);
            for (const row of rows)
                expect(Object.keys(row).sort()).toEqual(INCIDENT_ROW_COLUMNS.map((c) => c.name).sort());
        });

        it('is idempotent by (id, version): publishing again changes nothing the rule sees', async () => {
            const batch = [sampleIncident('hti-a', 1), sampleIncident('hti-a', 2)];
            await h.publisher.publish(batch);
            const before = { keys: new Set(h.rows().map(key)), latest: latest(h.rows()) };
            await h.publisher.publish(batch);
            await h.publisher.publish([batch[0]!, batch[0]!]);
            expect(new Set(h.rows().map(key))).toEqual(before.keys);
            expect(latest(h.rows())).toEqual(before.latest);
            expect(latest(h.rows()).get('hti-a')).toBe(2);
        });

        it('a failed publish throws a typed delivery error naming the versions, and a later publish delivers them', async () => {
            h.breakNext();
            const batch = [sampleIncident('hti-c', 1), sampleIncident('hti-d', 3)];
            const error = await h.publisher.publish(batch).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(IncidentDeliveryError);
            expect((error as IncidentDeliveryError).failed.map((f) => `${f.id}#${f.version}`).sort()).toEqual([
                'hti-c#1',
                'hti-d#3',
            ]);
            await h.publisher.publish(batch);
            expect(new Set(h.rows().map(key))).toEqual(new Set(['hti-c#1', 'hti-d#3']));
        });
    });
}
