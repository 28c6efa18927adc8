/**
 * An incident publisher for tests that counts what it accepted per (id, version) and can fail on chosen calls,
 * before taking anything (the destination was down) or after taking everything (the response was lost).
 */
import type { Incident } from '../../shared/correlate/incident';
import { DeliveryUnavailableError, StorageUnavailableError } from '../../shared/errors';
import type { IncidentPublisher } from '../../shared/ports/incidentPublisher';

/**
 * `partial`: takes the first half of the call's versions (at least one) and fails naming the others, as an upload
 * sent in chunks does when some chunks land and others do not.
 */
export type PublishFault = 'before' | 'after' | 'partial' | undefined;

export class RecordingPublisher implements IncidentPublisher {
    /** Times each `id@version` was taken. */
    readonly accepted = new Map<string, number>();
    /** The highest version taken per id, as an idempotent destination would hold it. */
    readonly latest = new Map<string, Incident>();
    calls = 0;

    constructor(
        readonly name = 'incidents',
        private readonly fault: (call: number) => PublishFault = () => undefined,
    ) {}

    publish(incidents: readonly Incident[]): Promise<void> {
        const call = ++this.calls;
        const fault = this.fault(call);
        if (fault === 'before') return Promise.reject(new StorageUnavailableError(`${this.name} is down (test)`));
        const taken =
            fault === 'partial' ? incidents.slice(0, Math.max(1, Math.floor(incidents.length / 2))) : incidents;
        for (const incident of taken) {
            const key = `${incident.id}@${String(incident.version)}`;
            this.accepted.set(key, (this.accepted.get(key) ?? 0) + 1);
            const held = this.latest.get(incident.id);
            if (!held || held.version <= incident.version) this.latest.set(incident.id, structuredClone(incident));
        }
        if (fault === 'partial') {
            const failed = incidents.slice(taken.length).map((i) => ({ id: i.id, version: i.version }));
            return Promise.reject(
                new DeliveryUnavailableError(`${this.name}: ${failed.length} not taken (test)`, failed, [503]),
            );
        }
        if (fault === 'after') return Promise.reject(new StorageUnavailableError(`${this.name}: response lost (test)`));
        return Promise.resolve();
    }

    /** `id@version` keys taken, sorted. */
    versions(): string[] {
        return [...this.accepted.keys()].sort();
    }

    /** `id@version` of the highest version per id, sorted. */
    finalVersions(): string[] {
        return [...this.latest.values()].map((i) => `${i.id}@${String(i.version)}`).sort();
    }
}
