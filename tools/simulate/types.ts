/** @module The public shapes of `hollowtrace simulate`: options, the flat events it emits, the attacks it injects. */

/** The `Channel` of every simulated event. */
export const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';

/** The attack kinds the simulator can inject, each modelled on one real recording. */
export type AttackKind = 'hollowing' | 'remote-thread-dll' | 'shellcode-thread' | 'herpaderping' | 'unbacked-creator';
export const ATTACK_KINDS: readonly AttackKind[] = [
    'hollowing',
    'remote-thread-dll',
    'shellcode-thread',
    'herpaderping',
    'unbacked-creator',
];

/** The ATT&CK technique an attack is meant to be (attack.mitre.org/techniques/T1055). */
export type AttackTechnique = 'T1055' | 'T1055.001' | 'T1055.002' | 'T1055.012';

/** Ground truth for one injected attack. GUIDs are lower case without braces, as incidents report them. */
export interface InjectedAttack {
    kind: AttackKind;
    host: string;
    injectorImage: string;
    targetImage: string;
    injectorGuid: string;
    targetGuid: string;
    technique: AttackTechnique;
    /** ISO time of the first event of the injection itself (after the attack's preparation). */
    at: string;
    /** The real recording the sequence copies. */
    modeledOn: string;
}

/** What to simulate; `seed` and `start` together fix the stream. */
export interface SimulateOptions {
    hosts: number;
    /** Average background events per second per host; each attack adds its own few dozen events on top. */
    eventsPerSecond: number;
    durationSeconds: number;
    attacks: number;
    seed: number;
    /** Simulated time of the first event. */
    start: Date;
    /** Kinds to inject, round-robin; all kinds when absent. */
    attackKinds?: readonly AttackKind[];
}

/**
 * One event in the flat `.sysmon.jsonl` shape: the System fields, then the EventData fields under their Sysmon names,
 * every EventData value a string (as `tools/flatten_sysmon.py` writes them).
 */
export interface FlatSysmonEvent {
    EventID: number;
    Channel: string;
    Computer: string;
    TimeCreated: string;
    EventRecordID: number;
    UtcTime: string;
    [field: string]: string | number;
}

/** A planned simulation: the lazy event stream and the ground truth of its attacks. */
export interface SimulatedStream {
    /** Every iteration regenerates the same events from the seed; events are in time order across hosts. */
    events: Iterable<FlatSysmonEvent>;
    attacks: InjectedAttack[];
    hosts: string[];
    startMs: number;
    endMs: number;
}
