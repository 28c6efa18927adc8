/**
 * `npm run demo`: the whole pipeline on one machine, no Azure account. Starts Azurite in-process (in memory),
 * simulates a small fleet's Sysmon stream with a few attacks, runs it through stage 1 and stage 2 with the functions'
 * own handlers and Table state, serves the HTTP functions at http://127.0.0.1:7071/api through the local server,
 * and prints the incidents and ready-to-run requests.
 */
// First: the local server serves the functions' own registrations, captured only if this precedes functions/.
import '../local/functionsRegistry';
import { InvocationContext } from '@azure/functions';
import { correlateHollowingWith } from '../../functions/correlateHollowing';
import { ingestSysmonEventsWith } from '../../functions/ingestSysmonEvents';
import { InMemoryEnrichmentStore } from '../../shared/ports/InMemoryEnrichmentStore';
import type { IncidentEnricher } from '../../shared/ports/incidentEnricher';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import { InlineCorrelation } from '../../shared/correlate/correlationService';
import { Correlator } from '../../shared/correlate/Correlator';
import { isNeededForCorrelation } from '../../shared/correlate/facts';
import type { SysmonEvent } from '../../shared/sysmon/types';
import type { Incident } from '../../shared/correlate/incident';
import { InMemoryEventForwarder } from '../../shared/ports/InMemoryEventForwarder';
import { DEFAULT_INGEST_LIMITS } from '../../shared/ingest/ingestBatch';
import { simulateFleet } from '../simulate/simulate';
import type { InjectedAttack } from '../simulate/types';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import { TableEnrichmentStore } from '../../shared/storage/table/TableEnrichmentStore';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { startLocalAzuriteTable } from '../local/localAzurite';
import { startLocalServer } from '../local/localServer';
import type { LocalServer } from '../local/localServer';
import { describeDelivery, startSentinelDemo } from '../local/sentinelDemo';
import type { SentinelDemo } from '../local/sentinelDemo';

export interface DemoOptions {
    port: number;
    seed: number;
    hosts: number;
    attacks: number;
    durationSeconds: number;
    eventsPerSecond: number;
    /** Keep serving until interrupted (the npm script); tests pass false and close the result. */
    serve: boolean;
    enricher?: IncidentEnricher;
    out?: (text: string) => void;
}

export interface DemoResult {
    server: LocalServer;
    incidents: Incident[];
    attacks: InjectedAttack[];
    events: number;
    functionKey: string;
    /** The ingestion stand-in and publisher; undefined without openssl. */
    sentinel: SentinelDemo | undefined;
    close(): Promise<void>;
}

const BATCH = 256;
export { DEMO_FUNCTION_KEY } from '../local/demoKey';
import { DEMO_FUNCTION_KEY } from '../local/demoKey';
import { IncidentStorePublisher } from '../../shared/publish/IncidentStorePublisher';

function baseName(path: string | undefined): string {
    return path ? (path.split(/[\\/]/).pop() ?? path) : '?';
}

function sentinelIncidentExample(incident: Incident): unknown {
    const [hostName, ...domain] = incident.host.split('.');
    return {
        eventUniqueId: '00000000-0000-0000-0000-000000000001',
        objectSchemaType: 'Incident',
        objectEventType: 'Create',
        object: {
            id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-sec/providers/Microsoft.SecurityInsights/Incidents/11111111-1111-1111-1111-111111111111',
            properties: {
                title: 'Suspicious process behaviour',
                severity: 'Medium',
                relatedEntities: [
                    {
                        kind: 'Host',
                        properties: {
                            hostName: hostName?.toUpperCase(),
                            dnsDomain: domain.join('.'),
                            osFamily: 'Windows',
                        },
                    },
                    ...(incident.target.processId !== undefined
                        ? [
                              {
                                  kind: 'Process',
                                  properties: {
                                      processId: String(incident.target.processId),
                                      commandLine: incident.target.commandLine,
                                  },
                              },
                          ]
                        : []),
                ],
            },
        },
    };
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
    const out = options.out ?? ((text: string) => process.stdout.write(text));
    const azurite = await startLocalAzuriteTable();
    const table = (name: string) => createTableClientFromConnectionString(azurite.connectionString, name);
    const [state, incidents, deadLetters, enrichmentStore] = await Promise.all([
        TableHostStateStore.create(table('hollowtracestate')),
        TableIncidentStore.create(table('hollowtraceincidents')),
        TableDeadLetterStore.create(table('hollowtracedeadletters')),
        TableEnrichmentStore.create(table('hollowtraceenrichment')),
    ]);
    out(
        `Azurite (Table) started in-process: ${azurite.connectionString.replace(/AccountKey=[^;]+/, 'AccountKey=<dev key>')}\n`,
    );

    const start = new Date(Date.now() - options.durationSeconds * 1000);
    const simulation = simulateFleet({
        hosts: options.hosts,
        eventsPerSecond: options.eventsPerSecond,
        durationSeconds: options.durationSeconds,
        attacks: options.attacks,
        seed: options.seed,
        start,
    });
    const forwarder = new InMemoryEventForwarder();
    const allowed = new Set(DEFAULT_CORRELATION_CONFIG.allowedSourceImages);
    const ingestDependencies = {
        deadLetters,
        forwarder,
        limits: DEFAULT_INGEST_LIMITS,
        needed: (event: SysmonEvent) => isNeededForCorrelation(event, allowed),
    };
    const ingest = ingestSysmonEventsWith(() => Promise.resolve(ingestDependencies));
    // Sentinel delivery through the correlation outbox, as in Azure: each committed incident version is uploaded in
    // the invocation that committed it, through the real LogsIngestionClient, to the local ingestion stand-in.
    const sentinel = await startSentinelDemo(out);
    const correlator = new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store: state,
        publishers: [new IncidentStorePublisher(incidents), ...(sentinel ? [sentinel.publisher] : [])],
    });
    const correlate = correlateHollowingWith(() => Promise.resolve({ correlator, deadLetters }));
    const quiet = (): InvocationContext => new InvocationContext({ functionName: 'demo', logHandler: () => undefined });

    // Stage 1: the source hub delivers batches of shipper lines (any partitioning).
    let events = 0;
    let batch: string[] = [];
    let sequence = 0;
    const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const context = new InvocationContext({
            functionName: 'ingestSysmonEvents',
            triggerMetadata: {
                partitionContext: { partitionId: '0' },
                sequenceNumberArray: batch.map(() => sequence++),
            },
            logHandler: () => undefined,
        });
        await ingest(batch, context);
        batch = [];
    };
    for (const event of simulation.events) {
        batch.push(JSON.stringify(event));
        events++;
        if (batch.length === BATCH) await flush();
    }
    await flush();

    // Stage 2: the host-keyed hub delivers each host's forwarded events in order, as JSON bodies.
    for (const hostEvents of forwarder.byHost.values()) {
        for (let i = 0; i < hostEvents.length; i += BATCH) {
            await correlate(
                hostEvents.slice(i, i + BATCH).map((e) => JSON.parse(JSON.stringify(e)) as unknown),
                quiet(),
            );
        }
    }
    const found = (await incidents.query({ limit: 1000 })).incidents.sort((a, b) =>
        a.firstSeen.localeCompare(b.firstSeen),
    );

    const server = await startLocalServer({
        port: options.port,
        dependencies: {
            incidents,
            deadLetters,
            enrichmentStore: options.enricher ? enrichmentStore : new InMemoryEnrichmentStore(),
            ...(options.enricher && { enricher: options.enricher }),
        },
        // Reprocessed dead letters go straight to the correlator: the demo's hub stand-in was drained above.
        ingest: { ...ingestDependencies, forwarder: new InlineCorrelation(correlator) },
        functionKey: DEMO_FUNCTION_KEY,
    }).catch(async (error: unknown) => {
        // A busy port (the message names --port): stop Azurite too, so the process ends with that message.
        await azurite.close();
        throw error;
    });

    out(
        `\nSimulated ${events.toLocaleString('en-US')} Sysmon events from ${options.hosts} hosts with ${simulation.attacks.length} injected attacks (seed ${options.seed}).\n`,
    );
    const uploaded = sentinel?.standIn.accepted() ?? [];
    out(`Stage 1 + stage 2 found ${found.length} incidents:\n\n`);
    for (const incident of found) {
        out(
            `  ${incident.severity.padEnd(6)} ${String(incident.score).padStart(3)}  ${incident.technique.padEnd(9)}  ${incident.host}  ${baseName(incident.injector.image)} -> ${baseName(incident.target.image)}\n`,
        );
        if (sentinel) out(describeDelivery(incident, uploaded));
    }
    if (sentinel)
        out(
            `\n${uploaded.length} incident versions uploaded to the Logs Ingestion stand-in at ${sentinel.standIn.endpoint} (${sentinel.standIn.requests.length} request(s), HTTP ${[...new Set(sentinel.standIn.requests.map((r) => r.status))].join(', ')}); alerts as the NRT rule of deploy/azuredeploy.json would raise them.\n`,
        );
    out('\nInjected attacks (ground truth):\n\n');
    for (const attack of simulation.attacks)
        out(
            `  ${attack.kind.padEnd(18)} ${attack.technique.padEnd(9)}  ${attack.host}  ${baseName(attack.injectorImage)} -> ${baseName(attack.targetImage)}\n`,
        );

    const first = found[0];
    out(`\nThe playbook API is served at ${server.url} (function key: ${DEMO_FUNCTION_KEY}). Try:\n\n`);
    out(`  curl -s ${server.url}/health\n`);
    out(`  curl -s -H 'x-functions-key: ${DEMO_FUNCTION_KEY}' '${server.url}/incidents?minScore=50'\n`);
    if (first) {
        out(`  curl -s -H 'x-functions-key: ${DEMO_FUNCTION_KEY}' ${server.url}/incidents/${first.id}\n`);
        out(
            `  curl -s -H 'x-functions-key: ${DEMO_FUNCTION_KEY}' -H 'content-type: application/json' ${server.url}/incidents/enrich \\\n    -d '${JSON.stringify(sentinelIncidentExample(first)).replace(/'/g, "'\\''")}'\n`,
        );
    }
    out(`  curl -s -H 'x-functions-key: ${DEMO_FUNCTION_KEY}' ${server.url}/dead-letters\n`);
    out(`  curl -s -H 'x-functions-key: ${DEMO_FUNCTION_KEY}' ${server.url}/openapi.json\n`);

    const close = async (): Promise<void> => {
        await sentinel?.close();
        await server.close();
        await azurite.close();
    };
    if (options.serve) {
        out('\nServing until Ctrl+C.\n');
        await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
        });
        await close();
    }
    return {
        server,
        incidents: found,
        attacks: simulation.attacks,
        events,
        functionKey: DEMO_FUNCTION_KEY,
        sentinel,
        close,
    };
}
