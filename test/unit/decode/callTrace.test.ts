import { describe, expect, it } from 'vitest';

import { describeCallTraceFacts, parseCallTrace, type Frame } from '../../../shared/decode/callTrace';

// Real CallTrace values from Sysmon recordings.
const SYSMAIN_TRACE =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+9c584|C:\\Windows\\System32\\KERNELBASE.dll+2730e|' +
    'c:\\windows\\system32\\sysmain.dll+163d0|C:\\Windows\\System32\\KERNEL32.DLL+17c24|' +
    'C:\\Windows\\SYSTEM32\\ntdll.dll+6cea1';
const DIRECT_SYSCALL_TRACE = 'UNKNOWN(000001F3C35A0014)';
const BOF_TRACE =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+9c524|C:\\Windows\\System32\\KERNELBASE.dll+3a1ff|' + 'UNKNOWN(000002022934003D)';
// Frames of the BOF shape, to build variants of it.
const BOF_NTDLL = 'C:\\Windows\\SYSTEM32\\ntdll.dll+9c524';
const BOF_KERNELBASE = 'C:\\Windows\\System32\\KERNELBASE.dll+3a1ff';
const BOF_UNBACKED = 'UNKNOWN(000002022934003D)';
const WOW64_TRACE =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+4cc4a|C:\\Windows\\System32\\wow64.dll+a146|' +
    'C:\\Windows\\SYSTEM32\\ntdll.dll+38c7c|C:\\Windows\\SysWOW64\\KERNELBASE.dll+110926(wow64)|' +
    'C:\\Users\\Public\\tools\\apt\\OnKeyToken_KEB.dll+17be(wow64)';
const MID_UNKNOWN_TRACE =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|' +
    'UNKNOWN(00200022)|C:\\Program Files\\Vendor\\agent.exe+1a2b';

describe('parseCallTrace: frames', () => {
    it('parses module frames with path, lower-case base name and offset as written', () => {
        const { frames } = parseCallTrace(SYSMAIN_TRACE);
        expect(frames).toHaveLength(5);
        expect(frames[0]).toEqual({
            kind: 'module',
            modulePath: 'C:\\Windows\\SYSTEM32\\ntdll.dll',
            moduleName: 'ntdll.dll',
            offset: '9c584',
            wow64: false,
        });
        expect(frames.map((frame) => (frame.kind === 'module' ? frame.moduleName : 'UNKNOWN'))).toEqual([
            'ntdll.dll',
            'kernelbase.dll',
            'sysmain.dll',
            'kernel32.dll',
            'ntdll.dll',
        ]);
    });

    it.each<[string, Frame]>([
        ['UNKNOWN(000002022934003D)', { kind: 'unknown', address: '000002022934003D', wow64: false }],
        ['unknown(00200022)', { kind: 'unknown', address: '00200022', wow64: false }],
        ['UNKNOWN(140718386642944)', { kind: 'unknown', address: '140718386642944', wow64: false }],
        ['UNKNOWN(0000000000000000)(wow64)', { kind: 'unknown', address: '0000000000000000', wow64: true }],
        [
            'C:\\Windows\\SysWOW64\\KERNELBASE.dll+110926(wow64)',
            {
                kind: 'module',
                modulePath: 'C:\\Windows\\SysWOW64\\KERNELBASE.dll',
                moduleName: 'kernelbase.dll',
                offset: '110926',
                wow64: true,
            },
        ],
        [
            '  C:\\Windows\\System32\\KERNEL32.DLL+17C24  ',
            {
                kind: 'module',
                modulePath: 'C:\\Windows\\System32\\KERNEL32.DLL',
                moduleName: 'kernel32.dll',
                offset: '17C24',
                wow64: false,
            },
        ],
        [
            'C:\\Windows\\System32\\ntdll.dll',
            {
                kind: 'module',
                modulePath: 'C:\\Windows\\System32\\ntdll.dll',
                moduleName: 'ntdll.dll',
                offset: '',
                wow64: false,
            },
        ],
        [
            'C:\\Program Files\\Notepad++\\notepad++.exe+1f00',
            {
                kind: 'module',
                modulePath: 'C:\\Program Files\\Notepad++\\notepad++.exe',
                moduleName: 'notepad++.exe',
                offset: '1f00',
                wow64: false,
            },
        ],
        [
            'C:\\Program Files\\Notepad++\\notepad++.exe',
            {
                kind: 'module',
                modulePath: 'C:\\Program Files\\Notepad++\\notepad++.exe',
                moduleName: 'notepad++.exe',
                offset: '',
                wow64: false,
            },
        ],
    ])('parses the single frame %j', (text, expected) => {
        expect(parseCallTrace(text).frames).toEqual([expected]);
    });

    it.each([
        ['an empty string', ''],
        ['undefined', undefined],
        ['only separators', '||'],
        ['whitespace and separators', '  | |  '],
        ['the Sysmon dash', '-'],
        ['N/A', 'N/A'],
    ])('gives an empty trace for %s', (_label, text) => {
        const trace = parseCallTrace(text);
        expect(trace.frames).toEqual([]);
        expect(trace.facts).toEqual({
            frameCount: 0,
            hasUnknownFrame: false,
            unknownFrameCount: 0,
            startsOutsideNtdll: false,
            passesThroughProcessCreation: false,
            nonSystemModules: [],
            isWow64: false,
            cobaltStrikeBofPattern: false,
        });
        expect(trace.facts.firstModule).toBeUndefined();
        expect(trace.facts.lastModule).toBeUndefined();
    });

    it('skips empty segments between frames', () => {
        const { frames } = parseCallTrace(`||${BOF_TRACE.replace(/\|/g, '| |')}||`);
        expect(frames.map((frame) => frame.kind)).toEqual(['module', 'module', 'unknown']);
    });

    it.each([
        ['a non-string value', 42 as unknown as string],
        ['unbalanced parentheses', 'UNKNOWN(|(wow64)|+|+++|)('],
        ['a very long trace', Array.from({ length: 5000 }, () => 'UNKNOWN(00)').join('|')],
    ])('never throws on %s', (_label, text) => {
        expect(() => parseCallTrace(text)).not.toThrow();
    });
});

describe('parseCallTrace: facts of real traces', () => {
    it.each([
        {
            label: 'sysmain (ntdll first, all system modules)',
            text: SYSMAIN_TRACE,
            frameCount: 5,
            unknownFrameCount: 0,
            firstModule: 'ntdll.dll',
            lastModule: 'ntdll.dll',
            startsOutsideNtdll: false,
            passesThroughProcessCreation: false,
            nonSystemModules: [],
            isWow64: false,
            cobaltStrikeBofPattern: false,
        },
        {
            label: 'direct syscall (only an unbacked frame)',
            text: DIRECT_SYSCALL_TRACE,
            frameCount: 1,
            unknownFrameCount: 1,
            firstModule: 'UNKNOWN',
            lastModule: 'UNKNOWN',
            startsOutsideNtdll: true,
            passesThroughProcessCreation: false,
            nonSystemModules: [],
            isWow64: false,
            cobaltStrikeBofPattern: false,
        },
        {
            label: 'Cobalt Strike BOF shape',
            text: BOF_TRACE,
            frameCount: 3,
            unknownFrameCount: 1,
            firstModule: 'ntdll.dll',
            lastModule: 'UNKNOWN',
            startsOutsideNtdll: false,
            passesThroughProcessCreation: false,
            nonSystemModules: [],
            isWow64: false,
            cobaltStrikeBofPattern: true,
        },
        {
            label: 'WoW64 caller from a user folder',
            text: WOW64_TRACE,
            frameCount: 5,
            unknownFrameCount: 0,
            firstModule: 'ntdll.dll',
            lastModule: 'onkeytoken_keb.dll',
            startsOutsideNtdll: false,
            passesThroughProcessCreation: false,
            nonSystemModules: ['c:\\users\\public\\tools\\apt\\onkeytoken_keb.dll'],
            isWow64: true,
            cobaltStrikeBofPattern: false,
        },
        {
            label: 'unbacked frame in the middle',
            text: MID_UNKNOWN_TRACE,
            frameCount: 4,
            unknownFrameCount: 1,
            firstModule: 'ntdll.dll',
            lastModule: 'agent.exe',
            startsOutsideNtdll: false,
            passesThroughProcessCreation: false,
            nonSystemModules: ['c:\\program files\\vendor\\agent.exe'],
            isWow64: false,
            cobaltStrikeBofPattern: false,
        },
    ])('$label', ({ text, label: _label, ...expected }) => {
        const { facts } = parseCallTrace(text);
        expect(facts).toEqual({ ...expected, hasUnknownFrame: expected.unknownFrameCount > 0 });
    });
});

describe('parseCallTrace: individual facts', () => {
    it.each([
        ['ntdll first', 'C:\\Windows\\SYSTEM32\\ntdll.dll+1|C:\\x\\a.exe+2', false],
        ['SysWOW64 ntdll first', 'C:\\Windows\\SysWOW64\\ntdll.dll+1(wow64)|C:\\x\\a.exe+2', false],
        ['win32u first', 'C:\\Windows\\System32\\win32u.dll+14a4|C:\\Windows\\System32\\user32.dll+1', false],
        ['wow64win first', 'C:\\Windows\\System32\\wow64win.dll+1|C:\\Windows\\System32\\wow64.dll+2', false],
        ['KERNELBASE first', 'C:\\Windows\\System32\\KERNELBASE.dll+1|C:\\x\\a.exe+2', true],
        ['an application module first', 'C:\\Users\\x\\evil.dll+10|C:\\Windows\\SYSTEM32\\ntdll.dll+1', true],
        ['UNKNOWN first', 'UNKNOWN(0000000000000000)|UNKNOWN(0000000000000000)|C:\\x\\a.exe+2', true],
    ])('startsOutsideNtdll with %s is %s', (_label, text, expected) => {
        expect(parseCallTrace(text).facts.startsOutsideNtdll).toBe(expected);
    });

    it.each([
        [
            'KERNELBASE called from kernel32',
            'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+1f0a2|' +
                'C:\\Windows\\System32\\KERNELBASE.dll+1e865|C:\\Windows\\System32\\KERNEL32.DLL+1b9c3|' +
                'C:\\x\\app.exe+1234',
            true,
        ],
        ['a symbol naming CreateProcess', 'C:\\Windows\\System32\\KERNELBASE.dll!CreateProcessInternalW+1f0a2', true],
        ['KERNELBASE called from another module', SYSMAIN_TRACE, false],
        ['no KERNELBASE frame', 'C:\\Windows\\SYSTEM32\\ntdll.dll+1|C:\\Windows\\System32\\KERNEL32.DLL+2', false],
        [
            'KERNELBASE as the outermost frame',
            'C:\\Windows\\SYSTEM32\\ntdll.dll+1|C:\\Windows\\System32\\KERNELBASE.dll+2',
            false,
        ],
        ['KERNELBASE then UNKNOWN', BOF_TRACE, false],
    ])('passesThroughProcessCreation with %s is %s', (_label, text, expected) => {
        expect(parseCallTrace(text).facts.passesThroughProcessCreation).toBe(expected);
    });

    it.each([
        ['System32', 'C:\\Windows\\System32\\KERNELBASE.dll+1', []],
        ['SysWOW64', 'c:\\windows\\syswow64\\kernel32.dll+1', []],
        ['WinSxS', 'C:\\Windows\\WinSxS\\amd64_microsoft.windows.common-controls\\comctl32.dll+1', []],
        ['Microsoft.NET', 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll+1', []],
        ['assembly', 'C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System\\System.ni.dll+1', []],
        ['another drive', 'D:\\WINDOWS\\SYSTEM32\\ntdll.dll+1', []],
        ['forward slashes', 'C:/Windows/System32/ntdll.dll+1', []],
        ['UNKNOWN frames only', 'UNKNOWN(00200022)', []],
        [
            'Program Files',
            'C:\\Program Files\\Dell\\SupportAssist.exe+1',
            ['c:\\program files\\dell\\supportassist.exe'],
        ],
        ['Windows but not a system folder', 'C:\\Windows\\Temp\\x.dll+1', ['c:\\windows\\temp\\x.dll']],
        [
            'a fake System32 under a user folder',
            'C:\\Users\\x\\Windows\\System32\\ntdll.dll+1',
            ['c:\\users\\x\\windows\\system32\\ntdll.dll'],
        ],
        [
            'the same module twice in different case',
            'C:\\Tools\\A.dll+1|c:\\tools\\a.dll+2|C:\\Tools\\B.dll+3',
            ['c:\\tools\\a.dll', 'c:\\tools\\b.dll'],
        ],
    ])('nonSystemModules for %s', (_label, text, expected) => {
        expect(parseCallTrace(text).facts.nonSystemModules).toEqual(expected);
    });

    it.each([
        ['the real BOF trace', BOF_TRACE, true],
        ['upper-case UNKNOWN address', [BOF_NTDLL, BOF_KERNELBASE, 'UNKNOWN(0000020229ABCDEF)'].join('|'), true],
        ['four frames', [BOF_NTDLL, BOF_KERNELBASE, BOF_UNBACKED, BOF_UNBACKED].join('|'), false],
        ['two frames', [BOF_NTDLL, BOF_UNBACKED].join('|'), false],
        ['a short UNKNOWN address', [BOF_NTDLL, BOF_KERNELBASE, 'UNKNOWN(00200022)'].join('|'), false],
        [
            'kernel32 instead of KERNELBASE',
            [BOF_NTDLL, 'C:\\Windows\\System32\\KERNEL32.DLL+3a1ff', BOF_UNBACKED].join('|'),
            false,
        ],
        ['frames out of order', [BOF_KERNELBASE, BOF_NTDLL, BOF_UNBACKED].join('|'), false],
        [
            'an offset longer than 6 digits',
            ['C:\\Windows\\SYSTEM32\\ntdll.dll+1009c524', BOF_KERNELBASE, BOF_UNBACKED].join('|'),
            false,
        ],
        ['WoW64 frames', [BOF_NTDLL, BOF_KERNELBASE, BOF_UNBACKED].map((frame) => `${frame}(wow64)`).join('|'), false],
        ['an empty trace', '', false],
    ])('cobaltStrikeBofPattern for %s is %s', (_label, text, expected) => {
        expect(parseCallTrace(text).facts.cobaltStrikeBofPattern).toBe(expected);
    });

    it('counts several unbacked frames', () => {
        const { facts } = parseCallTrace('UNKNOWN(0000000000000000)|UNKNOWN(0000000000000000)|C:\\x\\a.exe+2');
        expect(facts.unknownFrameCount).toBe(2);
        expect(facts.hasUnknownFrame).toBe(true);
        expect(facts.firstModule).toBe('UNKNOWN');
        expect(facts.lastModule).toBe('a.exe');
    });
});

describe('describeCallTraceFacts', () => {
    it.each([
        ['an empty trace', '', ['no call trace was recorded']],
        ['an unremarkable system trace', SYSMAIN_TRACE, []],
        [
            'a direct syscall',
            DIRECT_SYSCALL_TRACE,
            [
                '1 frame runs from memory not backed by any module (UNKNOWN)',
                'the call did not go through ntdll first: a direct system call (first frame: UNKNOWN)',
            ],
        ],
        [
            'the BOF shape',
            BOF_TRACE,
            [
                '1 frame runs from memory not backed by any module (UNKNOWN)',
                'the stack matches the Cobalt Strike BOF injection pattern (ntdll, KERNELBASE, unbacked memory)',
            ],
        ],
        [
            'two unbacked frames',
            'UNKNOWN(0000000000000000)|UNKNOWN(0000000000000000)|C:\\Windows\\System32\\KERNEL32.DLL+2',
            [
                '2 frames run from memory not backed by any module (UNKNOWN)',
                'the call did not go through ntdll first: a direct system call (first frame: UNKNOWN)',
            ],
        ],
        [
            'a WoW64 caller from a user folder',
            WOW64_TRACE,
            [
                'the call passed through modules outside the Windows folders: ' +
                    'c:\\users\\public\\tools\\apt\\onkeytoken_keb.dll',
                'the caller is a 32-bit process running under WoW64',
            ],
        ],
        [
            'a process-creation path',
            [
                'C:\\Windows\\SYSTEM32\\ntdll.dll+1',
                'C:\\Windows\\System32\\KERNELBASE.dll+2',
                'C:\\Windows\\System32\\KERNEL32.DLL+3',
            ].join('|'),
            ['the call may come from process creation (KERNELBASE called from kernel32; a weak hint)'],
        ],
    ])('describes %s', (_label, text, expected) => {
        expect(describeCallTraceFacts(parseCallTrace(text).facts)).toEqual(expected);
    });
});
