/**
 * The playbook API end to end over HTTP: the local server runs the HTTP functions' own handlers, state and incidents
 * live in Table Storage on Azurite, incidents come from the real correlator. Sentinel payload shapes from
 * docs/architecture.md ("Sentinel playbook payloads"); hostile input throughout.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalServer } from '../../tools/local/localServer';
import type { LocalServer } from '../../tools/local/localServer';
import type { IncidentsApiDependencies } from '../../shared/api/incidentsApiDependencies';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import { Correlator } from '../../shared/correlate/Correlator';
import type { Incident } from '../../shared/correlate/incident';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import { TableEnrichmentStore } from '../../shared/storage/table/TableEnrichmentStore';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import { DEFAULT_INGEST_LIMITS, ingestBatch } from '../../shared/ingest/ingestBatch';
import { InMemoryEventForwarder } from '../../shared/ports/InMemoryEventForwarder';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import {
    CREATE_PROCESS_TRACE,
    processAccess,
    processCreate,
    remoteThread,
    resetRecordIds,
} from '../helpers/sysmonBuilders';
import { IncidentStorePublisher } from '../../shared/publish/IncidentStorePublisher';

const KEY = 'test-function-key';
const HOSTILE_COMMAND_LINE =
    'C:\\Windows\\System32\\rundll32.exe "<img src=x onerror=alert(1)>" </td><script>alert(2)</script>';
const DROPPER = 'C:\\Users\\u\\Downloads\\<b>invoice</b>.exe';
const suffix = Date.now().toString(36);
const clients = ['incidents', 'enrichment', 'deadletters'].map((t) =>
    createTableClientFromConnectionString(inject('tablesConnectionString'), `api${t}${suffix}`),
);
let server: LocalServer;
let incident: Incident;
let forwarded: InMemoryEventForwarder;
let deadLetterStore: TableDeadLetterStore;

async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { 'x-functions-key': KEY },
) {
    const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
        status: response.status,
        type: response.headers.get('content-type') ?? '',
        text,
        json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
}

beforeAll(async () => {
    const [incidents, enrichmentStore, deadLetters] = await Promise.all([
        TableIncidentStore.create(clients[0]!),
        TableEnrichmentStore.create(clients[1]!),
        TableDeadLetterStore.create(clients[2]!),
    ]);
    resetRecordIds();
    const rundll = 'C:\\Windows\\System32\\rundll32.exe';
    const correlator = new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store: new InMemoryHostStateStore(),
        publishers: [new IncidentStorePublisher(incidents)],
    });
    const outcome = await correlator.process(
        [
            processAccess(0, 'dropper', DROPPER, 'rundll', rundll, 0x1fffff, CREATE_PROCESS_TRACE),
            { ...processCreate(2, 'rundll', rundll, 'dropper', DROPPER, HOSTILE_COMMAND_LINE), processId: 7916 },
            remoteThread(30, 'dropper', DROPPER, 'rundll', rundll),
            // The creator reopening its child with code rights is what makes this hollowing (T1055.012), not the thread
            // alone (docs/detection.md, "Technique attribution").
            processAccess(3_000, 'dropper', DROPPER, 'rundll', rundll, 0x1fffff, CREATE_PROCESS_TRACE),
        ],
        new Date('2024-05-01T10:20:00Z'),
    );
    incident = outcome.incidents[0]!;
    // A real stage 1 rejection, dead-lettered the way ingestion files it.
    const rejected = ingestBatch(
        [
            {
                body: '<Event><System><EventID>1</EventID></System><!DOCTYPE x [<!ENTITY a "b">]>',
                partitionId: '3',
                sequenceNumber: 77,
                enqueuedTime: new Date().toISOString(),
            },
        ],
        new Date(),
    );
    await deadLetters.putMany(rejected.deadLetters);
    deadLetterStore = deadLetters;
    const deps: IncidentsApiDependencies = { incidents, enrichmentStore, deadLetters };
    forwarded = new InMemoryEventForwarder();
    server = await startLocalServer({
        port: 0,
        dependencies: deps,
        ingest: { deadLetters, forwarder: forwarded, limits: DEFAULT_INGEST_LIMITS },
        functionKey: KEY,
    });
});

afterAll(async () => {
    await server.close();
    await Promise.all(clients.map((c) => c.deleteTable()));
});

const incidentTriggerBody = () => ({
    eventUniqueId: 'e1',
    objectSchemaType: 'Incident',
    objectEventType: 'Create',
    workspaceInfo: { SubscriptionId: 's', ResourceGroupName: 'rg-sec', WorkspaceName: 'law-sec' },
    object: {
        id: '/subscriptions/s/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-sec/providers/Microsoft.SecurityInsights/Incidents/abc',
        properties: {
            title: 'Possible process injection',
            severity: 'Medium',
            relatedEntities: [
                {
                    id: 'h',
                    kind: 'Host',
                    properties: {
                        hostName: 'WS01',
                        dnsDomain: 'contoso.local',
                        netBiosName: 'WS01',
                        osFamily: 'Windows',
                    },
                },
                {
                    id: 'p',
                    kind: 'Process',
                    properties: {
                        processId: '7916',
                        commandLine: HOSTILE_COMMAND_LINE,
                        creationTimeUtc: '2024-05-01T10:15:00.002Z',
                    },
                },
            ],
        },
    },
});

describe('POST /api/incidents/enrich', () => {
    it('the Sentinel incident trigger body (camelCase) gets the chain, a safe comment, tags and severity', async () => {
        const { status, json } = await call('POST', '/incidents/enrich', incidentTriggerBody());
        expect(status).toBe(200);
        expect(json!.incidentArmId).toMatch(/Microsoft.SecurityInsights\/Incidents\/abc$/);
        const matched = json!.matched as Record<string, unknown>[];
        expect(matched.map((m) => m.id)).toEqual([incident.id]);
        expect(json!.tags).toEqual(['hollowtrace', 'T1055.012', 'process-hollowing']);
        expect(json!.severity).toBe(incident.severity);
        const comment = json!.comment as { html: string; markdown: string };
        expect(comment.html).not.toMatch(/<script|<img|<b>invoice|<\/td><script/);
        expect(comment.html).toContain('&lt;script&gt;');
        expect(comment.markdown).not.toMatch(/<script|<img/);
        expect(comment.html.length).toBeLessThanOrEqual(30_000);
    });

    it('an alert payload with PascalCase Entities as a JSON string, $ref references and a hex ProcessId', async () => {
        const entities = [
            { $id: '2', HostName: 'ws01', DnsDomain: 'CONTOSO.local', Type: 'host' },
            { $id: '3', ProcessId: '0x1eec', CommandLine: 'other', Host: { $ref: '2' }, Type: 'process' },
        ];
        const { status, json } = await call('POST', '/incidents/enrich', {
            SystemAlertId: 'a1',
            Entities: JSON.stringify(entities),
        });
        expect(status).toBe(200);
        expect((json!.matched as { id: string }[]).map((m) => m.id)).toEqual([incident.id]);
    });

    it('matched incidents carry decoded access masks', async () => {
        const { json } = await call('POST', '/incidents/enrich', [
            { kind: 'Host', properties: { hostName: 'ws01.contoso.local' } },
        ]);
        expect((json!.matched as unknown[]).length).toBe(1);
        const { json: byId } = await call('GET', `/incidents/${incident.id}`);
        expect(byId!.id).toBe(incident.id);
    });

    it('OData and KQL metacharacters in host names are data, never syntax', async () => {
        for (const hostName of ["ws01' or PartitionKey ne '", 'ws01" | union SecurityEvent //', "x'; drop table --"]) {
            const { status, json } = await call('POST', '/incidents/enrich', [
                { kind: 'Host', properties: { hostName } },
            ]);
            expect(status).toBe(200);
            expect(json!.matched).toEqual([]);
            expect(json!.severity).toBeNull();
        }
        const { status, json } = await call(
            'GET',
            `/incidents?host=${encodeURIComponent("ws01.contoso.local' or '1' eq '1")}`,
        );
        expect(status).toBe(200);
        expect(json!.incidents).toEqual([]);
    });

    it.each([
        ['not JSON', '{"object":', 400, 'invalid-json', 'body'],
        ['Entities of the wrong type', { Entities: 5 }, 400, 'wrong-type', 'Entities'],
        ['Entities a string that is not JSON', { Entities: '[{' }, 400, 'invalid-json', 'Entities'],
        ['an unrecognized body', { hello: 'world' }, 400, 'unrecognized-body', 'body'],
        ['an incident without properties', { object: { id: 'x' } }, 400, 'missing-field', 'object.properties'],
    ])('%s: a problem+json 400 naming the code and the field', async (_name, body, status, code, field) => {
        const response = await call('POST', '/incidents/enrich', body);
        expect(response.status).toBe(status);
        expect(response.type).toMatch(/^application\/problem\+json/);
        expect(response.json).toMatchObject({ status, code, field });
        expect(response.text).not.toMatch(/\n\s+at |Error:|AccountKey|DefaultEndpointsProtocol/);
    });

    it('a 10 MB body is refused with 413 and nothing else', async () => {
        const huge = JSON.stringify({ Entities: [{ Type: 'host', HostName: 'x'.repeat(10 * 1024 * 1024) }] });
        const response = await call('POST', '/incidents/enrich', huge);
        expect(response.status).toBe(413);
        expect(response.json).toMatchObject({ code: 'body-too-large' });
    });
});

describe('GET /api/incidents, /api/incidents/{id}, /api/dead-letters, /api/health, /api/openapi.json', () => {
    it('lists with filters and validates them', async () => {
        expect((await call('GET', '/incidents?technique=T1055.012&minScore=50')).json!.incidents).toHaveLength(1);
        expect((await call('GET', '/incidents?minScore=100')).json!.incidents).toHaveLength(0);
        expect((await call('GET', '/incidents?host=WS01.CONTOSO.LOCAL')).json!.incidents).toHaveLength(1);
        for (const [query, field] of [
            ['minScore=abc', 'minScore'],
            ['limit=0', 'limit'],
            ['since=yesterday', 'since'],
            ['technique=T9999', 'technique'],
        ]) {
            const response = await call('GET', `/incidents?${query}`);
            expect(response.status).toBe(400);
            expect(response.json).toMatchObject({ field });
        }
    });

    it('lists the dead letters stage 1 filed, by reason, from Table Storage', async () => {
        const all = await call('GET', '/dead-letters');
        expect(all.status).toBe(200);
        const letters = all.json!.deadLetters as {
            reason: string;
            partitionId: string;
            sequenceNumber: number;
            raw: string;
        }[];
        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatchObject({ reason: 'xml-dtd-forbidden', partitionId: '3', sequenceNumber: 77 });
        expect(letters[0]!.raw).toContain('<!ENTITY a "b">');
        expect((await call('GET', '/dead-letters?reason=malformed-json')).json!.deadLetters).toEqual([]);
        // Injection attempts in the filter are refused before any query is built.
        const hostile = await call('GET', `/dead-letters?reason=${encodeURIComponent("x' or PartitionKey ne '")}`);
        expect(hostile.status).toBe(400);
        expect(hostile.json).toMatchObject({ code: 'invalid-reason', field: 'reason' });
    });

    it('reprocesses dead letters: what reads now is forwarded and its letter deleted, the rest kept with why', async () => {
        // Filed under a 600-byte limit, as a deployment with HOLLOWTRACE_MAX_MESSAGE_BYTES=600 would have.
        const line = JSON.stringify({
            EventID: 1,
            Channel: 'Microsoft-Windows-Sysmon/Operational',
            Computer: 'WS09',
            EventRecordID: 5,
            UtcTime: '2024-05-01 10:15:01.987',
            ProcessGuid: '{3710b5c6-1243-6182-8303-000000000b00}',
            Image: 'C:\\Windows\\System32\\rundll32.exe',
            CommandLine: `rundll32.exe ${'y'.repeat(700)}`,
        });
        const tight = ingestBatch(
            [{ body: line, partitionId: '1', sequenceNumber: 12, enqueuedTime: new Date().toISOString() }],
            new Date(),
            { ...DEFAULT_INGEST_LIMITS, maxMessageBytes: 600 },
        );
        expect(tight.deadLetters.map((l) => l.reason)).toEqual(['too-large']);
        const listedBefore = (await call('GET', '/dead-letters')).json!.deadLetters as unknown[];
        await deadLetterStore.putMany(tight.deadLetters);

        expect((await call('POST', '/dead-letters/reprocess', undefined, {})).status).toBe(401);
        const answer = await call('POST', '/dead-letters/reprocess');
        expect(answer.status).toBe(200);
        expect(answer.json).toMatchObject({
            examined: listedBefore.length + 1,
            resolved: 1,
            stillRejected: listedBefore.length,
            forwarded: 1,
            skipped: [],
        });
        expect((forwarded.byHost.get('ws09') ?? []).map((e) => [e.recordId, e.origin.sequenceNumber])).toEqual([
            [5, 12],
        ]);
        const left = (await call('GET', '/dead-letters')).json!.deadLetters as { reason: string }[];
        expect(left.map((l) => l.reason)).toEqual(['xml-dtd-forbidden']);
        expect((await call('POST', '/dead-letters/reprocess?limit=0')).json).toMatchObject({
            code: 'invalid-number',
            field: 'limit',
        });
    });

    it('a letter with no enqueued time, still rejected, moves to the day it was rejected again: still one letter', async () => {
        const yesterday = new Date(Date.now() - 86_400_000);
        const [filed] = ingestBatch(
            [{ body: '{"EventID": 1,', partitionId: '4', sequenceNumber: 1 }],
            yesterday,
        ).deadLetters;
        await deadLetterStore.putMany([filed!]);
        const answer = await call('POST', '/dead-letters/reprocess?reason=malformed-json');
        expect(answer.json).toMatchObject({ examined: 1, stillRejected: 1 });
        const letters = (await call('GET', '/dead-letters?reason=malformed-json')).json!.deadLetters as {
            id: string;
            rejectedAt: string;
        }[];
        expect(letters.map((l) => l.id)).toEqual([filed!.id]);
        expect(letters[0]!.rejectedAt > filed!.rejectedAt).toBe(true);
    });

    it('unknown ids are 404, malformed ids 400', async () => {
        expect((await call('GET', '/incidents/hti-00000000000000')).status).toBe(404);
        const malformed = await call('GET', `/incidents/${encodeURIComponent("x' or 1 eq 1")}`);
        expect(malformed.status).toBe(400);
        expect(malformed.json).toMatchObject({ code: 'invalid-id', field: 'id' });
    });

    it('every function but health needs the function key', async () => {
        expect((await call('GET', '/incidents', undefined, {})).status).toBe(401);
        expect((await call('GET', '/dead-letters', undefined, {})).status).toBe(401);
        expect((await call('POST', '/incidents/enrich', [], { 'x-functions-key': 'wrong' })).status).toBe(401);
        expect((await call('GET', '/openapi.json', undefined, {})).status).toBe(401);
        const health = await call('GET', '/health', undefined, {});
        expect(health.status).toBe(200);
        expect(health.json).toMatchObject({ status: 'ok', storage: 'ok' });
    });

    it('openapi.json is a valid OpenAPI 2.0 document with an operationId and summary on every operation', async () => {
        const { json } = await call('GET', '/openapi.json');
        const api = await SwaggerParser.validate(structuredClone(json) as never);
        expect((api as { swagger?: string }).swagger).toBe('2.0');
        const operations = Object.values(
            json!.paths as Record<string, Record<string, { operationId?: string; summary?: string }>>,
        ).flatMap((p) => Object.values(p));
        expect(operations.length).toBe(6);
        for (const operation of operations) {
            expect(operation.operationId).toMatch(/^[A-Z]\w+$/);
            expect(operation.summary).toBeTruthy();
        }
    });
});
