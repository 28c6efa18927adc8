/**
 * The local server serves exactly what the Function App registers: every HTTP function at its registered route,
 * methods and auth level (the route table is built from the `app.http` registrations), on in-memory stores.
 */
import { registeredHttpFunctions } from '../../../../tools/local/functionsRegistry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePattern, routesFrom, startLocalServer } from '../../../../tools/local/localServer';
import type { LocalServer } from '../../../../tools/local/localServer';
import { DEFAULT_INGEST_LIMITS } from '../../../../shared/ingest/ingestBatch';
import { InMemoryDeadLetterStore } from '../../../../shared/ports/InMemoryDeadLetterStore';
import { InMemoryEnrichmentStore } from '../../../../shared/ports/InMemoryEnrichmentStore';
import { InMemoryEventForwarder } from '../../../../shared/ports/InMemoryEventForwarder';
import { InMemoryIncidentStore } from '../../../../shared/ports/InMemoryIncidentStore';

const KEY = 'local-server-test-key';
let server: LocalServer;

beforeAll(async () => {
    const deadLetters = new InMemoryDeadLetterStore();
    server = await startLocalServer({
        port: 0,
        functionKey: KEY,
        dependencies: {
            incidents: new InMemoryIncidentStore(),
            enrichmentStore: new InMemoryEnrichmentStore(),
            deadLetters,
        },
        ingest: { deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS },
    });
});
afterAll(() => server.close());

/** A concrete path for a registered route: each `{parameter}` filled with a well-formed incident id. */
function pathOf(route: string): string {
    return `/${route.replace(/\{[^}]+\}/g, 'hti-0123456789abcd')}`;
}

/** Whether the server's router, not the function, answered: no route (404 `not-found`) or wrong method (405). */
async function answeredByRouter(response: Response): Promise<boolean> {
    if (response.status === 405) return true;
    if (response.status !== 404) return false;
    const body = (await response.json()) as { code?: string };
    return body.code === 'not-found';
}

describe('local server', () => {
    const functions = registeredHttpFunctions();

    it('sees the HTTP registrations of every functions/ file (captured before they registered)', () => {
        expect(functions.map((fn) => fn.name).sort()).toEqual([
            'enrichIncident',
            'getIncident',
            'health',
            'listDeadLetters',
            'listIncidents',
            'openApi',
            'reprocessDeadLetters',
        ]);
    });

    it('serves every registered HTTP function at its route and methods, with the function key it requires', async () => {
        expect(functions.length).toBeGreaterThan(0);
        for (const fn of functions) {
            for (const method of fn.methods) {
                const url = `${server.url}${pathOf(fn.route)}`;
                const init = {
                    method,
                    headers: { 'content-type': 'application/json' },
                    body: method === 'GET' ? undefined : '{}',
                };
                const withKey = await fetch(url, { ...init, headers: { ...init.headers, 'x-functions-key': KEY } });
                expect(await answeredByRouter(withKey), `${method} ${fn.route} (${fn.name})`).toBe(false);
                const withoutKey = await fetch(url, init);
                if (fn.authLevel === 'anonymous') expect(withoutKey.status, fn.name).not.toBe(401);
                else expect(withoutKey.status, fn.name).toBe(401);
                await withoutKey.arrayBuffer();
            }
        }
    });

    it('answers 404 for a route nothing registered and 405 for a method a route was not registered with', async () => {
        const none = await fetch(`${server.url}/nothing-here`, { headers: { 'x-functions-key': KEY } });
        expect(none.status).toBe(404);
        await none.arrayBuffer();
        const health = functions.find((fn) => fn.name === 'health')!;
        expect(health.methods).not.toContain('DELETE');
        const wrongMethod = await fetch(`${server.url}/${health.route}`, { method: 'DELETE' });
        expect(wrongMethod.status).toBe(405);
        await wrongMethod.arrayBuffer();
    });

    it('refuses to start when a registered HTTP function has no handler here', () => {
        const extra = { ...functions[0]!, name: 'somethingNew', route: 'something-new' };
        expect(() => routesFrom([...functions, extra], {})).toThrow(/no handler for .*somethingNew/);
    });

    it('turns route templates into patterns: literal segments, one segment per parameter', () => {
        expect(routePattern('incidents/{id}').exec('/api/incidents/hti-1')?.groups).toEqual({ id: 'hti-1' });
        expect(routePattern('incidents/{id}').test('/api/incidents/a/b')).toBe(false);
        expect(routePattern('openapi.json').test('/api/openapiXjson')).toBe(false);
        expect(() => routePattern('files/{*rest}')).toThrow(/not supported/);
    });
});
