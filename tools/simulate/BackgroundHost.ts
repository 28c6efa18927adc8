/** @module One host's background activity: the everyday episodes that make naive injection rules fire. */
import { Emitter } from './Emitter';
import type { Rng } from './Rng';
import { TRACE } from './callTraces';
import { DOCS, FQDN, upperHex } from './hostProfiles';
import type { HostProfile, Proc, Session } from './hostProfiles';
import { AGENT_DIR, CHROME_VERSION_DIR, COMMON_DLLS, DLL, IMG } from './imageCatalogue';
import type { ImageInfo } from './imageCatalogue';
import { SHELL_CMD_COMMAND, homeOf, notepadOnDocument, shellCommandLine } from './launches';
import type { Launch } from './launches';
import { AGENT_SERVER, DC, DEFENDER_CLOUD, UPDATE, WEB } from './peers';
import type { Peer } from './peers';
import type { FlatSysmonEvent } from './types';

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
export class BackgroundHost {
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
