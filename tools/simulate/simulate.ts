/**
 * @module `hollowtrace simulate`: a seeded generator of realistic Sysmon telemetry for a small fleet, with background
 * activity and a few injected attacks, in the flat JSON-lines shape of `../shared/datasets/*.sysmon.jsonl.gz`.
 *
 * The background copies what the Security-Datasets captures show around every process start (the creator, csrss.exe
 * and lsass.exe open the child; conhost.exe opens console clients; Program Files and .NET programs create children
 * through their own or JIT frames), plus image loads, connections, file and registry writes, query-only handle
 * opens and csrss.exe `CtrlRoutine` threads: the noise that makes naive injection rules fire. Each attack copies one
 * real recording described in ../shared/datasets/README.md (cited at its builder). Nothing is tuned to the detector.
 *
 * Streaming: events come from a generator that keeps only pending events (a priority queue ordered by time), so an
 * hour of a busy fleet never sits in memory. Pure apart from its own state: the seed and `start` fix the output.
 */
import { BackgroundHost } from './BackgroundHost';
import { Emitter } from './Emitter';
import { BUILDERS } from './attackScripts';
import { bareGuid, hostName, makeHostProfile } from './hostProfiles';
import type { HostProfile } from './hostProfiles';
import { ATTACK_KINDS } from './types';
import type { AttackKind, FlatSysmonEvent, InjectedAttack, SimulateOptions, SimulatedStream } from './types';
import { Rng, deriveSeed } from './Rng';

const MAX_HOSTS = 10_000;
const MAX_EVENTS_PER_SECOND = 100_000;
/** Attack preparations (the dropper started, the DLL written) need some simulated time before the injection. */
const MIN_ATTACK_DURATION_SECONDS = 30;

/** Says what is wrong with the options, or `undefined` when they are usable. */
export function validateSimulateOptions(options: SimulateOptions): string | undefined {
    const { hosts, eventsPerSecond, durationSeconds, attacks, seed, start, attackKinds } = options;
    if (!Number.isSafeInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS)
        return `hosts must be an integer from 1 to ${MAX_HOSTS}, got ${hosts}`;
    if (!Number.isFinite(eventsPerSecond) || eventsPerSecond <= 0 || eventsPerSecond > MAX_EVENTS_PER_SECOND) {
        return `eventsPerSecond must be above 0 and at most ${MAX_EVENTS_PER_SECOND}, got ${eventsPerSecond}`;
    }
    if (!Number.isFinite(durationSeconds) || durationSeconds <= 0)
        return `durationSeconds must be above 0, got ${durationSeconds}`;
    if (!Number.isSafeInteger(attacks) || attacks < 0) return `attacks must be a non-negative integer, got ${attacks}`;
    if (attacks > 0 && durationSeconds < MIN_ATTACK_DURATION_SECONDS) {
        return `attacks need a duration of at least ${MIN_ATTACK_DURATION_SECONDS} s (each is prepared before it runs), got ${durationSeconds}`;
    }
    if (!Number.isSafeInteger(seed)) return `seed must be an integer, got ${seed}`;
    if (!(start instanceof Date) || Number.isNaN(start.getTime())) return 'start must be a valid date';
    if (attackKinds !== undefined) {
        if (attackKinds.length === 0) return 'attackKinds must name at least one kind';
        const unknown = attackKinds.filter((kind) => !ATTACK_KINDS.includes(kind));
        if (unknown.length > 0)
            return `unknown attack kinds: ${unknown.join(', ')} (known: ${ATTACK_KINDS.join(', ')})`;
    }
    return undefined;
}

/** The longest preparation any builder asks for; nearer the start of the stream it is shrunk proportionally. */
const LONGEST_PREPARATION_MS = 240_000;

interface PlannedEvent {
    t: number;
    host: number;
    event: FlatSysmonEvent;
}

interface FleetPlan {
    seed: number;
    startMs: number;
    endMs: number;
    eventsPerSecond: number;
    profiles: HostProfile[];
    attackEvents: PlannedEvent[];
}

function planAttacks(
    options: SimulateOptions,
    profiles: HostProfile[],
    startMs: number,
    endMs: number,
): { attacks: InjectedAttack[]; events: PlannedEvent[] } {
    const kinds = options.attackKinds ?? ATTACK_KINDS;
    const rng = new Rng(deriveSeed(options.seed, 'attack-plan'));
    const duration = endMs - startMs;
    const explorerTaken = new Set<number>();
    const attacks: InjectedAttack[] = [];
    const events: PlannedEvent[] = [];
    for (let i = 0; i < options.attacks; i++) {
        const kind = kinds[i % kinds.length] as AttackKind;
        let hostIndex = rng.int(profiles.length);
        if (kind === 'shellcode-thread' && explorerTaken.has(hostIndex)) {
            // Prefer a host whose explorer.exe is still untouched, so each attack keeps its own target.
            const free = profiles.map((p) => p.index).filter((index) => !explorerTaken.has(index));
            if (free.length > 0) hostIndex = rng.pick(free);
        }
        const profile = profiles[hostIndex] as HostProfile;
        const earliest = startMs + Math.max(8_000, duration * 0.1);
        const latest = startMs + duration * 0.8;
        const at = Math.floor(earliest + rng.next() * Math.max(0, latest - earliest));
        const emitter = new Emitter(
            profile,
            new Rng(deriveSeed(options.seed, 'attack', i)),
            (t, event) => events.push({ t, host: hostIndex, event }),
            () => profile.attackCounter++,
        );
        const build = BUILDERS[kind]({
            em: emitter,
            at,
            scale: Math.min(1, (at - startMs - 2_000) / LONGEST_PREPARATION_MS),
            explorerTaken: explorerTaken.has(hostIndex),
        });
        if (kind === 'shellcode-thread' && build.target === profile.procs.explorer) explorerTaken.add(hostIndex);
        attacks.push({
            kind,
            host: profile.name,
            injectorImage: build.injector.image.path,
            targetImage: build.target.image.path,
            injectorGuid: bareGuid(build.injector.guid),
            targetGuid: bareGuid(build.target.guid),
            technique: build.technique,
            at: new Date(at).toISOString(),
            modeledOn: build.modeledOn,
        });
    }
    attacks.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return { attacks, events };
}

// ------------------------------------------------------------------------------------------------ merge by time

interface Pending {
    t: number;
    seq: number;
    host: number;
    /** Undefined marks the host's next background episode. */
    event: FlatSysmonEvent | undefined;
}

/** A binary min-heap on (time, insertion order): equal times leave in the order they were queued. */
class PendingQueue {
    private readonly items: Pending[] = [];
    private seq = 0;

    get size(): number {
        return this.items.length;
    }

    push(t: number, host: number, event: FlatSysmonEvent | undefined): void {
        const items = this.items;
        const entry: Pending = { t, seq: this.seq++, host, event };
        let i = items.length;
        items.push(entry);
        while (i > 0) {
            const parent = (i - 1) >> 1;
            const above = items[parent] as Pending;
            if (above.t < t || (above.t === t && above.seq < entry.seq)) break;
            items[i] = above;
            i = parent;
        }
        items[i] = entry;
    }

    pop(): Pending | undefined {
        const items = this.items;
        const top = items[0];
        const last = items.pop();
        if (top === undefined || last === undefined || items.length === 0) return top;
        const n = items.length;
        let i = 0;
        for (;;) {
            const left = 2 * i + 1;
            if (left >= n) break;
            const right = left + 1;
            let child = left;
            let c = items[left] as Pending;
            if (right < n) {
                const r = items[right] as Pending;
                if (r.t < c.t || (r.t === c.t && r.seq < c.seq)) {
                    child = right;
                    c = r;
                }
            }
            if (last.t < c.t || (last.t === c.t && last.seq < c.seq)) break;
            items[i] = c;
            i = child;
        }
        items[i] = last;
        return top;
    }
}

function* generateEvents(plan: FleetPlan): Generator<FlatSysmonEvent> {
    const queue = new PendingQueue();
    const meanGapPerEvent = 1000 / plan.eventsPerSecond;
    const hosts = plan.profiles.map((profile) => {
        const rng = new Rng(deriveSeed(plan.seed, 'background', profile.index));
        return new BackgroundHost(profile, rng, (t, event) => queue.push(t, profile.index, event), plan.endMs);
    });
    const recordIds = plan.profiles.map((profile) => profile.recordStart);
    for (const planned of plan.attackEvents) queue.push(planned.t, planned.host, { ...planned.event });
    for (const host of hosts)
        queue.push(
            plan.startMs + Math.floor(host.em.rng.exponential(4 * meanGapPerEvent)),
            host.profile.index,
            undefined,
        );

    for (;;) {
        const next = queue.pop();
        if (next === undefined || next.t >= plan.endMs) return;
        if (next.event === undefined) {
            // An episode only queues events at its own time or later, so everything already popped stays in order.
            const host = hosts[next.host] as BackgroundHost;
            const made = host.episode(next.t);
            // The next episode waits, on average, as long as the events just made take at the target rate.
            const gap = host.em.rng.exponential(Math.max(1, made) * meanGapPerEvent);
            queue.push(next.t + Math.max(1, Math.floor(gap)), next.host, undefined);
            continue;
        }
        // Record ids count up per host in the order events are written, as the Sysmon channel numbers them.
        const recordId = (recordIds[next.host] ?? 0) + 1;
        recordIds[next.host] = recordId;
        next.event.EventRecordID = recordId;
        yield next.event;
    }
}

// ------------------------------------------------------------------------------------------------ entry point

/**
 * Plans a fleet and its attacks and returns the event stream (lazy, re-iterable, deterministic for a given seed and
 * start) with the ground truth of the injected attacks. Throws a RangeError for unusable options.
 * @example const { events, attacks } = simulateFleet({ hosts: 3, eventsPerSecond: 20, durationSeconds: 300, attacks: 5, seed: 1, start: new Date('2024-05-01T10:00:00Z') });
 */
export function simulateFleet(options: SimulateOptions): SimulatedStream {
    const problem = validateSimulateOptions(options);
    if (problem !== undefined) throw new RangeError(problem);
    const startMs = Math.floor(options.start.getTime());
    const endMs = startMs + Math.round(options.durationSeconds * 1000);
    const layout = new Rng(deriveSeed(options.seed, 'fleet'));
    const serverCount = options.hosts === 1 ? 0 : Math.max(1, Math.round(options.hosts / 5));
    const serverSlots = new Set<number>();
    while (serverSlots.size < serverCount) serverSlots.add(layout.int(options.hosts));
    let servers = 0;
    let workstations = 0;
    const profiles: HostProfile[] = [];
    for (let index = 0; index < options.hosts; index++) {
        const server = serverSlots.has(index);
        const name = hostName(server, server ? ++servers : ++workstations);
        profiles.push(makeHostProfile(index, server, name, options.seed, startMs));
    }
    const { attacks, events } = planAttacks(options, profiles, startMs, endMs);
    const plan: FleetPlan = {
        seed: options.seed,
        startMs,
        endMs,
        eventsPerSecond: options.eventsPerSecond,
        profiles,
        attackEvents: events,
    };
    return {
        events: { [Symbol.iterator]: () => generateEvents(plan) },
        attacks,
        hosts: profiles.map((p) => p.name),
        startMs,
        endMs,
    };
}
