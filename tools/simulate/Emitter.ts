/** @module Writes simulated Sysmon events in the flat JSON-lines shape, one method per event kind. */
import type { Rng } from './Rng';
import { TRACE, ownCreateTrace } from './callTraces';
import { CONHOST_COMMAND, CREATOR_TRACES, processGuid, startedProcess } from './hostProfiles';
import type { HostProfile, Proc, Role, Session } from './hostProfiles';
import { COMMON_DLLS, DLL, IMG } from './imageCatalogue';
import type { ImageInfo } from './imageCatalogue';
import type { Launch } from './launches';
import type { Peer } from './peers';
import { isoOf, utcTime } from './simulatedTime';
import { SYSMON_CHANNEL } from './types';
import type { FlatSysmonEvent } from './types';

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
export class Emitter {
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
