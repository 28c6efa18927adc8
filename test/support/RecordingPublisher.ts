/**
 * An incident publisher for tests that counts what it accepted per (id, version) and can fail on chosen calls,
 * before taking anything (the destination was down) or after taking everything (the response was lost).
 */
import type { Incident } from '../../shared/correlate/incident';
import { StorageUnavailableError } from '../../shared/errors';
import type { IncidentPublisher } from '../../shared/ports/incidentPublisher';

export type PublishFault = 'before' | 'after' | undefined;

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
        for (const incident of incidents) {
            const key = `${incident.id}@${String(incident.version)}`;
            this.accepted.set(key, (this.accepted.get(key) ?? 0) + 1);
            const held = this.latest.get(incident.id);
            if (!held || held.version <= incident.version) this.latest.set(incident.id, structuredClone(incident));
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
