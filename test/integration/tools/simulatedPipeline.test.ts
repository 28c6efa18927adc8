/**
 * The whole pipeline on simulated streams: the simulator's fleets (four of 5 hosts over 5 minutes, about 30,000
 * events each) go through both stages, and through a file and the replay reader; each injected attack must come out
 * as one incident on the right host with the right injector and target, and nothing from the background. The attacks
 * copy real recordings (see tools/simulate/simulate.ts); nothing here or there is tuned to the detector. An
 * end-to-end run of four parts together, heavy by what it checks, so in the integration project; the simulator's own
 * checks are unit tests (test/unit/tools/simulate/simulate.test.ts).
 */
import { replayInMemory } from '../../helpers/replayInMemory';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { Correlator } from '../../../shared/correlate/Correlator';
import type { Incident } from '../../../shared/correlate/incident';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import { ingestBatch } from '../../../shared/ingest/ingestBatch';
import { writeJsonLinesToFile } from '../../../tools/simulate/output';
import { ATTACK_KINDS } from '../../../tools/simulate/types';
import { simulateFleet } from '../../../tools/simulate/simulate';
import type { FlatSysmonEvent, InjectedAttack, SimulateOptions } from '../../../tools/simulate/types';
import { IncidentStorePublisher } from '../../../shared/publish/IncidentStorePublisher';

const START = new Date('2024-05-01T10:00:00Z');

function options(overrides: Partial<SimulateOptions> = {}): SimulateOptions {
    return { hosts: 4, eventsPerSecond: 20, durationSeconds: 300, attacks: 5, seed: 1, start: START, ...overrides };
}

function baseName(path: string | undefined): string {
    return (path ?? '').split(/[\\/]/).pop()!.toLowerCase();
}

/** Both pipeline stages over the stream, as `replayRecordings` runs them: batches of 256 lines, one correlator. */
async function detect(events: Iterable<FlatSysmonEvent>): Promise<{ incidents: Incident[]; rejected: number }> {
    const correlator = new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store: new InMemoryHostStateStore(),
        publishers: [new IncidentStorePublisher(new InMemoryIncidentStore())],
    });
    const latest = new Map<string, Incident>();
    let rejected = 0;
    let batch: string[] = [];
    let sequenceNumber = 0;
    const flush = async (): Promise<void> => {
        const now = new Date();
        const result = ingestBatch(
            batch.map((body) => ({ body, partitionId: '0', sequenceNumber: sequenceNumber++ })),
            now,
        );
        rejected += result.report.rejected;
        const outcome = await correlator.process(result.events, now);
        for (const incident of outcome.incidents) {
            const seen = latest.get(incident.id);
            if (!seen || seen.version <= incident.version) latest.set(incident.id, incident);
        }
        batch = [];
    };
    for (const event of events) {
        batch.push(JSON.stringify(event));
        if (batch.length === 256) await flush();
    }
    await flush();
    return { incidents: [...latest.values()], rejected };
}

function matches(incident: Incident, attack: InjectedAttack): boolean {
    return (
        incident.host.toLowerCase() === attack.host.toLowerCase() && incident.target.processGuid === attack.targetGuid
    );
}

describe('the pipeline on simulated streams', () => {
    it.each([1, 2, 3, 4])(
        'seed %i: one incident per injected attack, right host, injector and target, none on the background',
        async (seed) => {
            const stream = simulateFleet(options({ hosts: 5, seed, attacks: 5 }));
            expect(stream.attacks.map((a) => a.kind).sort()).toEqual([...ATTACK_KINDS].sort());
            const { incidents, rejected } = await detect(stream.events);
            expect(rejected).toBe(0);
            for (const attack of stream.attacks) {
                const found = incidents.filter((incident) => matches(incident, attack));
                expect(found, `${attack.kind} on ${attack.host} at ${attack.at}`).toHaveLength(1);
                const incident = found[0]!;
                expect(incident.injector.processGuid).toBe(attack.injectorGuid);
                expect(baseName(incident.injector.image)).toBe(baseName(attack.injectorImage));
                expect(baseName(incident.target.image)).toBe(baseName(attack.targetImage));
                expect(incident.technique).toBe(attack.technique);
            }
            const background = incidents.filter(
                (incident) => !stream.attacks.some((attack) => matches(incident, attack)),
            );
            expect(background.map((i) => i.explanation)).toEqual([]);
        },
    );

    it('keeps attacks apart when a small fleet gets many (two migrations on one host do not share explorer.exe)', async () => {
        const stream = simulateFleet(
            options({ hosts: 2, eventsPerSecond: 10, durationSeconds: 600, attacks: 15, seed: 9 }),
        );
        expect(new Set(stream.attacks.map((a) => `${a.host}|${a.targetGuid}`)).size).toBe(15);
        const { incidents } = await detect(stream.events);
        expect(incidents).toHaveLength(15);
        for (const attack of stream.attacks)
            expect(incidents.filter((incident) => matches(incident, attack))).toHaveLength(1);
    });

    describe('written to a file', () => {
        const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-simulate-'));
        afterAll(() => rmSync(dir, { recursive: true, force: true }));

        it('replays through replayRecordings like a recording', async () => {
            const stream = simulateFleet(options({ seed: 5 }));
            const path = join(dir, 'fleet.sysmon.jsonl.gz');
            const written = await writeJsonLinesToFile(stream.events, path);
            const result = await replayInMemory([path]);
            expect(result.report.received).toBe(written.events);
            expect(result.report.rejected).toBe(0);
            expect(result.incidents.map((i) => `${i.host}|${i.target.processGuid}`).sort()).toEqual(
                stream.attacks.map((a) => `${a.host.toLowerCase()}|${a.targetGuid}`).sort(),
            );
        });
    });
});
