/**
 * Client input never yields a 5xx: for every route of the local server (the HTTP functions' own handlers, healthy
 * in-memory stores), arbitrary query strings, headers and bodies are answered 2xx or 4xx, every error with a body as
 * `application/problem+json`. Plus the local server's own edges: malformed percent-encoding, a bad Host header and
 * a busy port.
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspaceIncidentEnricher } from '../../shared/api/WorkspaceIncidentEnricher';
import { DEFAULT_INGEST_LIMITS } from '../../shared/ingest/ingestBatch';
import { InMemoryDeadLetterStore } from '../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryEnrichmentStore } from '../../shared/ports/InMemoryEnrichmentStore';
import { InMemoryEventForwarder } from '../../shared/ports/InMemoryEventForwarder';
import { InMemoryIncidentStore } from '../../shared/ports/InMemoryIncidentStore';
import { startLocalServer } from '../../tools/local/localServer';
import type { LocalServer } from '../../tools/local/localServer';
import { incidentId, sampleIncident } from '../helpers/incidents';

const KEY = 'property-test-key';
let server: LocalServer;
let port = 0;

interface Answer {
    status: number;
    type: string;
    body: string;
}

/** One raw request: the path and headers go on the wire as given (node:http checks only their characters). */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
                resolve({
                    status: res.statusCode ?? 0,
                    type: String(res.headers['content-type'] ?? ''),
                    body: Buffer.concat(chunks).toString('utf8'),
                }),
            );
        });
        req.on('error', reject);
        req.end(body);
    });
}

function expectClientAnswer(answer: Answer, what: string): void {
    expect(answer.status, `${what}: ${answer.body}`).toBeGreaterThanOrEqual(200);
    expect(answer.status, `${what}: ${answer.body}`).toBeLessThan(500);
    // Azure answers a missing or wrong function key with an empty 401; every other error is a problem document.
    if (answer.status >= 400 && answer.body !== '') {
        expect(answer.type, what).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(answer.body)).toMatchObject({ status: answer.status, code: expect.any(String) });
    }
}

// Characters a request target may carry unescaped (RFC 3986 unreserved, sub-delims, ':', '@', '/', '?', and '%',
// which then starts well- or malformed percent-encoding).
const TARGET_CHARS = [..."abcXYZ019-._~!$&'()*+,;=:@/?%"];
const targetText = fc.oneof(
    fc.string({ unit: fc.constantFrom(...TARGET_CHARS), maxLength: 40 }),
    fc.constantFrom('%', '%zz', '%ED%BF%BF', '%C0%AF', '%00', '%2F..%2F', 'hti-%', '%F0%9F%98'),
    fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
);
const QUERY_KEYS = ['host', 'since', 'until', 'technique', 'minScore', 'limit', 'continuationToken'];
const DEAD_LETTER_KEYS = ['sinceDay', 'reason', 'after', 'limit', 'code'];
const queryValue = fc.oneof(
    targetText,
    fc.constantFrom('1', '-1', '0', '1e3', '+275760-09-13T00:00:00.000Z', '2026-11-25T10:00:00Z', '2026-02-30'),
    fc.uint8Array({ maxLength: 48 }).map((bytes) => encodeURIComponent(Buffer.from(bytes).toString('base64'))),
    fc
        .string({ maxLength: 20 })
        .map((s) => encodeURIComponent(Buffer.from(JSON.stringify({ after: s })).toString('base64url'))),
);
const queryString = fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS, ...DEAD_LETTER_KEYS), targetText), queryValue), {
        maxLength: 5,
    })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

/** Header values node:http lets through: visible ASCII and spaces inside. */
const headerText = fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 40,
});
const headers = fc.record(
    {
        'x-functions-key': fc.oneof(fc.constant(KEY), fc.constant(KEY), headerText),
        'content-type': fc.oneof(
            fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml'),
            headerText,
        ),
        host: fc.oneof(
            fc.constantFrom('127.0.0.1', 'localhost:7071', '[::1]:80', 'a b', 'x@y', 'h/p', ':80'),
            headerText,
        ),
        accept: headerText,
    },
    { requiredKeys: ['x-functions-key'] },
);

const entityValue = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('\udfff', 'WS01', 'ws01.contoso.local', '0x1eec', '7916', '2026-11-25T10:00:00Z'),
    fc.integer(),
    fc.constant(null),
    fc.dictionary(fc.constantFrom('hostName', 'name', '$ref', 'properties'), fc.string({ maxLength: 8 }), {
        maxKeys: 3,
    }),
);
const entity = fc.record({
    kind: fc.constantFrom('Host', 'Process', 'File', 'Account', ''),
    properties: fc.dictionary(
        fc.constantFrom(
            'hostName',
            'netBiosName',
            'dnsDomain',
            'fqdn',
            'processId',
            'commandLine',
            'creationTimeUtc',
            'imageFile',
            'host',
            'name',
            'fileName',
            '$id',
        ),
        entityValue,
        { maxKeys: 6 },
    ),
});
const body = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc
        .array(entity, { maxLength: 8 })
        .map((list) => JSON.stringify({ object: { id: 'x', properties: { relatedEntities: list } } })),
    fc.array(entity, { maxLength: 8 }).map((list) => JSON.stringify({ Entities: JSON.stringify(list) })),
    fc.array(entity, { maxLength: 8 }).map((list) => JSON.stringify(list)),
    fc
        .record({ sinceDay: fc.string({ maxLength: 12 }), reason: fc.string({ maxLength: 12 }), limit: fc.jsonValue() })
        .map((v) => JSON.stringify(v)),
);

const ROUTES: [string, (id: string) => string][] = [
    ['GET', () => '/api/incidents'],
    ['GET', (id) => `/api/incidents/${id}`],
    ['POST', () => '/api/incidents/enrich'],
    ['GET', () => '/api/dead-letters'],
    ['POST', () => '/api/dead-letters/reprocess'],
    ['GET', () => '/api/health'],
    ['GET', () => '/api/openapi.json'],
    ['DELETE', (id) => `/api/${id}`],
];

beforeAll(async () => {
    const incidents = new InMemoryIncidentStore();
    await incidents.upsert(
        Array.from({ length: 5 }, (_, i) =>
            sampleIncident(incidentId(i + 1), { host: i % 2 === 0 ? 'WS01.contoso.local' : 'ws02' }),
        ),
    );
    const deadLetters = new InMemoryDeadLetterStore();
    server = await startLocalServer({
        port: 0,
        dependencies: {
            incidents,
            enrichmentStore: new InMemoryEnrichmentStore(),
            deadLetters,
            enricher: new WorkspaceIncidentEnricher(undefined, 1_000),
        },
        ingest: { deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS },
        functionKey: KEY,
    });
    port = Number(new URL(server.url).port);
});

afterAll(() => server.close());

describe('every route, arbitrary client input', () => {
    it('answers 2xx or 4xx, errors as application/problem+json, never 5xx', async () => {
        await fc.assert(
            fc.asyncProperty(
                fc.constantFrom(...ROUTES),
                fc.oneof(targetText, fc.constant(incidentId(1))),
                queryString,
                headers,
                body,
                async ([method, path], id, query, sent, payload) => {
                    const target = `${path(id)}${query}`;
                    const answer = await send(method, target, sent, method === 'POST' ? payload : undefined);
                    expectClientAnswer(answer, `${method} ${target} ${JSON.stringify(sent)}`);
                },
            ),
            { numRuns: 400 },
        );
    });
});

describe('the local server itself', () => {
    it.each(['/api/incidents/%', '/api/incidents/%zz', '/api/incidents/%ED%BF%BF'])(
        '%s (malformed percent-encoding) is 400 invalid-path',
        async (path) => {
            const answer = await send('GET', path, { 'x-functions-key': KEY });
            expect(answer.status).toBe(400);
            expect(JSON.parse(answer.body)).toMatchObject({ code: 'invalid-path' });
        },
    );

    it.each(['a b', 'x@y', 'h/p', ':80', '[zz]'])('Host: %s is 400 invalid-host-header', async (host) => {
        const answer = await send('GET', '/api/health', { host });
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toMatchObject({ code: 'invalid-host-header' });
    });

    it('a busy port says so and names --port', async () => {
        await expect(
            startLocalServer({
                port,
                dependencies: {
                    incidents: new InMemoryIncidentStore(),
                    enrichmentStore: new InMemoryEnrichmentStore(),
                    deadLetters: new InMemoryDeadLetterStore(),
                },
            }),
        ).rejects.toThrow(
            `port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --port`,
        );
    });

    it('the function key: right one passes, a wrong one of any length is 401', async () => {
        expect((await send('GET', '/api/incidents', { 'x-functions-key': KEY })).status).toBe(200);
        for (const key of ['', 'p', KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase()]) {
            expect((await send('GET', '/api/incidents', { 'x-functions-key': key })).status).toBe(401);
        }
        expect((await send('GET', `/api/incidents?code=${KEY}`, {})).status).toBe(200);
    });
});
