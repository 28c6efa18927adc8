/**
 * @module Decoder for Windows access masks as Sysmon logs them in EID 10 `GrantedAccess` (and for thread
 * handles, should another telemetry source provide them). Pure: no I/O.
 *
 * Sysmon logs the *granted* mask, not the requested one: Windows adds implied bits (PROCESS_QUERY_INFORMATION
 * implies PROCESS_QUERY_LIMITED_INFORMATION), so a request for 0x410 shows up as 0x1410 and an XP-style
 * PROCESS_ALL_ACCESS request (0x1F0FFF) as 0x1F1FFF or 0x1F3FFF (Microsoft Learn, "Process Security and Access
 * Rights": https://learn.microsoft.com/windows/win32/procthread/process-security-and-access-rights; docs/detection.md,
 * "Access masks").
 */

/** One named bit of an access mask, kept as data so that reports can render the tables. */
export interface AccessRight {
    readonly name: string;
    readonly value: number;
    readonly meaning: string;
}

// Process-specific rights, bits 0-15.
// Source: Microsoft Learn "Process Security and Access Rights"
// (https://learn.microsoft.com/en-us/windows/win32/procthread/process-security-and-access-rights, mirrored at
// https://aldeid.com/wiki/Process-Security-and-Access-Rights); SET_SESSIONID and SET_LIMITED_INFORMATION come from
// winnt.h only. Bits 0x4000 and 0x8000 have no name: only the Vista+ PROCESS_ALL_ACCESS sets them.
export const PROCESS_ACCESS_RIGHTS = [
    { name: 'PROCESS_TERMINATE', value: 0x0001, meaning: 'terminate the process (TerminateProcess)' },
    {
        name: 'PROCESS_CREATE_THREAD',
        value: 0x0002,
        meaning: 'create a thread in the process (CreateRemoteThread)',
    },
    { name: 'PROCESS_SET_SESSIONID', value: 0x0004, meaning: 'undocumented (winnt.h only)' },
    {
        name: 'PROCESS_VM_OPERATION',
        value: 0x0008,
        meaning: 'change the address space (VirtualAllocEx, VirtualProtectEx, WriteProcessMemory, unmapping)',
    },
    { name: 'PROCESS_VM_READ', value: 0x0010, meaning: 'read process memory (ReadProcessMemory)' },
    {
        name: 'PROCESS_VM_WRITE',
        value: 0x0020,
        meaning: 'write process memory (WriteProcessMemory, together with PROCESS_VM_OPERATION)',
    },
    { name: 'PROCESS_DUP_HANDLE', value: 0x0040, meaning: 'duplicate handles (DuplicateHandle)' },
    {
        name: 'PROCESS_CREATE_PROCESS',
        value: 0x0080,
        meaning: 'create a process with this process as parent (PPID spoofing)',
    },
    { name: 'PROCESS_SET_QUOTA', value: 0x0100, meaning: 'set memory limits (SetProcessWorkingSetSize)' },
    { name: 'PROCESS_SET_INFORMATION', value: 0x0200, meaning: 'set process information (SetPriorityClass)' },
    {
        name: 'PROCESS_QUERY_INFORMATION',
        value: 0x0400,
        meaning: 'query process information and token (OpenProcessToken, NtQueryInformationProcess)',
    },
    {
        name: 'PROCESS_SUSPEND_RESUME',
        value: 0x0800,
        meaning: 'suspend or resume the whole process (NtSuspendProcess, NtResumeProcess)',
    },
    {
        name: 'PROCESS_QUERY_LIMITED_INFORMATION',
        value: 0x1000,
        meaning: 'query basic information (GetExitCodeProcess, QueryFullProcessImageName); Vista+',
    },
    { name: 'PROCESS_SET_LIMITED_INFORMATION', value: 0x2000, meaning: 'set limited information (winnt.h only)' },
] as const satisfies readonly AccessRight[];

// Thread-specific rights, bits 0-15.
// Source: Microsoft Learn "Thread Security and Access Rights"
// (https://learn.microsoft.com/en-us/windows/win32/procthread/thread-security-and-access-rights); THREAD_ALERT and
// THREAD_RESUME come from winnt.h only. Bits 0x2000-0x8000 have no name: only the Vista+ THREAD_ALL_ACCESS sets them.
export const THREAD_ACCESS_RIGHTS = [
    { name: 'THREAD_TERMINATE', value: 0x0001, meaning: 'terminate the thread (TerminateThread)' },
    { name: 'THREAD_SUSPEND_RESUME', value: 0x0002, meaning: 'suspend or resume the thread (ResumeThread)' },
    { name: 'THREAD_ALERT', value: 0x0004, meaning: 'alert the thread (winnt.h only)' },
    { name: 'THREAD_GET_CONTEXT', value: 0x0008, meaning: 'read the thread context (GetThreadContext)' },
    {
        name: 'THREAD_SET_CONTEXT',
        value: 0x0010,
        meaning: 'write the thread context (SetThreadContext) or queue an APC (QueueUserAPC)',
    },
    { name: 'THREAD_SET_INFORMATION', value: 0x0020, meaning: 'set thread information' },
    { name: 'THREAD_QUERY_INFORMATION', value: 0x0040, meaning: 'query thread information' },
    { name: 'THREAD_SET_THREAD_TOKEN', value: 0x0080, meaning: 'set the thread token' },
    { name: 'THREAD_IMPERSONATE', value: 0x0100, meaning: 'use the thread security information' },
    { name: 'THREAD_DIRECT_IMPERSONATION', value: 0x0200, meaning: 'impersonate another thread' },
    { name: 'THREAD_SET_LIMITED_INFORMATION', value: 0x0400, meaning: 'set limited thread information; Vista+' },
    {
        name: 'THREAD_QUERY_LIMITED_INFORMATION',
        value: 0x0800,
        meaning: 'query limited thread information; Vista+',
    },
    { name: 'THREAD_RESUME', value: 0x1000, meaning: 'resume the thread (winnt.h only)' },
] as const satisfies readonly AccessRight[];

// Standard (bits 16-20), SACL (24), MAXIMUM_ALLOWED (25) and generic (28-31) rights, common to every object type.
// Source: Microsoft Learn "Access Mask Format"
// (https://learn.microsoft.com/en-us/windows/win32/secauthz/access-mask-format).
// Generic bits are mapped to specific rights before a handle is granted, so a granted mask should not carry them;
// they are named anyway so that an odd mask is still readable.
export const STANDARD_ACCESS_RIGHTS = [
    { name: 'DELETE', value: 0x0001_0000, meaning: 'delete the object' },
    { name: 'READ_CONTROL', value: 0x0002_0000, meaning: "read the object's security descriptor (not the SACL)" },
    { name: 'WRITE_DAC', value: 0x0004_0000, meaning: "change the object's DACL" },
    { name: 'WRITE_OWNER', value: 0x0008_0000, meaning: "change the object's owner" },
    { name: 'SYNCHRONIZE', value: 0x0010_0000, meaning: 'wait on the object (WaitForSingleObject)' },
    { name: 'ACCESS_SYSTEM_SECURITY', value: 0x0100_0000, meaning: "read or write the object's SACL" },
    { name: 'MAXIMUM_ALLOWED', value: 0x0200_0000, meaning: 'request every right the caller may have' },
    { name: 'GENERIC_ALL', value: 0x1000_0000, meaning: 'generic all (mapped before granting)' },
    { name: 'GENERIC_EXECUTE', value: 0x2000_0000, meaning: 'generic execute (mapped before granting)' },
    { name: 'GENERIC_WRITE', value: 0x4000_0000, meaning: 'generic write (mapped before granting)' },
    { name: 'GENERIC_READ', value: 0x8000_0000, meaning: 'generic read (mapped before granting)' },
] as const satisfies readonly AccessRight[];

// Composite masks (Access Mask Format; Process/Thread Security and Access Rights, URLs above).
export const STANDARD_RIGHTS_REQUIRED = 0x000f_0000;
export const SYNCHRONIZE = 0x0010_0000;
/** STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF, Vista/2008 and later. */
export const PROCESS_ALL_ACCESS = 0x001f_ffff;
/** STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFF, when built for XP/2003. */
export const PROCESS_ALL_ACCESS_XP = 0x001f_0fff;
/** STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF, Vista/2008 and later. */
export const THREAD_ALL_ACCESS = 0x001f_ffff;
/** STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3FF, when built for XP/2003. */
export const THREAD_ALL_ACCESS_XP = 0x001f_03ff;

export type ProcessAllAccessName = 'PROCESS_ALL_ACCESS' | 'PROCESS_ALL_ACCESS_XP';
export type ThreadAllAccessName = 'THREAD_ALL_ACCESS' | 'THREAD_ALL_ACCESS_XP';

/** What a process handle with a given mask lets its holder do. */
export type ProcessCapabilityName =
    | 'write-and-execute'
    | 'write-memory'
    | 'read-memory'
    | 'create-thread'
    | 'suspend-resume'
    | 'duplicate-handles'
    | 'create-child-as-parent'
    | 'query-only';

/** What a thread handle with a given mask lets its holder do. */
export type ThreadCapabilityName = 'set-context' | 'get-context' | 'suspend-resume';

/** A capability granted by a mask, with a one-line explanation for people. */
export interface Capability<TName extends string = ProcessCapabilityName> {
    readonly name: TName;
    readonly explanation: string;
}

/** A capability as data plus the predicate over the granted mask that defines it. */
export interface CapabilityDefinition<TName extends string> extends Capability<TName> {
    readonly isGrantedBy: (mask: number) => boolean;
}

/** The result of decoding one mask: `hex` is lower-case without padding, `rights` in ascending bit order. */
export interface DecodedAccessOf<TCapability extends string, TAllAccess extends string> {
    mask: number;
    hex: string;
    rights: string[];
    /** Bits that no table names; 0 when every set bit is explained. */
    unknownBits: number;
    allAccess: TAllAccess | undefined;
    capabilities: Capability<TCapability>[];
}

export type DecodedAccess = DecodedAccessOf<ProcessCapabilityName, ProcessAllAccessName>;
export type DecodedThreadAccess = DecodedAccessOf<ThreadCapabilityName, ThreadAllAccessName>;

const P_CREATE_THREAD = 0x0002;
const P_VM_OPERATION = 0x0008;
const P_VM_READ = 0x0010;
const P_VM_WRITE = 0x0020;
const P_DUP_HANDLE = 0x0040;
const P_CREATE_PROCESS = 0x0080;
const P_QUERY_INFORMATION = 0x0400;
const P_SUSPEND_RESUME = 0x0800;
const P_QUERY_LIMITED_INFORMATION = 0x1000;

const T_SUSPEND_RESUME = 0x0002;
const T_GET_CONTEXT = 0x0008;
const T_SET_CONTEXT = 0x0010;

/** True when every bit of `bits` is set in `mask` (unsigned, so bit 31 compares correctly). */
function hasAllBits(mask: number, bits: number): boolean {
    return (mask & bits) >>> 0 === bits >>> 0;
}

function hasAnyBit(mask: number, bits: number): boolean {
    return (mask & bits) !== 0;
}

const QUERY_ONLY_BITS = P_QUERY_INFORMATION | P_QUERY_LIMITED_INFORMATION | SYNCHRONIZE;

// Most telling first, so a report can show the first capability as the headline.
export const PROCESS_CAPABILITIES: readonly CapabilityDefinition<ProcessCapabilityName>[] = [
    {
        name: 'write-and-execute',
        explanation: 'can write code into the target and start or resume it',
        isGrantedBy: (mask) =>
            hasAllBits(mask, P_VM_WRITE | P_VM_OPERATION) && hasAnyBit(mask, P_CREATE_THREAD | P_SUSPEND_RESUME),
    },
    {
        name: 'write-memory',
        explanation: "can write the target's memory",
        isGrantedBy: (mask) => hasAllBits(mask, P_VM_WRITE | P_VM_OPERATION),
    },
    {
        name: 'read-memory',
        explanation: "can read the target's memory",
        isGrantedBy: (mask) => hasAllBits(mask, P_VM_READ),
    },
    {
        name: 'create-thread',
        explanation: 'can start a new thread in the target',
        isGrantedBy: (mask) => hasAllBits(mask, P_CREATE_THREAD),
    },
    {
        name: 'suspend-resume',
        explanation: 'can suspend or resume the whole target process',
        isGrantedBy: (mask) => hasAllBits(mask, P_SUSPEND_RESUME),
    },
    {
        name: 'duplicate-handles',
        explanation: 'can copy handles into or out of the target',
        isGrantedBy: (mask) => hasAllBits(mask, P_DUP_HANDLE),
    },
    {
        name: 'create-child-as-parent',
        explanation: 'can create a process that appears to be a child of the target (PPID spoofing)',
        isGrantedBy: (mask) => hasAllBits(mask, P_CREATE_PROCESS),
    },
    {
        // sysmon-modular exclude_lsass_noise.xml documents 0x1000, 0x1400, 0x101000, 0x101400 as generic noise.
        name: 'query-only',
        explanation: 'can only query basic information about the target (common, benign noise)',
        isGrantedBy: (mask) =>
            hasAnyBit(mask, P_QUERY_INFORMATION | P_QUERY_LIMITED_INFORMATION) && (mask & ~QUERY_ONLY_BITS) === 0,
    },
];

// The hollowing steps that need a thread handle: GetThreadContext/SetThreadContext and ResumeThread (Microsoft Learn,
// "Thread Security and Access Rights": https://learn.microsoft.com/windows/win32/procthread/thread-security-and-access-rights;
// docs/detection.md, "What hollowing needs").
export const THREAD_CAPABILITIES: readonly CapabilityDefinition<ThreadCapabilityName>[] = [
    {
        name: 'set-context',
        explanation: "can change the thread's registers, e.g. redirect its start address, or queue an APC",
        isGrantedBy: (mask) => hasAllBits(mask, T_SET_CONTEXT),
    },
    {
        name: 'get-context',
        explanation: "can read the thread's registers",
        isGrantedBy: (mask) => hasAllBits(mask, T_GET_CONTEXT),
    },
    {
        name: 'suspend-resume',
        explanation: 'can suspend or resume the thread',
        isGrantedBy: (mask) => hasAllBits(mask, T_SUSPEND_RESUME),
    },
];

interface DecoderSpec<TCapability extends string, TAllAccess extends string> {
    specificRights: readonly AccessRight[];
    allAccess: { name: TAllAccess; value: number };
    allAccessXp: { name: TAllAccess; value: number };
    capabilities: readonly CapabilityDefinition<TCapability>[];
}

function bitsOf(rights: readonly AccessRight[]): number {
    return rights.reduce((bits, right) => (bits | right.value) >>> 0, 0);
}

function decodeWith<TCapability extends string, TAllAccess extends string>(
    rawMask: number,
    spec: DecoderSpec<TCapability, TAllAccess>,
): DecodedAccessOf<TCapability, TAllAccess> {
    const mask = rawMask >>> 0;
    const table = [...spec.specificRights, ...STANDARD_ACCESS_RIGHTS].sort((a, b) => a.value - b.value);
    const namedBits = bitsOf(table);

    let allAccess: TAllAccess | undefined;
    if (hasAllBits(mask, spec.allAccess.value)) {
        allAccess = spec.allAccess.name;
    } else if (hasAllBits(mask, spec.allAccessXp.value)) {
        allAccess = spec.allAccessXp.name;
    }

    // The unnamed specific bits (0x4000/0x8000 for processes) are set only by the Vista+ all-access constant.
    // Inside that constant they are expected, so they are not reported; anywhere else (including the XP
    // variants, which never set them) they are unexplained and reported as unknown bits.
    const bitsOnlyInAllAccess = (spec.allAccess.value & ~namedBits) >>> 0;
    const explainedBits = allAccess === spec.allAccess.name ? namedBits | bitsOnlyInAllAccess : namedBits;

    return {
        mask,
        hex: `0x${mask.toString(16)}`,
        rights: table.filter((right) => hasAllBits(mask, right.value)).map((right) => right.name),
        unknownBits: (mask & ~explainedBits) >>> 0,
        allAccess,
        capabilities: spec.capabilities
            .filter((capability) => capability.isGrantedBy(mask))
            .map(({ name, explanation }) => ({ name, explanation })),
    };
}

const HEX_MASK = /^0x0*([0-9a-f]{1,8})$/i;
const DECIMAL_MASK = /^[0-9]{1,10}$/;
const MAX_UINT32 = 0xffff_ffff;

/**
 * Parse a `GrantedAccess` value (`0x1fffff`, `0x1FFFFF`, or a decimal integer) to an unsigned 32-bit number.
 *
 * Hex strings must carry the `0x` prefix so that `1000` is never ambiguous (it is read as decimal).
 * Returns `undefined` for anything else: garbage, negatives, fractions, values above 0xFFFFFFFF.
 *
 * @example
 * parseAccessMask('0x1FFFFF'); // 2097151
 * parseAccessMask('0x80000000'); // 2147483648
 * parseAccessMask('abc'); // undefined
 */
export function parseAccessMask(text: string | number): number | undefined {
    if (typeof text === 'number') {
        return Number.isInteger(text) && text >= 0 && text <= MAX_UINT32 ? text : undefined;
    }
    if (typeof text !== 'string') {
        return undefined;
    }
    const trimmed = text.trim();
    const hex = HEX_MASK.exec(trimmed);
    if (hex?.[1] !== undefined) {
        return Number.parseInt(hex[1], 16);
    }
    if (DECIMAL_MASK.test(trimmed)) {
        const value = Number.parseInt(trimmed, 10);
        return value <= MAX_UINT32 ? value : undefined;
    }
    return undefined;
}

/**
 * Decode a process access mask into right names, unknown bits, the all-access family and capabilities.
 *
 * The mask is read as unsigned 32-bit (`mask >>> 0`).
 *
 * @example
 * const decoded = decodeProcessAccess(0x143a);
 * decoded.rights; // ['PROCESS_CREATE_THREAD', 'PROCESS_VM_OPERATION', 'PROCESS_VM_READ', 'PROCESS_VM_WRITE', ...]
 * hasCapability(decoded, 'write-and-execute'); // true
 */
export function decodeProcessAccess(mask: number): DecodedAccess {
    return decodeWith(mask, {
        specificRights: PROCESS_ACCESS_RIGHTS,
        allAccess: { name: 'PROCESS_ALL_ACCESS', value: PROCESS_ALL_ACCESS },
        allAccessXp: { name: 'PROCESS_ALL_ACCESS_XP', value: PROCESS_ALL_ACCESS_XP },
        capabilities: PROCESS_CAPABILITIES,
    });
}

/**
 * Decode a thread access mask (THREAD_* rights) with the thread capability set.
 *
 * Sysmon has no thread-handle event; this serves other telemetry sources (ETW-TI, EDR).
 *
 * @example
 * decodeThreadAccess(0x1a).rights; // ['THREAD_SUSPEND_RESUME', 'THREAD_GET_CONTEXT', 'THREAD_SET_CONTEXT']
 * hasCapability(decodeThreadAccess(0x10), 'set-context'); // true
 */
export function decodeThreadAccess(mask: number): DecodedThreadAccess {
    return decodeWith(mask, {
        specificRights: THREAD_ACCESS_RIGHTS,
        allAccess: { name: 'THREAD_ALL_ACCESS', value: THREAD_ALL_ACCESS },
        allAccessXp: { name: 'THREAD_ALL_ACCESS_XP', value: THREAD_ALL_ACCESS_XP },
        capabilities: THREAD_CAPABILITIES,
    });
}

/**
 * True when the decoded mask grants the named capability.
 *
 * @example
 * hasCapability(decodeProcessAccess(0x1028), 'write-memory'); // true
 * hasCapability(decodeProcessAccess(0x1000), 'query-only'); // true
 */
export function hasCapability<TName extends string>(
    decoded: { readonly capabilities: readonly Capability<TName>[] },
    name: NoInfer<TName>,
): boolean {
    return decoded.capabilities.some((capability) => capability.name === name);
}
