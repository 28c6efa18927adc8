/**
 * @module The in-memory incident publisher: keeps the latest row per (incident id, version), the way the
 * workspace's analytics rule sees them. Tests and the outbox use `failNext` to make the next publish fail.
 */
import type { Incident } from '../correlate/incident';
import type { IncidentDeliveryError } from '../errors';
import type { IncidentPublisher } from './incidentPublisher';
import { toIncidentRow } from '../delivery/incidentRow';

export class InMemoryIncidentPublisher implements IncidentPublisher {
    private readonly delivered = new Map<string, Record<string, unknown>>();
    private readonly failures: ((incidents: readonly Incident[]) => IncidentDeliveryError)[] = [];
    /** Calls made, delivered or not. */
    calls = 0;

    constructor(
        readonly name = 'memory',
        private readonly now: () => Date = () => new Date(),
    ) {}

    /** The next publish throws the error this returns (for the versions it was given) and delivers nothing. */
    failNext(error: (incidents: readonly Incident[]) => IncidentDeliveryError): void {
        this.failures.push(error);
    }

    publish(incidents: readonly Incident[]): Promise<void> {
        this.calls++;
        const failure = this.failures.shift();
        if (failure) return Promise.reject(failure(incidents));
        const now = this.now();
        for (const incident of incidents)
            this.delivered.set(`${incident.id}\u0000${incident.version}`, toIncidentRow(incident, now));
        return Promise.resolve();
    }

    /** One row per delivered (id, version), in delivery order. */
    rows(): Record<string, unknown>[] {
        return [...this.delivered.values()];
    }
}
