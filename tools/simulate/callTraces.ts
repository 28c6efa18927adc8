/**
 * @module Call-trace templates: the `CallTrace` stacks Sysmon records on process access (EID 10) for each way a
 * process is created or opened in the simulated fleet.
 */
import { CLR, DEFENDER_DIR, DLL, IMG, SMA_NI, SYS32, SYSTEM_NI } from './imageCatalogue';

// Windows 10 19045 x64 offsets; Sysmon writes no symbols, so a frame is `<module path>+<hex offset>`, innermost first.
export const NT = 'C:\\Windows\\SYSTEM32\\ntdll.dll';
export const KB = 'C:\\Windows\\System32\\KERNELBASE.dll';
export const K32 = 'C:\\Windows\\System32\\KERNEL32.DLL';
const RPC = 'C:\\Windows\\System32\\RPCRT4.dll';

export function frames(module: string, offsets: readonly string[]): string {
    return offsets.map((offset) => `${module}+${offset}`).join('|');
}

/** NtCreateUserProcess reached through CreateProcessInternalW and CreateProcessW (ntdll|KERNELBASE|KERNELBASE|KERNEL32). */
export const CREATE_HEAD = `${NT}+9d8e4|${KB}+5f2ea|${KB}+5bc86|${K32}+1be93`;
/** The base of every thread: BaseThreadInitThunk, RtlUserThreadStart. */
export const THREAD_BASE = `${K32}+17bd4|${NT}+6ce51`;
/** NtOpenProcess through OpenProcess. */
export const OPEN_HEAD = `${NT}+9d364|${KB}+305ee`;
const RPC_DISPATCH = `${frames(RPC, ['76963', 'da036', '37a5c', '548d8', '2c8a1', '2c15b', '1a7bf', '19c6a', '19251', '18cbe', '168f5'])}|${NT}+333ed|${NT}+34142|${THREAD_BASE}`;
const MPSVC = `${DEFENDER_DIR}mpsvc.dll`;

export const TRACE = {
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

export function unknownFrame(address: string): string {
    return `UNKNOWN(${address})`;
}

/** powershell.exe creating a child: Process.Start in System.ni.dll called from the JIT-compiled pipeline (schtask_create). */
export function powershellCreateTrace(jit: string): string {
    return `${CREATE_HEAD}|${frames(SYSTEM_NI, ['384236', '2c4809', '2c4179'])}|${frames(SMA_NI, ['5a2ebaf9', '5a242dba', '5a2cd3ed'])}|${unknownFrame(jit)}`;
}

/** The .NET agent creating a child: the same Process.Start path, entered from JIT code through the CLR. */
export function agentCreateTrace(jit: string): string {
    return `${CREATE_HEAD}|${frames(SYSTEM_NI, ['384236', '2c4809', '2c4179'])}|${CLR}+1d2f4|${unknownFrame(jit)}`;
}

/** A program creating a child from its own code (module-backed, through its own image). */
export function ownCreateTrace(path: string): string {
    return `${CREATE_HEAD}|${path}+1a2f|${path}+19e3|${THREAD_BASE}`;
}
