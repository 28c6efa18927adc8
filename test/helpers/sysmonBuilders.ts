/**
 * Builders for small, labelled Sysmon events in tests: only the fields the code reads, realistic values.
 * Times are event times (Sysmon UtcTime); GUIDs are generated from a readable label.
 */
import type {
    CreateRemoteThreadEvent,
    FileCreateEvent,
    ImageLoadEvent,
    NetworkConnectEvent,
    ProcessAccessEvent,
    ProcessCreateEvent,
    ProcessTamperingEvent,
    SysmonEvent,
} from '../../shared/sysmon/types';
import { DROPPER, SVCHOST } from './images';

export const HOST = 'WS01.contoso.local';
const T0 = Date.parse('2024-05-01T10:15:00.000Z');

/** A stable GUID from a label: `guid('svchost')` is the same in every test. */
export function guid(label: string): string {
    let h = 0x811c9dc5;
    for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    const hex = h.toString(16).padStart(8, '0');
    return `${hex}-1243-6182-8303-${hex}0a00`;
}

let nextRecordId = 1000;

/** Record ids count up from 1000 per test; call in `beforeEach` so goldens do not depend on test order. */
export function resetRecordIds(): void {
    nextRecordId = 1000;
}

function base(offsetMs: number, recordId?: number) {
    const timeMs = T0 + offsetMs;
    return {
        host: HOST,
        recordId: recordId ?? nextRecordId++,
        time: new Date(timeMs).toISOString(),
        timeMs,
        origin: { messageIndex: 0, recordIndex: 0 },
    };
}

export const CREATE_PROCESS_TRACE =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+9d8e4|C:\\Windows\\System32\\KERNELBASE.dll+5f36a|C:\\Windows\\System32\\KERNELBASE.dll+5c5ca|C:\\Windows\\System32\\KERNEL32.DLL+5e90b';

/** The CreateProcess frames, called from code no module backs (an address in UNKNOWN): a handle opened by an implant. */
export const UNBACKED_CREATE_TRACE = `${CREATE_PROCESS_TRACE}|UNKNOWN(000001F3C35A0014)`;

export function processCreate(
    at: number,
    child: string,
    image: string,
    parent: string,
    parentImage: string,
    commandLine = image,
): ProcessCreateEvent {
    return {
        ...base(at),
        eventId: 1,
        processGuid: guid(child),
        processId: 4000 + (at % 1000),
        image,
        commandLine,
        parentProcessGuid: guid(parent),
        parentImage,
    };
}

/** The process fields of an event one process does to another (EID 8, 10), from their labels. */
function sourceAndTarget(source: string, sourceImage: string, target: string, targetImage: string) {
    return { sourceProcessGuid: guid(source), sourceImage, targetProcessGuid: guid(target), targetImage };
}

export function processAccess(
    at: number,
    source: string,
    sourceImage: string,
    target: string,
    targetImage: string,
    grantedAccess: number,
    callTrace: string,
): ProcessAccessEvent {
    return {
        ...base(at),
        eventId: 10,
        ...sourceAndTarget(source, sourceImage, target, targetImage),
        sourceProcessId: 3000,
        grantedAccess,
        callTrace,
    };
}

export function remoteThread(
    at: number,
    source: string,
    sourceImage: string,
    target: string,
    targetImage: string,
    startModule?: string,
    startFunction?: string,
): CreateRemoteThreadEvent {
    return {
        ...base(at),
        eventId: 8,
        ...sourceAndTarget(source, sourceImage, target, targetImage),
        startAddress: '0x000001E811820000',
        startModule,
        startFunction,
    };
}

export function tampering(at: number, process: string, image: string, type: string): ProcessTamperingEvent {
    return { ...base(at), eventId: 25, processGuid: guid(process), image, type };
}

export function fileCreate(at: number, process: string, image: string, targetFilename: string): FileCreateEvent {
    return { ...base(at), eventId: 11, processGuid: guid(process), image, targetFilename };
}

export function networkConnect(
    at: number,
    process: string,
    image: string,
    destinationIp: string,
    destinationPort: number,
): NetworkConnectEvent {
    return {
        ...base(at),
        eventId: 3,
        processGuid: guid(process),
        image,
        initiated: true,
        destinationIp,
        destinationPort,
    };
}

export function imageLoad(
    at: number,
    process: string,
    image: string,
    imageLoaded: string,
    signed: boolean,
): ImageLoadEvent {
    return { ...base(at), eventId: 7, processGuid: guid(process), image, imageLoaded, signed };
}

/** The same events as another delivery would carry them (a replayed batch is byte-identical). */
export function redelivered(events: readonly SysmonEvent[]): SysmonEvent[] {
    return events.map((e) => structuredClone(e));
}

/** A dropper starting svchost through CreateProcess, then a thread in it from no module: the smallest hollowing chain. */
export function dropperHollowsSvchost(): SysmonEvent[] {
    return [
        processAccess(0, 'dropper', DROPPER, 'svchost', SVCHOST, 0x1fffff, CREATE_PROCESS_TRACE),
        processCreate(3, 'svchost', SVCHOST, 'dropper', DROPPER, 'C:\\Windows\\system32\\svchost.exe'),
        remoteThread(20, 'dropper', DROPPER, 'svchost', SVCHOST),
    ];
}
