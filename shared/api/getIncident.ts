import { ApiProblem, json } from './http';
import type { HttpResult } from './http';
import type { IncidentsApiDependencies } from './incidentsApiDependencies';
import { withDecodedAccess } from './withDecodedAccess';

const INCIDENT_ID = /^hti-[0-9a-f]{14}$/;

/** GET /api/incidents/{id} */
export async function getIncident(id: string | undefined, deps: IncidentsApiDependencies): Promise<HttpResult> {
    if (id === undefined || !INCIDENT_ID.test(id))
        throw new ApiProblem(400, 'invalid-id', 'id must look like hti-<14 hex digits>', 'id');
    const incident = await deps.incidents.get(id);
    if (!incident) throw new ApiProblem(404, 'incident-not-found', `no incident ${id}`, 'id');
    return json(200, withDecodedAccess(incident));
}
