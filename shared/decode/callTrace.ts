/**
 * @module Parser for the Sysmon EID 10 `CallTrace` field: `|`-separated stack frames, innermost first.
 * Pure: no I/O, never throws. The frame forms below are the ones Sysmon writes (docs/detection.md, "CallTrace").
 *
 * Frame forms seen in real events:
 * - `C:\Windows\SYSTEM32\ntdll.dll+9c524` (module path + hex offset; path case varies)
 * - `C:\Windows\SysWOW64\KERNELBASE.dll+110926(wow64)` (32-bit frame of a WoW64 process)
 * - `UNKNOWN(000002022934003D)` (code in memory no module backs; `UNKNOWN(<decimal>)` from the
 *   Microsoft-Windows-Kernel-Audit-API-Calls provider)
 */

export type Frame =
    | { kind: 'module'; modulePath: string; moduleName: string; offset: string; wow64: boolean }
    | { kind: 'unknown'; address: string; wow64: boolean };

export interface CallTraceFacts {
    frameCount: number;
    hasUnknownFrame: boolean;
    unknownFrameCount: number;
    /** Lower-case base name of the innermost frame, or `UNKNOWN`; absent for an empty trace. */
    firstModule?: string;
    /** Lower-case base name of the outermost frame, or `UNKNOWN`; absent for an empty trace. */
    lastModule?: string;
    /** The innermost frame is not ntdll.dll, win32u.dll or wow64win.dll: a direct system call. */
    startsOutsideNtdll: boolean;
    /** Weak hint that the handle comes from process creation; see `passesThroughProcessCreation`. */
    passesThroughProcessCreation: boolean;
    /** Distinct lower-case full paths of module frames outside the Windows system folders. */
    nonSystemModules: string[];
    isWow64: boolean;
    /** The stack shape of Sigma `proc_access_win_hktl_cobaltstrike_bof_injection_pattern.yml`. */
    cobaltStrikeBofPattern: boolean;
}

export interface CallTrace {
    frames: Frame[];
    facts: CallTraceFacts;
}

const UNKNOWN_MODULE = 'UNKNOWN';

// sysmon-modular include_syscalls.xml (FalconFriday research): a legitimate system call leaves user mode from one
// of these. Elastic's direct-syscall rule also allows wow64cpu.dll and sysfer.dll; kept to the sysmon-modular list.
const SYSCALL_GATE_MODULES: ReadonlySet<string> = new Set(['ntdll.dll', 'win32u.dll', 'wow64win.dll']);

// A path under %SystemRoot%\{System32,SysWOW64,WinSxS,Microsoft.NET,assembly}, on any drive, optionally with a
// `\\?\` or `\??\` prefix. Anchored, so `C:\Users\x\Windows\System32\evil.dll` does not pass as a system module.
const SYSTEM_MODULE_PATH =
    /^(?:\\\\\?\\|\\\?\?\\)?(?:[a-z]:\\windows|\\systemroot)\\(?:system32|syswow64|winsxs|microsoft\.net|assembly)\\/i;

const WOW64_SUFFIX = /\(wow64\)$/i;
const UNKNOWN_FRAME = /^unknown\(\s*([^)]*?)\s*\)$/i;
// The last `+` followed only by hex digits splits path and offset; paths may contain `+` (e.g. Notepad++).
const MODULE_FRAME = /^(.*)\+([0-9a-f]+)$/i;
const SIXTEEN_HEX_DIGITS = /^[0-9a-f]{16}$/i;
// Sigma's BOF regex allows 4 to 6 hex digits of offset.
const BOF_OFFSET = /^[0-9a-f]{4,6}$/i;
// Sysmon and the project's normalizer write these for an absent value.
const ABSENT_VALUES: ReadonlySet<string> = new Set(['', '-', 'n/a']);

function baseName(path: string): string {
    const lastSeparator = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
    return path.slice(lastSeparator + 1).toLowerCase();
}

function parseFrame(segment: string): Frame {
    let text = segment;
    const wow64 = WOW64_SUFFIX.test(text);
    if (wow64) {
        text = text.replace(WOW64_SUFFIX, '').trim();
    }

    const unknown = UNKNOWN_FRAME.exec(text);
    if (unknown) {
        return { kind: 'unknown', address: unknown[1] ?? '', wow64 };
    }

    const module = MODULE_FRAME.exec(text);
    const modulePath = (module?.[1] ?? text).trim();
    const offset = module?.[2] ?? '';
    return { kind: 'module', modulePath, moduleName: baseName(modulePath), offset, wow64 };
}

function moduleLabel(frame: Frame): string {
    return frame.kind === 'module' ? frame.moduleName : UNKNOWN_MODULE;
}

function isSystemModulePath(path: string): boolean {
    return SYSTEM_MODULE_PATH.test(path.replace(/\//g, '\\'));
}

/**
 * Weak heuristic for "this handle comes from CreateProcess" (the creator→child EID 10 that Elastic's
 * "Suspicious Process Creation CallTrace" rule joins on).
 *
 * Sysmon writes no symbols, so CreateProcessInternalW appears only as `KERNELBASE.dll+<offset>` and offsets change
 * with every Windows build. The rule used here: a kernelbase.dll frame whose next caller that is not kernelbase.dll
 * is kernel32.dll (kernel32's CreateProcessW stub calling KERNELBASE), or the text `createprocess` anywhere (traces
 * enriched with symbols by other tools). Limits: other kernel32 stubs that call KERNELBASE (OpenProcess among them)
 * match too, and callers that use KERNELBASE or ntdll directly do not. Treat it as context, never as evidence.
 */
function passesThroughProcessCreation(frames: readonly Frame[], text: string): boolean {
    if (text.toLowerCase().includes('createprocess')) {
        return true;
    }
    return frames.some((frame, index) => {
        if (moduleLabel(frame) !== 'kernelbase.dll') {
            return false;
        }
        const caller = frames.slice(index + 1).find((next) => moduleLabel(next) !== 'kernelbase.dll');
        return caller !== undefined && moduleLabel(caller) === 'kernel32.dll';
    });
}

// Sigma proc_access_win_hktl_cobaltstrike_bof_injection_pattern.yml: exactly
// ntdll.dll+hex | KERNELBASE.dll+hex | UNKNOWN(16 hex digits). Module names compared case-insensitively; the rule
// also requires GrantedAccess 0x1028 or 0x1fffff, which is the caller's job.
function isCobaltStrikeBofPattern(frames: readonly Frame[]): boolean {
    const [ntdll, kernelbase, unbacked] = frames;
    return (
        frames.length === 3 &&
        ntdll?.kind === 'module' &&
        !ntdll.wow64 &&
        ntdll.moduleName === 'ntdll.dll' &&
        BOF_OFFSET.test(ntdll.offset) &&
        kernelbase?.kind === 'module' &&
        !kernelbase.wow64 &&
        kernelbase.moduleName === 'kernelbase.dll' &&
        BOF_OFFSET.test(kernelbase.offset) &&
        unbacked?.kind === 'unknown' &&
        !unbacked.wow64 &&
        SIXTEEN_HEX_DIGITS.test(unbacked.address)
    );
}

function factsOf(frames: readonly Frame[], text: string): CallTraceFacts {
    const unknownFrameCount = frames.filter((frame) => frame.kind === 'unknown').length;
    const first = frames[0];
    const last = frames[frames.length - 1];

    const nonSystemModules = new Set<string>();
    for (const frame of frames) {
        if (frame.kind === 'module' && frame.modulePath !== '' && !isSystemModulePath(frame.modulePath)) {
            nonSystemModules.add(frame.modulePath.toLowerCase());
        }
    }

    const facts: CallTraceFacts = {
        frameCount: frames.length,
        hasUnknownFrame: unknownFrameCount > 0,
        unknownFrameCount,
        startsOutsideNtdll: first !== undefined && !SYSCALL_GATE_MODULES.has(moduleLabel(first)),
        passesThroughProcessCreation: passesThroughProcessCreation(frames, text),
        nonSystemModules: [...nonSystemModules],
        isWow64: frames.some((frame) => frame.wow64),
        cobaltStrikeBofPattern: isCobaltStrikeBofPattern(frames),
    };
    if (first !== undefined) {
        facts.firstModule = moduleLabel(first);
    }
    if (last !== undefined) {
        facts.lastModule = moduleLabel(last);
    }
    return facts;
}

/**
 * Parse a Sysmon `CallTrace` into frames and derived facts; never throws.
 *
 * Empty segments and stray whitespace are skipped; a frame without `+offset` is a module frame with offset `''`.
 * `undefined`, `''`, `-` and `N/A` give an empty trace.
 *
 * @example
 * const trace = parseCallTrace('C:\\Windows\\SYSTEM32\\ntdll.dll+9c524|UNKNOWN(000002022934003D)');
 * trace.frames[0]; // { kind: 'module', moduleName: 'ntdll.dll', offset: '9c524', ... }
 * trace.facts.unknownFrameCount; // 1
 */
export function parseCallTrace(text: string | undefined): CallTrace {
    const raw = typeof text === 'string' ? text.trim() : '';
    const frames = ABSENT_VALUES.has(raw.toLowerCase())
        ? []
        : raw
              .split('|')
              .map((segment) => segment.trim())
              .filter((segment) => segment !== '')
              .map(parseFrame);
    return { frames, facts: factsOf(frames, raw) };
}

/**
 * One short plain-English sentence per notable fact of a call trace, most telling first.
 *
 * Returns an empty list when nothing stands out.
 *
 * @example
 * describeCallTraceFacts(parseCallTrace('UNKNOWN(000001F3C35A0014)').facts);
 * // ['1 frame runs from memory not backed by any module (UNKNOWN)',
 * //  'the call did not go through ntdll first: a direct system call (first frame: UNKNOWN)']
 */
export function describeCallTraceFacts(facts: CallTraceFacts): string[] {
    const sentences: string[] = [];
    if (facts.frameCount === 0) {
        sentences.push('no call trace was recorded');
        return sentences;
    }
    if (facts.unknownFrameCount > 0) {
        sentences.push(
            facts.unknownFrameCount === 1
                ? '1 frame runs from memory not backed by any module (UNKNOWN)'
                : `${facts.unknownFrameCount} frames run from memory not backed by any module (UNKNOWN)`,
        );
    }
    if (facts.startsOutsideNtdll) {
        const firstModule = facts.firstModule ?? UNKNOWN_MODULE;
        sentences.push(`the call did not go through ntdll first: a direct system call (first frame: ${firstModule})`);
    }
    if (facts.cobaltStrikeBofPattern) {
        sentences.push(
            'the stack matches the Cobalt Strike BOF injection pattern (ntdll, KERNELBASE, unbacked memory)',
        );
    }
    if (facts.nonSystemModules.length > 0) {
        const modules = facts.nonSystemModules.join(', ');
        sentences.push(`the call passed through modules outside the Windows folders: ${modules}`);
    }
    if (facts.passesThroughProcessCreation) {
        sentences.push('the call may come from process creation (KERNELBASE called from kernel32; a weak hint)');
    }
    if (facts.isWow64) {
        sentences.push('the caller is a 32-bit process running under WoW64');
    }
    return sentences;
}
