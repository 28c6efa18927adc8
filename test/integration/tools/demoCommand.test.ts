/**
 * `npm run demo` end to end on a fresh machine: Azurite in-process, a simulated fleet, both stages with Table
 * state, the API served locally; every injected attack is found and the example requests work.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../../tools/cli/demoCommand';
import { WorkspaceIncidentEnricher } from '../../../shared/api/WorkspaceIncidentEnricher';

function baseName(path: string | undefined): string {
    return (path ?? '?').split(/[\\/]/).pop()!.toLowerCase();
}

describe('demo', () => {
    it('finds exactly the injected attacks and serves them over the playbook API', async () => {
        let printed = '';
        const demo = await runDemo({
            port: 0,
            seed: 11,
            hosts: 3,
            attacks: 5,
            durationSeconds: 120,
            eventsPerSecond: 10,
            serve: false,
            enricher: new WorkspaceIncidentEnricher(undefined, 1_000),
            out: (t) => (printed += t),
        });
        try {
            const found = demo.incidents
                .map((i) => `${i.host}|${baseName(i.injector.image)}|${baseName(i.target.image)}`)
                .sort();
            const injected = demo.attacks
                .map((a) => `${a.host.toLowerCase()}|${baseName(a.injectorImage)}|${baseName(a.targetImage)}`)
                .sort();
            expect(found).toEqual(injected);
            expect(printed).toMatch(/curl -s .*\/incidents\/enrich/);

            // Sentinel: every incident version was uploaded through the real client to the ingestion stand-in, and
            // each is printed with its row and the alert the NRT rule raises (skipped visibly without openssl).
            if (demo.sentinel) {
                const counts = new Map<string, number>();
                for (const row of demo.sentinel.standIn.accepted()) {
                    const key = `${String(row.IncidentId)}#${String(row.Version)}`;
                    counts.set(key, (counts.get(key) ?? 0) + 1);
                }
                // Through the outbox, every committed version is uploaded once, the final ones included.
                expect([...counts.values()].every((n) => n === 1)).toBe(true);
                for (const incident of demo.incidents) expect(counts.get(`${incident.id}#${incident.version}`)).toBe(1);
                for (const incident of demo.incidents) {
                    expect(printed).toContain(`IncidentId=${incident.id} Version=${incident.version}`);
                    expect(printed).toContain(
                        `alert  "Process injection: ${incident.injector.image ?? ''} → ${incident.target.image ?? ''} on ${incident.host}" (${incident.severity};`,
                    );
                }
                expect(printed).toMatch(/Host\(HostName=[^)]+\)/);
            } else expect(printed).toContain('Sentinel delivery preview skipped: openssl is not on PATH');

            const headers = { 'x-functions-key': demo.functionKey, 'content-type': 'application/json' };
            const list = (await (await fetch(`${demo.server.url}/incidents`, { headers })).json()) as {
                incidents: unknown[];
            };
            expect(list.incidents).toHaveLength(demo.incidents.length);
            const target = demo.incidents[0]!;
            const answer = (await (
                await fetch(`${demo.server.url}/incidents/enrich`, {
                    method: 'POST',
                    headers,
                    body: JSON.stringify([
                        { kind: 'Host', properties: { hostName: target.host.split('.')[0]!.toUpperCase() } },
                    ]),
                })
            ).json()) as { matched: { id: string; enrichment: { status: string; lines: string[] } }[] };
            expect(answer.matched.map((m) => m.id)).toContain(target.id);
            expect(answer.matched[0]!.enrichment).toEqual({
                status: 'unavailable',
                lines: ['not available: workspace not configured'],
            });
        } finally {
            await demo.close();
        }
    });

    it('a busy port ends the demo with a message naming the port and --port', async () => {
        const holder = createServer();
        await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
        const { port } = holder.address() as AddressInfo;
        try {
            await expect(
                runDemo({
                    port,
                    seed: 1,
                    hosts: 1,
                    attacks: 1,
                    durationSeconds: 30,
                    eventsPerSecond: 5,
                    serve: false,
                    out: () => undefined,
                }),
            ).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
        } finally {
            await new Promise<void>((resolve) => holder.close(() => resolve()));
        }
    });
});
