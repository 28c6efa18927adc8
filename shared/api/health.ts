import { json } from './http';
import type { HttpResult } from './http';
import type { IncidentsApiDependencies } from './incidentsApiDependencies';

/** GET /api/health: whether storage answers (within the caller's time budget). */
export async function health(
    deps: Pick<IncidentsApiDependencies, 'incidents'>,
    timeoutMs = 5_000,
): Promise<HttpResult> {
    const started = Date.now();
    try {
        await Promise.race([
            deps.incidents.query({ limit: 1 }),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
        ]);
        return json(200, { status: 'ok', storage: 'ok', latencyMs: Date.now() - started });
    } catch {
        return json(503, { status: 'unavailable', storage: 'unavailable', latencyMs: Date.now() - started });
    }
}
