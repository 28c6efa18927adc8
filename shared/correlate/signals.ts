/**
 * @module The signal catalogue: every signal the correlator can raise, as data. Each entry carries its points, its
 * kind, the side of the injection it is evidence on, its ATT&CK mapping, what it means, when it fires on benign
 * activity, what an analyst checks first, and the public rules or papers it comes from. The README's "What it
 * detects" table is checked against this catalogue (test/unit/correlate/signalCatalogue.test.ts), and every signal
 * has a positive and a negative fixture there. Background facts in our own words: docs/detection.md.
 */

export type SignalName =
    | 'remote-thread-unbacked'
    | 'remote-thread-loadlibrary'
    | 'remote-thread-foreign-module'
    | 'access-direct-syscall'
    | 'access-bof-injection-pattern'
    | 'creator-access-from-unbacked-code'
    | 'process-created-from-unbacked-code'
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
    | 'command-line-injection'
    | 'follow-up-network'
    | 'follow-up-child-process'
    | 'follow-up-unsigned-image';

/**
 * Whose side of an injection a signal is evidence on. A process is called injected or hollowed only with `victim`
 * evidence; `actor` evidence describes the code of the process that acted (its creator, its DLLs), `context` neither.
 */
export type SignalSide = 'victim' | 'actor' | 'context';

export interface SignalDefinition {
    /** Stable id: the key of the catalogue, repeated so a definition can travel alone. */
    id: SignalName;
    points: number;
    /** Primary signals can open an incident; context signals only add to one. */
    kind: 'primary' | 'context';
    side: SignalSide;
    /** ATT&CK technique ids the signal is evidence of (attack.mitre.org). */
    attack: readonly string[];
    /** One line for the explanation and the playbook comment. */
    summary: string;
    description: string;
    falsePositives: string;
    /** Possible investigation steps, in the order an analyst takes them. */
    triage: readonly string[];
    /** Public rules, documentation and papers the signal comes from. */
    sources: readonly string[];
}

type Definition = Omit<SignalDefinition, 'id'>;

const SIGMA = 'https://github.com/SigmaHQ/sigma/tree/master';
const ELASTIC = 'https://github.com/elastic/detection-rules/tree/main/rules/windows';

const DEFINITIONS: Readonly<Record<SignalName, Definition>> = {
    'remote-thread-unbacked': {
        points: 60,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055.002', 'T1055'],
        summary: 'a remote thread was started at an address no module backs (injected code)',
        description:
            'EID 8 whose StartModule is empty and whose StartAddress is a user-mode address: another process started a thread in this one at code it wrote there. Kernel-mode start addresses are kernel threads Sysmon attributes to a process and never count.',
        falsePositives:
            'Debuggers and some anti-cheat or security products start threads in shellcode stubs; CLR hosts rarely.',
        triage: [
            'Identify the source process and how it started (parent, command line, signer).',
            'Dump the target thread start region and check it for a PE header or shellcode.',
            'Look for network connections and child processes of the target after the thread start.',
        ],
        sources: [
            `Sigma create_remote_thread_win_susp_password_dumper_lsass (f239b326-2f41-4d6b-9dfa-c846a60ef505, StartModule empty): ${SIGMA}`,
            'https://attack.mitre.org/techniques/T1055/002/',
        ],
    },
    'remote-thread-loadlibrary': {
        points: 60,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055.001'],
        summary: 'a remote thread was started at LoadLibrary (classic DLL injection)',
        description:
            'EID 8 whose StartFunction is LoadLibrary(A|W|ExA|ExW): the thread loads a DLL whose path the source wrote into the target.',
        falsePositives: 'Application compatibility shims, App-V and some accessibility or input tools inject this way.',
        triage: [
            'Find the DLL the target loaded right after the thread start (EID 7) and check its signer and path.',
            'Identify the source process and its parent.',
        ],
        sources: [
            `Sigma create_remote_thread_win_loadlibrary (052ec6f6-1adc-41e6-907a-f1c813478bee): ${SIGMA}`,
            'https://attack.mitre.org/techniques/T1055/001/',
        ],
    },
    'remote-thread-foreign-module': {
        points: 55,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055.001'],
        summary: 'a remote thread was started in a module outside the Windows folders',
        description:
            'EID 8 whose StartModule lies outside the Windows folder: the thread starts in a DLL that was injected first.',
        falsePositives: 'Security products and overlays (game, screen-reader) start threads in their own DLLs.',
        triage: [
            'Check the start module: path, signer, when it was written (EID 11).',
            'Identify the source process and whether it is an installed product.',
        ],
        sources: [
            'Sysmon EID 8 StartModule (Microsoft Learn, Sysmon: https://learn.microsoft.com/sysinternals/downloads/sysmon)',
            'https://attack.mitre.org/techniques/T1055/001/',
        ],
    },
    'access-direct-syscall': {
        points: 60,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055', 'T1106'],
        summary: 'the process handle was opened by a direct system call (the call did not come through ntdll)',
        description:
            "EID 10 with write or thread rights whose innermost CallTrace frame is not a system-call gate (ntdll, win32u, the WoW64 layer): the caller issued NtOpenProcess itself, as tools that evade user-mode hooks do. Not raised for the creator's own creation handle, which describes the creator's code.",
        falsePositives: 'Rare: some games and protected software issue system calls directly.',
        triage: [
            'Identify the source image and its signer.',
            'Look for a remote thread (EID 8) or image loads into the target right after.',
        ],
        sources: [
            `Sigma proc_access_win_susp_direct_ntopenprocess_call (3f3f3506-1895-401b-9cc3-e86b16e630d0): ${SIGMA}`,
            'sysmon-modular include_syscalls.xml: https://github.com/olafhartong/sysmon-modular/tree/master/10_process_access',
        ],
    },
    'access-bof-injection-pattern': {
        points: 55,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055'],
        summary:
            'the handle was opened by the three-frame stack of a Cobalt Strike injection BOF (ntdll, KERNELBASE, unbacked code)',
        description:
            'EID 10 with GrantedAccess 0x1028 or 0x1fffff and a CallTrace of exactly ntdll | KERNELBASE | UNKNOWN(16 hex digits), the stack of a beacon object file that opens a process to inject into it.',
        falsePositives: 'None documented by the rule authors.',
        triage: [
            'Treat the source as a possible beacon: check its network connections and parent.',
            'Check the target for remote threads or new network activity.',
        ],
        sources: [
            `Sigma proc_access_win_hktl_cobaltstrike_bof_injection_pattern (09706624-b7f6-455d-9d02-adee024cee1d): ${SIGMA}`,
        ],
    },
    'creator-access-from-unbacked-code': {
        points: 55,
        kind: 'primary',
        side: 'actor',
        attack: ['T1055'],
        summary: 'the creator opened its new child from code running in memory no module backs',
        description:
            "The creator's handle to its new child came from a CallTrace whose outermost non-Windows frame is UNKNOWN (not .NET JIT code). On the child's chain this is evidence about the creator: the child is called hollowed only with evidence of its own.",
        falsePositives:
            'JIT engines other than .NET and Java (both recognised by their runtime frames), packers and some installers run unbacked code that starts processes.',
        triage: [
            'Treat the creator as running injected or reflectively loaded code (see process-created-from-unbacked-code).',
            'Look for evidence on the child: re-opens with write rights, remote threads, EID 25, network.',
        ],
        sources: [
            `Elastic "Suspicious Process Creation CallTrace" (defense_evasion_suspicious_process_creation_calltrace): ${ELASTIC}`,
        ],
    },
    'process-created-from-unbacked-code': {
        points: 55,
        kind: 'primary',
        side: 'actor',
        attack: ['T1620'],
        summary: 'this process started children from code running in memory no module backs',
        description:
            'A finding on the creator, raised once per creator process: it started one or more children whose creation handle came from unbacked code, and none of those children shows evidence of injection of its own. The creator runs code that no file on disk backs (a reflectively loaded implant stage, or code injected into it earlier). Severity at most Medium; the children are listed as evidence.',
        falsePositives:
            'JIT engines other than .NET and Java (JavaScript engines, emulators), packed or self-modifying installers.',
        triage: [
            'Dump the creator and look for unbacked executable regions (a PE header, a reflective loader).',
            'Check how the creator started and what loaded into it (EID 7, EID 8 into it).',
            'Review what the children did: the commands they ran and whom they contacted.',
        ],
        sources: [
            'https://attack.mitre.org/techniques/T1620/',
            `Elastic "Suspicious Process Creation CallTrace" (defense_evasion_suspicious_process_creation_calltrace): ${ELASTIC}`,
        ],
    },
    'native-process-creation': {
        points: 45,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055'],
        summary: 'the child was created through the native API (no CreateProcess frames), as image-tampering tools do',
        description:
            'The creation handle to the new child came from a module outside Windows that called ntdll directly, without the kernel32/KERNELBASE CreateProcess frames: the process object was built from an image section (NtCreateProcessEx), the way herpaderping and doppelganging create a process whose image differs from the file on disk.',
        falsePositives: 'Very rare outside security research tools and some sandboxes.',
        triage: [
            'Compare the file on disk with the image in memory of the child.',
            'Look for writes to the child image file by the creator (EID 11) around the creation.',
        ],
        sources: ['https://jxy-s.github.io/herpaderping/', 'https://attack.mitre.org/techniques/T1055/013/'],
    },
    'image-written-before-start': {
        points: 15,
        kind: 'context',
        side: 'actor',
        attack: ['T1055'],
        summary: "the creator wrote the child's image file just before starting it",
        description:
            'EID 11 by the creator for the executable the child then runs, within a minute before the EID 1: the first step of image tampering (write, map, overwrite, start).',
        falsePositives: 'Every dropper and installer writes the programs it starts.',
        triage: ['Check the file on disk now against the hashes in the EID 1.'],
        sources: ['https://jxy-s.github.io/herpaderping/'],
    },
    'creator-reopened-with-code-rights': {
        points: 35,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055.012'],
        summary: 'the creator opened its child again with rights to write or run code, beyond the creation handle',
        description:
            'A second handle from the creator to its child, outside the creation moment, with PROCESS_VM_WRITE|PROCESS_VM_OPERATION or PROCESS_CREATE_THREAD: the rights the unmap/write/redirect steps of hollowing need.',
        falsePositives: 'Debuggers and crash reporters reopen their children.',
        triage: [
            'Check the call trace of the reopen for unbacked frames or user-writable DLLs.',
            'Look for network connections or unsigned loads in the child.',
        ],
        sources: [
            'Microsoft Learn, Process Security and Access Rights: https://learn.microsoft.com/windows/win32/procthread/process-security-and-access-rights',
            'https://attack.mitre.org/techniques/T1055/012/',
        ],
    },
    'third-party-access-from-unbacked-code': {
        points: 35,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055'],
        summary: 'another process opened this one with rights to write or run code, from memory no module backs',
        description:
            'EID 10 from a process other than the creator, with write or thread rights, whose CallTrace ends in UNKNOWN frames (not .NET JIT code).',
        falsePositives: 'Non-.NET JIT hosts and some security agents.',
        triage: [
            'Identify the source process and check it for injected code.',
            'Look for remote threads into the target.',
        ],
        sources: [
            `Sigma proc_access_win_susp_potential_shellcode_injection (250ae82f-736e-4844-a68b-0b5e8cc887da): ${SIGMA}`,
        ],
    },
    'third-party-code-access': {
        points: 10,
        kind: 'context',
        side: 'victim',
        attack: ['T1055'],
        summary: 'a process outside the Windows folders opened this one with rights to write or run code',
        description:
            'EID 10 with write or thread rights from a non-creator process whose image lies outside the Windows folder.',
        falsePositives: 'Security products, debuggers, game overlays, remote-support tools.',
        triage: ['Identify the source product and whether it is installed fleet-wide.'],
        sources: [
            'Microsoft Learn, Process Security and Access Rights: https://learn.microsoft.com/windows/win32/procthread/process-security-and-access-rights',
        ],
    },
    'access-from-user-writable-module': {
        points: 20,
        kind: 'context',
        side: 'actor',
        attack: ['T1574.002'],
        summary: 'the code that asked for the handle lives in a user-writable folder',
        description:
            'The outermost non-Windows frame of the CallTrace is a module under a user-writable folder (Users, ProgramData, Temp, a share): typical of a side-loaded DLL.',
        falsePositives: 'Per-user installed software (browsers, collaboration tools) lives under AppData.',
        triage: ['Check the DLL signer and whether a signed program was copied next to it (side-loading).'],
        sources: ['https://attack.mitre.org/techniques/T1574/002/'],
    },
    'image-replaced': {
        points: 60,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055.012'],
        summary: "Sysmon saw the process image replaced in memory ('Image is replaced')",
        description:
            "EID 25 Type 'Image is replaced': the mapped image differs from the file; Program Files and WMIADAP are filtered as Sigma does.",
        falsePositives: 'Software updaters and some .NET native-image processes outside Program Files.',
        triage: ['Dump the process and compare it with the file on disk.', 'Identify the creator.'],
        sources: [`Sigma proc_tampering_susp_process_hollowing (c4b890e5-8d8c-4496-8c66-c805753817cd): ${SIGMA}`],
    },
    'image-locked': {
        points: 25,
        kind: 'context',
        side: 'victim',
        attack: ['T1055'],
        summary: "Sysmon saw the image file locked for access around mapping ('Image is locked for access')",
        description: "EID 25 Type 'Image is locked for access'.",
        falsePositives: 'Backup and update software; WMIADAP (filtered).',
        triage: ['Check which process held the file and whether the file changed afterwards.'],
        sources: ['Sysmon EID 25 ProcessTampering: https://learn.microsoft.com/sysinternals/downloads/sysmon'],
    },
    'hollowing-host-without-arguments': {
        points: 15,
        kind: 'context',
        side: 'victim',
        attack: ['T1055.012'],
        summary: 'the target is a usual hollowing host started without its usual arguments',
        description:
            'A program from the hollowing-host list (svchost, rundll32, regsvr32, dllhost, notepad, ...) started without the arguments it normally runs with (svchost without -k).',
        falsePositives: 'A user opening notepad or rundll32 by hand.',
        triage: ['Check what the host did next: network, children, loads.'],
        sources: [
            `Sigma proc_creation_win_svchost_execution_with_no_cli_flags (16c37b52-b141-42a5-a3ea-bbe098444397) and proc_creation_win_rundll32_no_params (1775e15e-b61b-4d14-a1a3-80981298085a): ${SIGMA}`,
        ],
    },
    'hollowing-host-unexpected-parent': {
        points: 15,
        kind: 'context',
        side: 'victim',
        attack: ['T1055.012'],
        summary: 'the target is a usual hollowing host started by a process that never starts it',
        description:
            'svchost, dllhost or SearchProtocolHost started by a process outside the parents that normally start them.',
        falsePositives: 'Debugging or testing a service by hand.',
        triage: ['Identify the parent and why it started a service host.'],
        sources: [
            `Elastic "Unusual Parent-Child Relationship" (privilege_escalation_unusual_parentchild_relationship): ${ELASTIC}`,
            `Sigma proc_creation_win_svchost_uncommon_parent_process (01d2e2a1-5f09-44f7-9fc1-24faa7479b6d): ${SIGMA}`,
        ],
    },
    'hollowing-host-network': {
        points: 35,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055.012'],
        summary: 'that host, started unusually, made a network connection soon after (a hollowed host calling out)',
        description:
            'A hollowing host from the Windows folders, started unusually, connected out within the follow-up window (printing port 9100 excluded).',
        falsePositives: 'rundll32 control-panel applets that fetch content; notepad opening a file on a share.',
        triage: ['Check the destination reputation.', 'Dump the host and compare its image with the file.'],
        sources: [`Sigma net_connection_win_susp_binary_no_cmdline and net_connection_win_notepad: ${SIGMA}`],
    },
    'command-line-injection': {
        points: 60,
        kind: 'primary',
        side: 'victim',
        attack: ['T1055.001', 'T1218.013'],
        summary: 'an injector utility (mavinject) was asked on its command line to load a DLL into a running process',
        description:
            "EID 1 whose command line asks an injector utility to load a DLL into a running process by PID (mavinject <pid> /INJECTRUNNING <dll>); the target is resolved from the PID in the host state (it may be the utility's own parent), else named by PID. App-V (AppVClient.exe parent) is filtered as Sigma does.",
        falsePositives: 'App-V virtual applications on hosts that use App-V.',
        triage: ['Check the DLL named on the command line.', 'Identify who started the utility.'],
        sources: [
            `Sigma proc_creation_win_lolbin_mavinject_process_injection (4f73421b-5a0b-4bbf-a892-5a7fb99bea66): ${SIGMA}`,
            'https://lolbas-project.github.io/lolbas/Binaries/Mavinject/',
            'https://attack.mitre.org/techniques/T1218/013/',
        ],
    },
    'follow-up-network': {
        points: 10,
        kind: 'context',
        side: 'victim',
        attack: ['T1071'],
        summary: 'the target made network connections after the injection',
        description: 'EID 3 from the target within the follow-up window after the first primary signal.',
        falsePositives: 'Any target that talks to the network by design (browsers, explorer).',
        triage: ['Check the destinations.'],
        sources: [`Sigma network_connection rules for hollowed hosts: ${SIGMA}`],
    },
    'follow-up-child-process': {
        points: 10,
        kind: 'context',
        side: 'context',
        attack: ['T1059'],
        summary: 'the target started child processes after the injection',
        description:
            'EID 1 with the target as parent within the follow-up window; the console host (conhost.exe from the Windows folder), which Windows starts for every console program, never counts.',
        falsePositives: 'Shells and launchers start children by design.',
        triage: ['Review the command lines of the children.'],
        sources: ['https://attack.mitre.org/techniques/T1059/'],
    },
    'follow-up-unsigned-image': {
        points: 10,
        kind: 'context',
        side: 'context',
        attack: ['T1055.001'],
        summary: 'the target loaded unsigned images after the injection',
        description: 'EID 7 Signed=false in the target within the follow-up window.',
        falsePositives: 'Unsigned plug-ins of legitimate software.',
        triage: ['Check the loaded file: path, hash, when it was written.'],
        sources: [
            'Azure-Sentinel AnomalousNETRuntimeFilelessInjection hunting query (image loads into LOLBins): https://github.com/Azure/Azure-Sentinel',
        ],
    },
};

export const SIGNALS: Readonly<Record<SignalName, SignalDefinition>> = Object.fromEntries(
    Object.entries(DEFINITIONS).map(([id, definition]) => [id, { id, ...definition }]),
) as Record<SignalName, SignalDefinition>;

export const SIGNAL_NAMES = Object.keys(DEFINITIONS) as SignalName[];
