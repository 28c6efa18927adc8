/**
 * Sentinel delivery through the correlation outbox, with the real `LogsIngestionClient` and the local ingestion
 * stand-in: the stand-in is taken down (connections refused) or fails (HTTP 503) in the middle of a simulated
 * fleet's stream, then comes back; every committed incident version arrives exactly once per (id, version), none is
 * lost and none doubled. The incident table's publisher (a recording one here) is the reference of what was
 * committed. Run with the in-memory state store and with Table Storage on Azurite.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSentinelIncidentPublisher } from '../../shared/clients/SentinelIncidentPublisher';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import { Correlator } from '../../shared/correlate/Correlator';
import { isNeededForCorrelation } from '../../shared/correlate/facts';
import { INCIDENT_STREAM } from '../../shared/delivery/incidentRow';
import { DEFAULT_INGEST_LIMITS, ingestBatch } from '../../shared/ingest/ingestBatch';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import type { HostStateStore } from '../../shared/ports/hostStateStore';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import type { SysmonEvent } from '../../shared/sysmon/types';
import { hasOpenssl, standInCredential } from '../../tools/local/logsIngestionStandIn';
import { startIncidentStreamStandIn } from '../../tools/local/incidentStreamStandIn';
import type { LogsIngestionStandIn } from '../../tools/local/logsIngestionStandIn';
import { simulateFleet } from '../../tools/simulate/simulate';
import { RecordingPublisher } from '../support/RecordingPublisher';
import { testTables } from '../support/tables';

const HAS_OPENSSL = hasOpenssl();
const DCR = 'dcr-0123456789abcdef0123456789abcdef';
const START = new Date('2026-12-01T08:00:00.000Z');
const { newClient, dropAll } = testTables(inject('tablesConnectionString'), 'sentineloutbox');
afterAll(dropAll);

/** A small fleet's stage 2 input in batches of 8, so chains grow over several batches and get several versions. */
function fleetBatches(): SysmonEvent[][] {
    const simulation = simulateFleet({
        hosts: 4,
        eventsPerSecond: 3,
        durationSeconds: 240,
        attacks: 6,
        seed: 4242,
        start: START,
    });
    const allowed = new Set(DEFAULT_CORRELATION_CONFIG.allowedSourceImages);
    const messages = [...simulation.events].map((event) => ({ body: event }));
    const events = ingestBatch(messages, START, DEFAULT_INGEST_LIMITS).events.filter((e) =>
        isNeededForCorrelation(e, allowed),
    );
    const batches: SysmonEvent[][] = [];
    for (let i = 0; i < events.length; i += 8) batches.push(events.slice(i, i + 8));
    return batches;
}

type Outage = 'down' | 'failing';

describe.skipIf(!HAS_OPENSSL)(
    `Sentinel delivery through the outbox survives an ingestion outage${HAS_OPENSSL ? '' : ' (skipped: openssl not found on PATH)'}`,
    () => {
        let standIn: LogsIngestionStandIn;
        const batches = fleetBatches();

        beforeAll(async () => {
            standIn = await startIncidentStreamStandIn(DCR);
        });
        afterAll(async () => {
            await standIn?.close();
        });

        const cases: [string, Outage, () => Promise<HostStateStore>][] = [
            ['in memory, stand-in down', 'down', () => Promise.resolve(new InMemoryHostStateStore())],
            ['in memory, stand-in failing (503)', 'failing', () => Promise.resolve(new InMemoryHostStateStore())],
            ['Table Storage (Azurite), stand-in down', 'down', () => TableHostStateStore.create(newClient())],
        ];

        it.each(cases)(
            '%s: every (id, version) arrives exactly once after recovery',
            async (_name, outage, makeStore) => {
                standIn.requests.length = 0;
                standIn.respond(undefined);
                await standIn.start();
                const committed = new RecordingPublisher('incidents');
                const sentinel = createSentinelIncidentPublisher(
                    { endpoint: standIn.endpoint, dcrImmutableId: DCR, streamName: INCIDENT_STREAM },
                    standInCredential(),
                    { tlsCa: standIn.ca, retryOptions: { maxRetries: 0 } },
                );
                const correlator = new Correlator({
                    config: DEFAULT_CORRELATION_CONFIG,
                    store: await makeStore(),
                    publishers: [committed, sentinel],
                    outboxRetryMs: 1_000,
                });

                const from = Math.floor(batches.length / 3);
                const to = Math.floor((2 * batches.length) / 3);
                let failedDuringOutage = 0;
                let committedDuringOutage = 0;
                for (let i = 0; i < batches.length; i++) {
                    if (i === from) {
                        if (outage === 'down') await standIn.stop();
                        else standIn.respond(() => ({ status: 503, body: { error: { code: 'ServiceUnavailable' } } }));
                    }
                    if (i === to) {
                        await standIn.start();
                        standIn.respond(undefined);
                    }
                    const now = new Date(START.getTime() + 300_000 + i * 1_000);
                    const outcome = await correlator.process(batches[i]!, now);
                    if (i >= from && i < to) {
                        committedDuringOutage += outcome.incidents.length;
                        failedDuringOutage += outcome.deliveryFailures.filter((f) => f.publisher === 'sentinel').length;
                    } else expect(outcome.deliveryFailures).toEqual([]);
                }
                // The maintenance pass (the expiry timer) delivers what hosts without later batches still hold.
                const maintenance = await correlator.expire(
                    new Date(START.getTime() + 300_000 + batches.length * 1_000 + 5_000),
                );
                expect(maintenance.deliveryFailures).toEqual([]);
                expect(maintenance.pending).toBe(0);

                // The outage really happened while incident versions were being committed.
                expect(committedDuringOutage).toBeGreaterThan(0);
                expect(failedDuringOutage).toBeGreaterThan(0);

                const counts = new Map<string, number>();
                for (const row of standIn.accepted()) {
                    const key = `${String(row.IncidentId)}@${String(row.Version)}`;
                    counts.set(key, (counts.get(key) ?? 0) + 1);
                }
                expect([...counts.keys()].sort()).toEqual(committed.versions());
                expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
                expect(committed.versions().length).toBeGreaterThan(committed.finalVersions().length); // several versions
            },
        );
    },
);
