/**
 * The stage 2 handler and the expiry timer, called the way the host calls them (the package's real
 * InvocationContext), with state and incidents in Table Storage on Azurite.
 */
import { InvocationContext } from '@azure/functions';
import type { Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { correlateHollowingWith } from '../../../functions/correlateHollowing';
import { expireCorrelationStateWith } from '../../../functions/expireCorrelationState';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { InlineCorrelation } from '../../../shared/correlate/correlationService';
import type { CorrelationDependencies } from '../../../shared/correlate/correlationService';
import { DEFAULT_INGEST_LIMITS } from '../../../shared/ingest/ingestBatch';
import { reprocessDeadLetters } from '../../../shared/ingest/reprocessDeadLetters';
import { closedPortClient, handlerStores, testTables } from '../../support/tables';
import { Correlator } from '../../../shared/correlate/Correlator';
import { TableDeadLetterStore } from '../../../shared/storage/table/TableDeadLetterStore';
import { TableHostStateStore } from '../../../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../../../shared/storage/table/TableIncidentStore';
import { dropperHollowsSvchost, resetRecordIds } from '../../helpers/sysmonBuilders';
import { DROPPER, SVCHOST } from '../../helpers/images';
import { IncidentStorePublisher } from '../../../shared/publish/IncidentStorePublisher';

const tables = testTables(inject('tablesConnectionString'), 'stage2');
let deps: CorrelationDependencies;
let incidents: TableIncidentStore;
let deadLetters: TableDeadLetterStore;
let state: TableHostStateStore;

beforeAll(async () => {
    ({ state, incidents, deadLetters } = await handlerStores(tables));
    deps = {
        correlator: new Correlator({
            config: DEFAULT_CORRELATION_CONFIG,
            store: state,
            publishers: [new IncidentStorePublisher(incidents)],
        }),
        deadLetters,
    };
});
afterAll(() => tables.dropAll());

function context(count: number, logs: unknown[][]): InvocationContext {
    return new InvocationContext({
        functionName: 'correlateHollowing',
        triggerMetadata: {
            partitionContext: { partitionId: '5' },
            sequenceNumberArray: Array.from({ length: count }, (_, i) => 900 + i),
        },
        logHandler: (level, ...args) => logs.push([level, ...args]),
    });
}

describe('correlateHollowing handler', () => {
    it('correlates forwarded events into a stored incident and dead-letters a message that is not one', async () => {
        resetRecordIds();
        const events = dropperHollowsSvchost();
        // Forwarded as the Event Hubs producer sends them: JSON bodies (the host parses them into objects).
        const messages: unknown[] = [...events.map((e) => JSON.parse(JSON.stringify(e)) as unknown), { eventId: 'x' }];
        const logs: unknown[][] = [];
        await correlateHollowingWith(
            () => Promise.resolve(deps),
            () => new Date('2024-05-01T10:20:00Z'),
        )(messages, context(messages.length, logs));

        const stored = (await incidents.query({ host: 'WS01.contoso.local' })).incidents;
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({
            technique: 'T1055.012',
            injector: { image: DROPPER },
            target: { image: SVCHOST },
        });
        const letters = await deadLetters.list();
        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatchObject({ reason: 'invalid-forwarded-event', partitionId: '5', sequenceNumber: 903 });
        expect(
            logs.some(
                ([level, line]) =>
                    level === 'warning' && String(line).startsWith('correlate: 4 events, 1 hosts, 1 incidents'),
            ),
        ).toBe(true);
        expect(logs.some(([, line]) => String(line).includes(`incident ${stored[0]!.id} v1`))).toBe(true);
    });

    it('the expiry timer removes pending state from Table Storage', async () => {
        const logs: unknown[][] = [];
        const later = new Date(
            Date.parse('2024-05-01T10:20:00Z') + DEFAULT_CORRELATION_CONFIG.pendingRetentionMs + 60_000,
        );
        const timer: Timer = {
            isPastDue: false,
            schedule: { adjustForDST: false },
            scheduleStatus: { last: '', next: '', lastUpdated: '' },
        };
        await expireCorrelationStateWith(
            () => Promise.resolve(deps),
            () => later,
        )(timer, new InvocationContext({ logHandler: (level, ...args) => logs.push([level, ...args]) }));
        const remaining = (await state.load('ws01.contoso.local')).state;
        expect(remaining.processes.has(remaining.chains.keys().next().value ?? '')).toBe(true); // the incident chain's target stays
        expect(remaining.processes.size).toBe(1);
        expect(
            logs.some(([, line]) =>
                /^expire: removed [1-9]\d* correlation records, visited 1 due hosts/.test(String(line)),
            ),
        ).toBe(true);
    });
});

describe('correlateHollowing handler when retries run out', () => {
    const tables = testTables(inject('tablesConnectionString'), 'stage2parked');
    afterAll(() => tables.dropAll());

    it('parks the forwarded events on the last attempt; reprocessing correlates them into the incident', async () => {
        resetRecordIds();
        const [parkedLetters, okState, okIncidents] = await Promise.all([
            TableDeadLetterStore.create(tables.newClient()),
            TableHostStateStore.create(tables.newClient()),
            TableIncidentStore.create(tables.newClient()),
        ]);
        // Host state unreachable: every batch fails with StorageUnavailableError.
        const broken: CorrelationDependencies = {
            correlator: new Correlator({
                config: DEFAULT_CORRELATION_CONFIG,
                store: new TableHostStateStore(closedPortClient()),
                publishers: [new IncidentStorePublisher(okIncidents)],
            }),
            deadLetters: parkedLetters,
        };
        const events = dropperHollowsSvchost();
        const messages = events.map((e) => JSON.parse(JSON.stringify(e)) as unknown);
        const handler = correlateHollowingWith(
            () => Promise.resolve(broken),
            () => new Date('2024-05-01T10:20:00Z'),
        );
        const logs: unknown[][] = [];
        const last = new InvocationContext({
            functionName: 'correlateHollowing',
            triggerMetadata: {
                partitionContext: { partitionId: '5' },
                sequenceNumberArray: [900, 901, 902],
                enqueuedTimeUtcArray: ['2024-05-01T10:19:00', '2024-05-01T10:19:01', '2024-05-01T10:19:02'],
            },
            retryContext: { retryCount: 5, maxRetryCount: 5 },
            logHandler: (level, ...args) => logs.push([level, ...args]),
        });
        await expect(handler(messages, last)).resolves.toBeUndefined();
        expect(logs).toContainEqual([
            'error',
            expect.stringMatching(
                /^correlate: retries exhausted on partition 5 sequence numbers 900-902 \(3 messages\)/,
            ),
        ]);
        const parked = await parkedLetters.list({ reason: 'retries-exhausted' });
        expect(parked.map((l) => [l.id, l.stage])).toEqual([
            ['exhausted-fwd-p5-s900', 'correlate'],
            ['exhausted-fwd-p5-s901', 'correlate'],
            ['exhausted-fwd-p5-s902', 'correlate'],
        ]);

        // Storage is back: the reprocess use case hands the events to correlation again (inline here).
        const working = new Correlator({
            config: DEFAULT_CORRELATION_CONFIG,
            store: okState,
            publishers: [new IncidentStorePublisher(okIncidents)],
        });
        const outcome = await reprocessDeadLetters(
            { reason: 'retries-exhausted', sinceDay: '2024-05-01', limit: 50 },
            {
                deadLetters: parkedLetters,
                forwarder: new InlineCorrelation(working, () => new Date('2024-05-01T10:40:00Z')),
                limits: DEFAULT_INGEST_LIMITS,
            },
            new Date('2024-05-01T10:40:00Z'),
        );
        expect(outcome).toMatchObject({ examined: 3, resolved: 3, stillRejected: 0, forwarded: 3 });
        const stored = (await okIncidents.query({ host: 'WS01.contoso.local' })).incidents;
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({ technique: 'T1055.012', injector: { image: DROPPER } });
        await expect(parkedLetters.list()).resolves.toEqual([]);
    });
});
