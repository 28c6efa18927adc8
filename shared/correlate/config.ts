/**
 * @module Every threshold, window, weight and allow-list of the correlator, in one documented place.
 *
 * Weights are points out of 100; a chain becomes an incident at `incidentThreshold`. The primary signals are each
 * strong enough alone (a published single-event rule backs each one); context signals only add to a chain that
 * already has evidence. Sources for the windows: detection-anchors.md §10.2 (Elastic's EID 1 -> EID 10 sequence:
 * 1 minute; MITRE DET0382 create -> resume: 5-10 s; herpaderping start -> overwrite: 5 s).
 */

export type SignalName =
    | 'remote-thread-unbacked'
    | 'remote-thread-loadlibrary'
    | 'remote-thread-foreign-module'
    | 'access-direct-syscall'
    | 'access-bof-injection-pattern'
    | 'creator-access-from-unbacked-code'
    | 'native-process-creation'
    | 'image-written-before-start'
    | 'creator-reopened-with-code-rights'
    | 'third-party-access-from-unbacked-code'
    | 'third-party-code-access'
    | 'access-from-user-writable-module'
    | 'image-replaced'
    | 'image-locked'
    | 'hollowing-host-without-arguments'
    | 'hollowing-host-unexpected-parent'
    | 'hollowing-host-network'
    | 'follow-up-network'
    | 'follow-up-child-process'
    | 'follow-up-unsigned-image';

export interface SignalDefinition {
    points: number;
    /** Primary signals can open an incident; context signals only add to one. */
    kind: 'primary' | 'context';
    /** One line for the explanation and the playbook comment. */
    summary: string;
    /** Where the idea comes from (detection-anchors.md sections and the rules they cite). */
    source: string;
}

export const SIGNALS: Readonly<Record<SignalName, SignalDefinition>> = {
    'remote-thread-unbacked': {
        points: 60,
        kind: 'primary',
        summary: 'a remote thread was started at an address no module backs (injected code)',
        source: 'Sigma create_remote_thread_win_susp_password_dumper_lsass (StartModule empty); detection-anchors.md §1.5, §4.3',
    },
    'remote-thread-loadlibrary': {
        points: 60,
        kind: 'primary',
        summary: 'a remote thread was started at LoadLibrary (classic DLL injection)',
        source: 'Sigma create_remote_thread_win_loadlibrary; detection-anchors.md §4.3',
    },
    'remote-thread-foreign-module': {
        points: 55,
        kind: 'primary',
        summary: 'a remote thread was started in a module outside the Windows folders',
        source: 'derived from detection-anchors.md §4.3 (StartModule is the injected DLL); KeeFarce BootstrapDLL.dll',
    },
    'access-direct-syscall': {
        points: 60,
        kind: 'primary',
        summary: 'the process handle was opened by a direct system call (the call did not come through ntdll)',
        source: 'Sigma proc_access_win_susp_direct_ntopenprocess_call; sysmon-modular include_syscalls.xml; detection-anchors.md §4.2, §8',
    },
    'access-bof-injection-pattern': {
        points: 55,
        kind: 'primary',
        summary:
            'the handle was opened by the three-frame stack of a Cobalt Strike injection BOF (ntdll, KERNELBASE, unbacked code)',
        source: 'Sigma proc_access_win_hktl_cobaltstrike_bof_injection_pattern (GrantedAccess 0x1028 or 0x1fffff); detection-anchors.md §4.2',
    },
    'creator-access-from-unbacked-code': {
        points: 55,
        kind: 'primary',
        summary: 'the creator opened its new child from code running in memory no module backs',
        source: 'Elastic defense_evasion_suspicious_process_creation_calltrace (T1055.012); detection-anchors.md §0.2, §5.1',
    },
    'native-process-creation': {
        points: 45,
        kind: 'primary',
        summary: 'the child was created through the native API (no CreateProcess frames), as image-tampering tools do',
        source: 'derived: herpaderping/doppelganging create the process from a section (NtCreateProcessEx); detection-anchors.md §1.7',
    },
    'image-written-before-start': {
        points: 15,
        kind: 'context',
        summary: "the creator wrote the child's image file just before starting it",
        source: 'herpaderping sequence, detection-anchors.md §1.7 and §10.2 (start -> overwrite within seconds)',
    },
    'creator-reopened-with-code-rights': {
        points: 35,
        kind: 'primary',
        summary: 'the creator opened its child again with rights to write or run code, beyond the creation handle',
        source: 'detection-anchors.md §3.3 (rights the hollowing steps need beyond CreateProcess)',
    },
    'third-party-access-from-unbacked-code': {
        points: 35,
        kind: 'primary',
        summary: 'another process opened this one with rights to write or run code, from memory no module backs',
        source: 'Sigma proc_access_win_susp_potential_shellcode_injection (UNKNOWN in CallTrace with 0x147a/0x1f3fff); detection-anchors.md §4.2',
    },
    'third-party-code-access': {
        points: 10,
        kind: 'context',
        summary: 'a process outside the Windows folders opened this one with rights to write or run code',
        source: 'detection-anchors.md §3.3 (opened-process injection needs VM_OPERATION|VM_WRITE)',
    },
    'access-from-user-writable-module': {
        points: 20,
        kind: 'context',
        summary: 'the code that asked for the handle lives in a user-writable folder',
        source: 'derived: side-loaded DLLs in C:\\Users / ProgramData (EVTX-ATTACK-SAMPLES sideloading recordings)',
    },
    'image-replaced': {
        points: 60,
        kind: 'primary',
        summary: "Sysmon saw the process image replaced in memory ('Image is replaced')",
        source: 'Sigma proc_tampering_susp_process_hollowing (EID 25); detection-anchors.md §1.7, §4.1',
    },
    'image-locked': {
        points: 25,
        kind: 'context',
        summary: "Sysmon saw the image file locked for access around mapping ('Image is locked for access')",
        source: 'Elastic Defend "Process Tampering: Image is locked for access"; detection-anchors.md §1.7',
    },
    'hollowing-host-without-arguments': {
        points: 15,
        kind: 'context',
        summary: 'the target is a usual hollowing host started without its usual arguments',
        source: 'Sigma/Splunk/Elastic hollowing-host rules; detection-anchors.md §0.6, §4.4',
    },
    'hollowing-host-unexpected-parent': {
        points: 15,
        kind: 'context',
        summary: 'the target is a usual hollowing host started by a process that never starts it',
        source: 'Elastic privilege_escalation_unusual_parentchild_relationship (T1055.012); Sigma proc_creation_win_svchost_uncommon_parent_process; detection-anchors.md §4.4, §5.1',
    },
    'hollowing-host-network': {
        points: 35,
        kind: 'primary',
        summary: 'that host, started unusually, made a network connection soon after (a hollowed host calling out)',
        source: 'Sigma net_connection_win_susp_binary_no_cmdline (high: regsvr32/rundll32/dllhost with a bare command line connecting) and net_connection_win_notepad (high, port 9100 printing excluded); detection-anchors.md §4.5',
    },
    'follow-up-network': {
        points: 10,
        kind: 'context',
        summary: 'the target made network connections after the injection',
        source: 'Sigma network_connection rules for hollowed hosts; detection-anchors.md §4.5',
    },
    'follow-up-child-process': {
        points: 10,
        kind: 'context',
        summary: 'the target started child processes after the injection',
        source: 'detection-anchors.md §3.3 (follow-on EID 1 from the host)',
    },
    'follow-up-unsigned-image': {
        points: 10,
        kind: 'context',
        summary: 'the target loaded unsigned images after the injection',
        source: 'Elastic AnomalousNETRuntimeFilelessInjection (image loads into LOLBins); detection-anchors.md §7.3',
    },
};

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
    /** Wall-clock retention of an expired chain's tombstone (its incident's last version), from its expiry. */
    chainTombstoneRetentionMs: number;
    /** Evidence events kept per chain (the 88 identical remote threads of a psinject do not all need keeping). */
    maxEvidencePerChain: number;
    /**
     * Usual hollowing hosts (lower-case base names, detection-anchors.md §0.6) with the arguments they normally run with
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
