/** @module The simulated fleet's hosts: sessions, users, the long-running processes of each role, their GUIDs. */
import { Rng, deriveSeed } from './Rng';
import { TRACE, agentCreateTrace, ownCreateTrace, powershellCreateTrace } from './callTraces';
import { AGENT_DIR, DEFENDER_DIR, IMG } from './imageCatalogue';
import type { ImageInfo } from './imageCatalogue';

export interface Session {
    user: string;
    logonGuid: string;
    logonId: string;
    terminalSessionId: string;
    integrity: string;
}

/** What background behaviour a process has (and which creation trace its children get). */
export type Role =
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

export interface Proc {
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

export interface HostProfile {
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
export const FQDN = 'contoso.local';
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
export const DOCS = [
    'Q3-report',
    'budget-2024',
    'meeting-notes',
    'roadmap',
    'invoice-4471',
    'onboarding',
    'vendor-list',
    'minutes',
];
export const CONHOST_COMMAND = '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1';

function hex4(n: number): string {
    return (n & 0xffff).toString(16).padStart(4, '0');
}

/** Sysmon's Windows 10 ProcessGuid layout: machine part, process start time (seconds), a per-boot counter, boot part. */
export function processGuid(host: { guidPrefix: string; guidSuffix: string }, ms: number, counter: number): string {
    const seconds = Math.floor(ms / 1000) >>> 0;
    const swapped = ((counter & 0xff) << 8) | ((counter >>> 8) & 0xff);
    return `{${host.guidPrefix}-${hex4(seconds & 0xffff)}-${hex4(seconds >>> 16)}-${hex4(swapped)}-${host.guidSuffix}}`;
}

/** A process as it starts: no console attached yet and no end planned. */
export function startedProcess(p: Omit<Proc, 'endMs' | 'console' | 'ownsConsole'>): Proc {
    return Object.assign(p, { endMs: Number.POSITIVE_INFINITY, console: undefined, ownsConsole: false });
}

export function bareGuid(guid: string): string {
    return guid.slice(1, -1).toLowerCase();
}

export function upperHex(rng: Rng, digits: number): string {
    return rng.hex(digits).toUpperCase();
}

export function jitAddress(rng: Rng): string {
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

export function hostName(server: boolean, ordinal: number): string {
    return `${server ? 'SRV' : 'WS'}-${String(ordinal).padStart(4, '0')}.${FQDN}`;
}

/** Builds the static part of a host: names, sessions and the processes that run from boot (no EID 1 in the stream). */
export function makeHostProfile(
    index: number,
    server: boolean,
    name: string,
    seed: number,
    startMs: number,
): HostProfile {
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
export const CREATOR_TRACES: Partial<Record<Role, (rng: Rng) => string>> = {
    shell: () => TRACE.explorerCreate,
    cmd: () => TRACE.cmdCreate,
    powershell: (rng) => powershellCreateTrace(jitAddress(rng)),
    browser: () => TRACE.chromeCreate,
    renderer: () => TRACE.chromeCreate,
    office: () => TRACE.officeCreate,
    agent: (rng) => agentCreateTrace(jitAddress(rng)),
};
