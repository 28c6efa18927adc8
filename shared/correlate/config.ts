/**
 * @module Every threshold, window and allow-list of the correlator, in one documented place; the signals and their
 * points are data in `signals.ts`.
 *
 * Weights are points out of 100; a chain becomes an incident at `incidentThreshold`. The primary signals are each
 * strong enough alone (a published single-event rule backs each one); context signals only add to a chain that
 * already has evidence. The windows follow published rules (docs/detection.md, "Windows"): Elastic's "Suspicious
 * Process Creation CallTrace" joins the EID 1 and the EID 10 within 1 minute; herpaderping overwrites the file
 * seconds after creating the section (https://jxy-s.github.io/herpaderping/).
 */

export type { SignalDefinition, SignalName, SignalSide } from './signals';
export { SIGNALS, SIGNAL_NAMES } from './signals';

export interface CorrelationConfig {
    /** A chain with at least this many points is an incident. */
    incidentThreshold: number;
    /** Sentinel severities (High, Medium, Low, Informational): score at or above `high` is High, above `medium` Medium. */
    severity: { high: number; medium: number };
    /** An EID 10 within this much event time of the child's EID 1 is the creation handle (the recordings show 0-40 ms). */
    creationAccessWindowMs: number;
    /** EID 11 of the image by the creator this long before EID 1 counts as "written before start". */
    imageWriteWindowMs: number;
    /** Follow-ups (network, children, unsigned loads) count this long after the first primary signal. */
    followUpWindowMs: number;
    /**
     * Wall-clock retention of process records, file records and chains without an incident, counted from their last
     * change: evidence that arrives later than this after the previous piece of its chain starts a new chain.
     */
    pendingRetentionMs: number;
    /** Wall-clock retention of chains that became incidents (the incident itself lives in the incident store). */
    incidentChainRetentionMs: number;
    /**
     * Wall-clock retention of the tombstone of an expired chain that had become an incident (its last version), from
     * its expiry. Tombstones of chains that had not are kept `pendingRetentionMs`.
     */
    chainTombstoneRetentionMs: number;
    /** Evidence events kept per chain (the 88 identical remote threads of a psinject do not all need keeping). */
    maxEvidencePerChain: number;
    /**
     * Usual hollowing hosts (lower-case base names; the Sigma, Elastic and Splunk rules named in docs/detection.md) with
     * the arguments they normally run with
     * and, where the sources name them, the only processes that normally start them (lower-case base names).
     */
    hollowingHosts: Readonly<
        Record<string, { requiresArguments: RegExp | undefined; expectedParents?: readonly string[] }>
    >;
    /** Source images (lower-case base names) whose accesses and threads are never signals; empty by default. */
    allowedSourceImages: readonly string[];
    /**
     * Targets whose handles credential-dumping tools open with the same rights injection needs (lower-case base
     * names). Process-access signals into them count as context only: a remote thread or image tampering must
     * show the injection (the recordings' lsass reads by mimikatz and rdrleakdiag are not injection).
     */
    credentialStoreTargets: readonly string[];
}

export const DEFAULT_CORRELATION_CONFIG: CorrelationConfig = {
    incidentThreshold: 50,
    severity: { high: 80, medium: 50 },
    creationAccessWindowMs: 2_000,
    imageWriteWindowMs: 60_000,
    followUpWindowMs: 10 * 60_000,
    pendingRetentionMs: 60 * 60_000,
    incidentChainRetentionMs: 7 * 24 * 60 * 60_000,
    chainTombstoneRetentionMs: 400 * 24 * 60 * 60_000,
    maxEvidencePerChain: 24,
    hollowingHosts: {
        // svchost always runs a service group: `-k <group>` (Sigma proc_creation_win_svchost_execution_with_no_cli_flags),
        // and is started by the service control manager (Elastic privilege_escalation_unusual_parentchild_relationship:
        // services, MsMpEng, svchost; Sigma proc_creation_win_svchost_uncommon_parent_process adds Mrt, ngen, rpcnet, TiWorker).
        'svchost.exe': {
            requiresArguments: /(^|\s)[-/]k\s/i,
            expectedParents: [
                'services.exe',
                'svchost.exe',
                'msmpeng.exe',
                'mrt.exe',
                'ngen.exe',
                'rpcnet.exe',
                'tiworker.exe',
            ],
        },
        'rundll32.exe': { requiresArguments: undefined },
        'regsvr32.exe': { requiresArguments: undefined },
        // COM surrogates come from the DCOM launcher (Elastic, same rule: dllhost from services or svchost).
        'dllhost.exe': { requiresArguments: undefined, expectedParents: ['services.exe', 'svchost.exe'] },
        'wermgr.exe': { requiresArguments: undefined },
        'werfault.exe': { requiresArguments: undefined },
        'notepad.exe': { requiresArguments: undefined },
        'regasm.exe': { requiresArguments: undefined },
        'regsvcs.exe': { requiresArguments: undefined },
        'installutil.exe': { requiresArguments: undefined },
        // Started by the indexer (Elastic, same rule: SearchIndexer or dllhost).
        'searchprotocolhost.exe': {
            requiresArguments: undefined,
            expectedParents: ['searchindexer.exe', 'dllhost.exe'],
        },
    },
    allowedSourceImages: [],
    credentialStoreTargets: ['lsass.exe'],
};
