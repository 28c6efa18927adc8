/**
 * @module The image catalogue: the executables and DLLs the simulated fleet runs and loads, with the version
 * resources and hashes Sysmon reports for them.
 */
import { Rng, deriveSeed } from './Rng';

export interface ImageInfo {
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
export const SYS32 = 'C:\\Windows\\System32\\';

export interface ImageMeta {
    fileVersion?: string;
    description?: string;
    product?: string;
    company?: string;
    originalFileName?: string;
    signed?: boolean;
    signature?: string;
    console?: boolean;
}

export function image(path: string, meta: ImageMeta): ImageInfo {
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
export const CHROME_VERSION_DIR = `${CHROME_DIR}${CHROME_VERSION}\\`;
const OFFICE_DIR = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\';
export const AGENT_DIR = 'C:\\Program Files\\Contoso\\InventoryAgent\\';
export const DEFENDER_DIR = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\';
const NI_DIR = 'C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\';
export const CLR = 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll';
export const SYSTEM_NI = `${NI_DIR}System\\36b90e5ba6d9ea1017ac036f93fce3e0\\System.ni.dll`;
export const SMA_NI = `${NI_DIR}System.Manaa57fc8cc#\\d380622b9bf8a3812894c27929aadc9c\\System.Management.Automation.ni.dll`;

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

export const IMG = {
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

export const DLL = {
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

export const COMMON_DLLS: readonly ImageInfo[] = [
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
