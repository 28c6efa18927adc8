/**
 * @module The incident table as an incident publisher: what `GET /api/incidents` serves is delivered through the same
 * outbox as every other destination. Idempotent by (id, version) because the store never replaces a newer version.
 */
import type { Incident } from '../correlate/incident';
import type { IncidentPublisher } from '../ports/incidentPublisher';
import type { IncidentStore } from '../ports/incidentStore';

export class IncidentStorePublisher implements IncidentPublisher {
    readonly name = 'incidents';

    constructor(private readonly store: IncidentStore) {}

    publish(incidents: readonly Incident[]): Promise<void> {
        return this.store.upsert(incidents);
    }
}
