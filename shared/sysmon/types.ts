/**
 * @module The normalized Sysmon events hollowtrace correlates.
 *
 * Field names follow the Sysmon manifest (Sysinternals/SysmonCommon `manifest.xml`, schema 4.50 to 4.90;
 * docs/architecture.md) in camelCase. EID 10 spells `SourceProcessGUID` and EID 8
 * `SourceProcessGuid`; both normalize to `sourceProcessGuid`. GUIDs are lower case without braces.
 * Absent values (`-`, empty, `N/A`, missing) are `undefined`.
 */

/** Sysmon event IDs that correlation uses (learn.microsoft.com/sysinternals/downloads/sysmon, "Events"). */
export const CORRELATED_EVENT_IDS = [1, 3, 5, 7, 8, 10, 11, 25] as const;
export type CorrelatedEventId = (typeof CORRELATED_EVENT_IDS)[number];

/** Where an event came from on the wire: its Event Hub coordinates and its place in the message. */
export interface EventOrigin {
    partitionId?: string;
    sequenceNumber?: number;
    offset?: string;
    enqueuedTime?: string;
    /** Index of the Event Hub message within the delivered batch. */
    messageIndex: number;
    /** Index of the event within its message (a Log Analytics export or `<Events>` list holds many). */
    recordIndex: number;
    /** Index of the Cribl-style `{ "_raw": ... }` record the event was unwrapped from, when it was. */
    wrapperIndex?: number;
}

interface SysmonEventBase {
    host: string;
    /** EventRecordID of the source log, when the feed carries one (the Log Analytics `Event` table does not). */
    recordId?: number;
    /** Sysmon `UtcTime` as ISO 8601 with milliseconds and `Z`. */
    time: string;
    /** `time` in epoch milliseconds, for windows and ordering. */
    timeMs: number;
    ruleName?: string;
    origin: EventOrigin;
}

export interface ProcessCreateEvent extends SysmonEventBase {
    eventId: 1;
    processGuid: string;
    processId?: number;
    image?: string;
    originalFileName?: string;
    commandLine?: string;
    currentDirectory?: string;
    user?: string;
    integrityLevel?: string;
    hashes?: string;
    parentProcessGuid?: string;
    parentProcessId?: number;
    parentImage?: string;
    parentCommandLine?: string;
    parentUser?: string;
}

export interface NetworkConnectEvent extends SysmonEventBase {
    eventId: 3;
    processGuid: string;
    processId?: number;
    image?: string;
    user?: string;
    protocol?: string;
    initiated?: boolean;
    sourceIp?: string;
    sourcePort?: number;
    destinationIp?: string;
    destinationHostname?: string;
    destinationPort?: number;
}

export interface ProcessTerminateEvent extends SysmonEventBase {
    eventId: 5;
    processGuid: string;
    processId?: number;
    image?: string;
    user?: string;
}

export interface ImageLoadEvent extends SysmonEventBase {
    eventId: 7;
    processGuid: string;
    processId?: number;
    image?: string;
    imageLoaded?: string;
    originalFileName?: string;
    hashes?: string;
    signed?: boolean;
    signature?: string;
    signatureStatus?: string;
    user?: string;
}

export interface CreateRemoteThreadEvent extends SysmonEventBase {
    eventId: 8;
    sourceProcessGuid: string;
    sourceProcessId?: number;
    sourceImage?: string;
    targetProcessGuid: string;
    targetProcessId?: number;
    targetImage?: string;
    newThreadId?: number;
    startAddress?: string;
    startModule?: string;
    startFunction?: string;
    sourceUser?: string;
    targetUser?: string;
}

export interface ProcessAccessEvent extends SysmonEventBase {
    eventId: 10;
    sourceProcessGuid: string;
    sourceProcessId?: number;
    sourceThreadId?: number;
    sourceImage?: string;
    targetProcessGuid: string;
    targetProcessId?: number;
    targetImage?: string;
    /** GrantedAccess as a number (the feed gives a hex string such as `0x1fffff`). */
    grantedAccess: number;
    callTrace?: string;
    sourceUser?: string;
    targetUser?: string;
}

export interface FileCreateEvent extends SysmonEventBase {
    eventId: 11;
    processGuid: string;
    processId?: number;
    image?: string;
    targetFilename?: string;
    creationUtcTime?: string;
    user?: string;
}

export interface ProcessTamperingEvent extends SysmonEventBase {
    eventId: 25;
    processGuid: string;
    processId?: number;
    image?: string;
    /** Free text: `Image is replaced`, `Image is locked for access`, or future values (Sysmon 13 release notes; docs/architecture.md). */
    type?: string;
    user?: string;
}

/** One Sysmon event, discriminated by `eventId`. */
export type SysmonEvent =
    | ProcessCreateEvent
    | NetworkConnectEvent
    | ProcessTerminateEvent
    | ImageLoadEvent
    | CreateRemoteThreadEvent
    | ProcessAccessEvent
    | FileCreateEvent
    | ProcessTamperingEvent;
