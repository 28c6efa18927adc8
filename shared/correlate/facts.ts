/**
 * @module Facts about single events that the chain signals are made of: where a path lives, what a handle can do,
 * which code asked for it. Pure, per event; the chain logic (evaluate.ts) combines them.
 */
import { PROCESS_ACCESS_RIGHTS } from '../decode/accessMask';
import { parseCallTrace } from '../decode/callTrace';
import type { Frame } from '../decode/callTrace';
import { isKernelAddress } from '../decode/startAddress';
import type { CreateRemoteThreadEvent, ProcessAccessEvent, ProcessCreateEvent, SysmonEvent } from '../sysmon/types';

function right(name: string): number {
    const found = PROCESS_ACCESS_RIGHTS.find((r) => r.name === name);
    if (!found) throw new Error(`unknown process right ${name}`);
    return found.value;
}

// Microsoft Learn, "Process Security and Access Rights":
// https://learn.microsoft.com/windows/win32/procthread/process-security-and-access-rights
const PROCESS_CREATE_THREAD = right('PROCESS_CREATE_THREAD');
const PROCESS_VM_OPERATION = right('PROCESS_VM_OPERATION');
const PROCESS_VM_WRITE = right('PROCESS_VM_WRITE');
/** The low 12 process-specific bits and STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE: PROCESS_ALL_ACCESS (XP form) and up. */
const ALL_ACCESS_CORE = 0x001f_0fff;

/** Lower-case file name of a Windows path (`C:\Windows\System32\svchost.exe` -> `svchost.exe`). */
export function baseName(path: string | undefined): string {
    if (!path) return '';
    const slash = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
    return path
        .slice(slash + 1)
        .trim()
        .toLowerCase();
}

// %SystemRoot% on any drive, with or without the \\?\ and \??\ prefixes Sysmon sometimes keeps.
const UNDER_WINDOWS = /^(?:\\\\\?\\|\\\?\?\\)?(?:[a-z]:\\windows|\\systemroot)\\/i;

/** The path is inside the Windows folder (OS code: System32, SysWOW64, WinSxS, explorer.exe, ...). */
export function isUnderWindows(path: string): boolean {
    return UNDER_WINDOWS.test(path.trim());
}

// Folders a standard user can write to, where side-loaded DLLs and dropped tools live; UNC shares too.
const USER_WRITABLE =
    /\\(?:users|programdata|temp|tmp|appdata|downloads|perflogs)\\|\\windows\\(?:temp|tasks)\\|^\\\\(?![?.]\\)/i;

/** The path is in a folder ordinary users can write to (C:\Users, ProgramData, Temp, a network share). */
export function isUserWritable(path: string): boolean {
    return USER_WRITABLE.test(path.trim());
}

/** The command line without its program part (`"C:\x\svchost.exe" -k netsvcs` -> `-k netsvcs`). */
export function argumentsOf(commandLine: string | undefined): string {
    if (!commandLine) return '';
    const text = commandLine.trim();
    if (text.startsWith('"')) {
        const close = text.indexOf('"', 1);
        return close === -1 ? '' : text.slice(close + 1).trim();
    }
    const space = text.search(/\s/);
    return space === -1 ? '' : text.slice(space + 1).trim();
}

/**
 * Rights to put code in the target and run it: VM_WRITE with VM_OPERATION (WriteProcessMemory), or CREATE_THREAD
 * (CreateRemoteThread); the rights each call needs are listed on its Microsoft Learn page (docs/detection.md).
 */
export function grantsCodeRights(mask: number): boolean {
    return (
        (mask & PROCESS_CREATE_THREAD) !== 0 || ((mask & PROCESS_VM_WRITE) !== 0 && (mask & PROCESS_VM_OPERATION) !== 0)
    );
}

/**
 * The PROCESS_ALL_ACCESS family (0x1F0FFF, 0x1F1FFF, 0x1F3FFF, 0x1FFFFF): the granted form of an all-access request,
 * with the implied bits Windows adds (docs/detection.md, "Access masks").
 */
export function isAllAccess(mask: number): boolean {
    return (mask & ALL_ACCESS_CORE) === ALL_ACCESS_CORE;
}

// Where user-mode code enters the kernel, and the WoW64 layer a 32-bit process's call passes through first.
const GATE_MODULES = new Set(['ntdll.dll', 'win32u.dll', 'wow64win.dll', 'wow64.dll', 'wow64cpu.dll']);
const CREATE_PROCESS_MODULES = new Set(['kernelbase.dll', 'kernel32.dll']);
// JIT-compiled .NET code has no backing module, so UNKNOWN frames above the CLR are expected (Sigma
// proc_access_win_susp_potential_shellcode_injection, 250ae82f-736e-4844-a68b-0b5e8cc887da, filters Visual Studio and
// MSBuild by System.ni.dll in CallTrace for this reason). The Java virtual machine's JIT (jvm.dll) is the same case:
// a Java program starting a process calls CreateProcess from compiled Java code that no module backs.
const MANAGED_RUNTIME =
    /(?:^|\\)(?:clr|coreclr|mscorwks|mscorlib\.ni|system\.private\.corelib|jvm|[^\\]+\.ni)\.dll$|\\assembly\\nativeimages_/i;

/** What the `CallTrace` of one process access says about the code that asked for the handle. */
export interface AccessFacts {
    codeRights: boolean;
    allAccess: boolean;
    /** The innermost frame is not a system-call gate: NtOpenProcess was issued directly. */
    directSyscall: boolean;
    /** Exactly ntdll | KERNELBASE | UNKNOWN(16 hex): Sigma proc_access_win_hktl_cobaltstrike_bof_injection_pattern. */
    bofPattern: boolean;
    /** The outermost frame outside the Windows folder, i.e. the code that started the request. */
    originFrame: Frame | undefined;
    originUnbacked: boolean;
    /** Frames of the .NET runtime are present, so UNKNOWN frames are most likely JIT code. */
    managedRuntime: boolean;
    /** Past the system-call gate, the next caller is neither KERNELBASE nor kernel32 but a module outside Windows. */
    nativeCaller: string | undefined;
    unknownFrames: number;
}

/**
 * Derives the access facts of one EID 10.
 * @example accessFacts({ grantedAccess: 0x1fffff, callTrace: 'UNKNOWN(000001F3C35A0014)' } as ProcessAccessEvent).directSyscall // true
 */
export function accessFacts(event: Pick<ProcessAccessEvent, 'grantedAccess' | 'callTrace'>): AccessFacts {
    const { frames, facts: traceFacts } = parseCallTrace(event.callTrace);
    let originFrame: Frame | undefined;
    for (let i = frames.length - 1; i >= 0; i--) {
        const frame = frames[i] as Frame;
        if (frame.kind === 'unknown' || !isUnderWindows(frame.modulePath)) {
            originFrame = frame;
            break;
        }
    }
    const first = frames[0];
    const directSyscall = first !== undefined && (first.kind === 'unknown' || !GATE_MODULES.has(first.moduleName));
    let nativeCaller: string | undefined;
    if (!directSyscall) {
        const caller = frames.find((f) => f.kind === 'unknown' || !GATE_MODULES.has(f.moduleName));
        if (
            caller?.kind === 'module' &&
            !CREATE_PROCESS_MODULES.has(caller.moduleName) &&
            !isUnderWindows(caller.modulePath)
        ) {
            nativeCaller = caller.modulePath;
        }
    }
    return {
        codeRights: grantsCodeRights(event.grantedAccess),
        allAccess: isAllAccess(event.grantedAccess),
        directSyscall,
        bofPattern: traceFacts.cobaltStrikeBofPattern,
        originFrame,
        originUnbacked: originFrame?.kind === 'unknown',
        managedRuntime: frames.some((f) => f.kind === 'module' && MANAGED_RUNTIME.test(f.modulePath)),
        nativeCaller,
        unknownFrames: frames.filter((f) => f.kind === 'unknown').length,
    };
}

/**
 * A cheap first look, before any call-trace parsing: can this access become a signal at all? Every process
 * creation produces several all-access EID 10s from system code (the creator, csrss, conhost); those are dropped
 * here without state.
 */
export function isAccessCandidate(event: ProcessAccessEvent, allowedSources: ReadonlySet<string>): boolean {
    if (!grantsCodeRights(event.grantedAccess)) return false;
    if (allowedSources.has(baseName(event.sourceImage))) return false;
    if (event.sourceImage === undefined || !isUnderWindows(event.sourceImage)) return true;
    const trace = event.callTrace;
    if (trace === undefined) return false;
    if (trace.indexOf('UNKNOWN') !== -1 || trace.indexOf('unknown(') !== -1) return true;
    // Any frame outside the Windows folder (a side-loaded DLL in a system process, a direct-syscall stub).
    for (const frame of trace.split('|')) {
        if (frame !== '' && !isUnderWindows(frame)) return true;
    }
    return false;
}

/** What an EID 8 says: where the new thread starts. */
export interface ThreadFacts {
    /** A user-mode start address no module backs: injected code. */
    unbacked: boolean;
    /**
     * The start address lies in the kernel half and no module is named: a kernel thread that Sysmon attributes to a
     * user process (docs/detection.md, "Kernel-mode start addresses"). Never a signal.
     */
    kernelStart: boolean;
    loadLibrary: boolean;
    /** The start module is outside the Windows folder (an injected DLL). */
    foreignModule: string | undefined;
}

const LOAD_LIBRARY = /^LoadLibrary(?:Ex)?[AW]?$/i;

export function threadFacts(
    event: Pick<CreateRemoteThreadEvent, 'startModule' | 'startFunction' | 'startAddress'>,
): ThreadFacts {
    const module = event.startModule;
    const kernelStart = module === undefined && isKernelAddress(event.startAddress);
    return {
        unbacked: module === undefined && !kernelStart,
        kernelStart,
        loadLibrary: event.startFunction !== undefined && LOAD_LIBRARY.test(event.startFunction),
        foreignModule: module !== undefined && !isUnderWindows(module) ? module : undefined,
    };
}

/** An EID 8 that can become a signal: unbacked start, LoadLibrary, or a start module outside Windows. */
export function isThreadCandidate(event: CreateRemoteThreadEvent, allowedSources: ReadonlySet<string>): boolean {
    if (allowedSources.has(baseName(event.sourceImage))) return false;
    const facts = threadFacts(event);
    return facts.unbacked || facts.loadLibrary || facts.foreignModule !== undefined;
}

// Executable images worth remembering for the image-written-before-start check.
const EXECUTABLE = /\.(?:exe|com|scr|dll|cpl|pif)$/i;

export function isExecutablePath(path: string | undefined): path is string {
    return path !== undefined && EXECUTABLE.test(path.trim());
}

/**
 * Whether correlation can use an event at all: stage 1 forwards only these (the reducer ignores the rest: process
 * terminations, signed image loads, handle and thread events that can never become a signal, non-executable files).
 * Cuts the host-keyed hub's traffic without changing any result.
 */
export function isNeededForCorrelation(event: SysmonEvent, allowedSources: ReadonlySet<string>): boolean {
    switch (event.eventId) {
        case 1:
        case 3:
        case 25:
            return true;
        case 5:
            return false;
        case 7:
            return event.signed === false;
        case 8:
            return isThreadCandidate(event, allowedSources);
        case 10:
            return isAccessCandidate(event, allowedSources);
        case 11:
            return isExecutablePath(event.targetFilename);
    }
}

// Windows starts the console host for every console program (the program is its parent since Windows 8): a shell
// that starts conhost.exe shows nothing about the shell.
const CONSOLE_HOST = /^(?:\\\\\?\\|\\\?\?\\)?(?:[a-z]:\\windows|\\systemroot)\\(?:system32|syswow64)\\conhost\.exe$/i;

/** Whether a started child counts as follow-up activity of its parent: anything but the Windows console host. */
export function isFollowUpChild(image: string | undefined): boolean {
    return image === undefined || !CONSOLE_HOST.test(image.trim());
}

/** A DLL injection into a running process that a process creation asks for on its command line. */
export interface CommandLineInjection {
    /** The process id named on the command line. */
    targetProcessId: number;
    dll: string;
}

// `mavinject <pid> /INJECTRUNNING <dll>` (LOLBAS Mavinject; Sigma proc_creation_win_lolbin_mavinject_process_injection,
// 4f73421b-5a0b-4bbf-a892-5a7fb99bea66, keys on the switch, not on the file name, so renamed copies match too).
// The PID is the utility's first argument: a shell whose command line merely carries the utility's is not matched.
const INJECT_RUNNING = /^(\d{1,10})\s+\/injectrunning\s+("[^"]+"|\S+)/i;
// App-V starts the utility for its virtual applications (the Sigma rule's filter).
const APP_V_CLIENT = /\\appvclient\.exe$/i;

/** The injection a process creation asks for on its command line, if it asks for one. */
export function commandLineInjection(
    event: Pick<ProcessCreateEvent, 'commandLine' | 'parentImage'>,
): CommandLineInjection | undefined {
    const commandLine = event.commandLine;
    if (commandLine === undefined || commandLine.length > 32_768) return undefined;
    const match = INJECT_RUNNING.exec(argumentsOf(commandLine));
    if (!match) return undefined;
    if (event.parentImage !== undefined && APP_V_CLIENT.test(event.parentImage.trim())) return undefined;
    const targetProcessId = Number(match[1]);
    if (!Number.isSafeInteger(targetProcessId)) return undefined;
    return { targetProcessId, dll: (match[2] as string).replace(/^"|"$/g, '') };
}
