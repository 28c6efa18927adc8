/**
 * The signal catalogue (shared/correlate/signals.ts) as tested data:
 * - every signal has a complete definition (ATT&CK ids, description, false positives, triage steps, public sources);
 * - every signal has a positive fixture that raises it and a negative fixture, a near miss, that does not; a sweep
 *   fails when a signal has none;
 * - the README's "What it detects" table and the reference in docs/detection.md are renderings of the catalogue
 *   (`UPDATE_SIGNAL_DOCS=1` rewrites both between their markers; review the diff).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { evaluateChain } from '../../../shared/correlate/evaluate';
import { applyEvents } from '../../../shared/correlate/reducer';
import type { SignalName } from '../../../shared/correlate/signals';
import { SIGNALS, SIGNAL_NAMES } from '../../../shared/correlate/signals';
import { emptyHostState } from '../../../shared/correlate/state';
import type { SysmonEvent } from '../../../shared/sysmon/types';
import {
    CREATE_PROCESS_TRACE,
    UNBACKED_CREATE_TRACE,
    HOST,
    fileCreate,
    imageLoad,
    networkConnect,
    processAccess,
    processCreate,
    remoteThread,
    resetRecordIds,
    tampering,
} from '../../helpers/sysmonBuilders';
import { CMD, DROPPER, EXPLORER, NOTEPAD, RUNDLL32, SERVICES, SVCHOST } from '../../helpers/images';

beforeEach(() => resetRecordIds());

const TOOL = 'C:\\Users\\u\\AppData\\Local\\Temp\\tool.exe';
const NATIVE_TRACE = `C:\\Windows\\SYSTEM32\\ntdll.dll+9d8e4|${DROPPER}+1a2b`;
const BOF_TRACE =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(00000267A1B20C3F)';
const SIDELOADED = 'C:\\Users\\Public\\tools\\helper.dll';
const SIDELOADED_TRACE = `C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|${SIDELOADED}+17be`;

/** A dropper starting a bare notepad, whose creation handle is plain CreateProcess: the base most fixtures add to. */
function started(image = NOTEPAD, commandLine = image, parent = 'dropper', parentImage = DROPPER): SysmonEvent[] {
    return [
        processAccess(0, parent, parentImage, 'child', image, 0x1fffff, `${CREATE_PROCESS_TRACE}|${parentImage}+4711`),
        processCreate(2, 'child', image, parent, parentImage, commandLine),
    ];
}

/** A running notepad started by explorer (its EID 1 is known): the base for opened-process injection. */
function running(): SysmonEvent[] {
    return [processCreate(0, 'child', NOTEPAD, 'explorer', EXPLORER, '"C:\\Windows\\System32\\notepad.exe" a.txt')];
}

interface Fixture {
    positive: () => SysmonEvent[];
    negative: () => SysmonEvent[];
}

const FIXTURES: Record<SignalName, Fixture> = {
    'remote-thread-unbacked': {
        positive: () => [...running(), remoteThread(50, 'tool', TOOL, 'child', NOTEPAD)],
        // A kernel-mode start address with no module is a kernel thread, not injected code.
        negative: () => [
            ...running(),
            { ...remoteThread(50, 'tool', TOOL, 'child', NOTEPAD), startAddress: '0xFFFFF8034A2B1C00' },
        ],
    },
    'remote-thread-loadlibrary': {
        positive: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD, 'C:\\Windows\\System32\\KERNEL32.DLL', 'LoadLibraryW'),
        ],
        negative: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD, 'C:\\Windows\\System32\\KERNELBASE.dll', 'CtrlRoutine'),
        ],
    },
    'remote-thread-foreign-module': {
        positive: () => [...running(), remoteThread(50, 'tool', TOOL, 'child', NOTEPAD, SIDELOADED, 'Start')],
        negative: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD, 'C:\\Windows\\System32\\ntdll.dll', 'RtlUserThreadStart'),
        ],
    },
    'access-direct-syscall': {
        positive: () => [
            ...running(),
            processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x1fffff, 'UNKNOWN(00007FF6A1B2C3D4)'),
        ],
        // Query rights only: no handle to write or run code.
        negative: () => [
            ...running(),
            processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x1000, 'UNKNOWN(00007FF6A1B2C3D4)'),
        ],
    },
    'access-bof-injection-pattern': {
        positive: () => [...running(), processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x1028, BOF_TRACE)],
        // Sigma's rule names exactly 0x1028 and 0x1fffff.
        negative: () => [...running(), processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x143a, BOF_TRACE)],
    },
    'creator-access-from-unbacked-code': {
        positive: () => [
            processAccess(0, 'dropper', DROPPER, 'child', NOTEPAD, 0x1fffff, UNBACKED_CREATE_TRACE),
            processCreate(2, 'child', NOTEPAD, 'dropper', DROPPER),
        ],
        // JIT code above the .NET runtime is not unbacked injected code.
        negative: () => [
            processAccess(
                0,
                'dropper',
                DROPPER,
                'child',
                NOTEPAD,
                0x1fffff,
                `${CREATE_PROCESS_TRACE}|C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll+1000|UNKNOWN(00007FF977FDDF0C)`,
            ),
            processCreate(2, 'child', NOTEPAD, 'dropper', DROPPER),
        ],
    },
    'process-created-from-unbacked-code': {
        positive: () => [
            processAccess(0, 'dropper', DROPPER, 'child', CMD, 0x1fffff, UNBACKED_CREATE_TRACE),
            processCreate(2, 'child', CMD, 'dropper', DROPPER, 'cmd.exe /c whoami'),
        ],
        // The same handle, but the child shows injection of its own (a remote thread): the child's incident covers it.
        negative: () => [
            processAccess(0, 'dropper', DROPPER, 'child', CMD, 0x1fffff, UNBACKED_CREATE_TRACE),
            processCreate(2, 'child', CMD, 'dropper', DROPPER, 'cmd.exe /c whoami'),
            remoteThread(40, 'dropper', DROPPER, 'child', CMD),
        ],
    },
    'native-process-creation': {
        positive: () => [
            processAccess(0, 'dropper', DROPPER, 'child', 'C:\\Users\\u\\x.exe', 0x1fffff, NATIVE_TRACE),
            processCreate(2, 'child', 'C:\\Users\\u\\x.exe', 'dropper', DROPPER),
        ],
        negative: () => started('C:\\Users\\u\\x.exe'),
    },
    'image-written-before-start': {
        positive: () => [
            fileCreate(-5_000, 'dropper', DROPPER, 'C:\\Users\\u\\x.exe'),
            ...started('C:\\Users\\u\\x.exe'),
            remoteThread(40, 'dropper', DROPPER, 'child', 'C:\\Users\\u\\x.exe'),
        ],
        // Written long before (outside the window).
        negative: () => [
            fileCreate(-600_000, 'dropper', DROPPER, 'C:\\Users\\u\\x.exe'),
            ...started('C:\\Users\\u\\x.exe'),
            remoteThread(40, 'dropper', DROPPER, 'child', 'C:\\Users\\u\\x.exe'),
        ],
    },
    'creator-reopened-with-code-rights': {
        positive: () => [
            ...started(),
            processAccess(5_000, 'dropper', DROPPER, 'child', NOTEPAD, 0x1fffff, CREATE_PROCESS_TRACE),
        ],
        negative: () => [
            ...started(),
            processAccess(5_000, 'dropper', DROPPER, 'child', NOTEPAD, 0x1410, CREATE_PROCESS_TRACE),
        ],
    },
    'third-party-access-from-unbacked-code': {
        positive: () => [
            ...running(),
            processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x147a, UNBACKED_CREATE_TRACE),
        ],
        negative: () => [
            ...running(),
            processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x147a, `${CREATE_PROCESS_TRACE}|${TOOL}+10`),
        ],
    },
    'third-party-code-access': {
        positive: () => [
            ...running(),
            processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x147a, `${CREATE_PROCESS_TRACE}|${TOOL}+10`),
        ],
        // The same handle from a program in the Windows folder.
        negative: () => [
            ...running(),
            processAccess(
                50,
                'tm',
                'C:\\Windows\\System32\\Taskmgr.exe',
                'child',
                NOTEPAD,
                0x147a,
                `${CREATE_PROCESS_TRACE}|${SIDELOADED.replace('Users\\Public\\tools', 'Windows\\System32')}+10`,
            ),
        ],
    },
    'access-from-user-writable-module': {
        positive: () => [...running(), processAccess(50, 'tool', TOOL, 'child', NOTEPAD, 0x1452, SIDELOADED_TRACE)],
        negative: () => [
            ...running(),
            processAccess(
                50,
                'tool',
                TOOL,
                'child',
                NOTEPAD,
                0x1452,
                SIDELOADED_TRACE.replace(SIDELOADED, 'C:\\Program Files\\App\\helper.dll'),
            ),
        ],
    },
    'image-replaced': {
        positive: () => [...started(), tampering(40, 'child', NOTEPAD, 'Image is replaced')],
        negative: () => [
            ...started('C:\\Program Files\\App\\app.exe'),
            tampering(40, 'child', 'C:\\Program Files\\App\\app.exe', 'Image is replaced'),
        ],
    },
    'image-locked': {
        positive: () => [...started(), tampering(40, 'child', NOTEPAD, 'Image is locked for access')],
        negative: () => [
            ...started('C:\\Windows\\System32\\wbem\\WMIADAP.exe', 'wmiadap.exe /F /T /R', 'svc', SVCHOST),
            tampering(40, 'child', 'C:\\Windows\\System32\\wbem\\WMIADAP.exe', 'Image is locked for access'),
        ],
    },
    'hollowing-host-without-arguments': {
        positive: () => [
            ...started(SVCHOST, SVCHOST, 'scm', SERVICES),
            remoteThread(40, 'tool', TOOL, 'child', SVCHOST),
        ],
        negative: () => [
            ...started(SVCHOST, 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p', 'scm', SERVICES),
            remoteThread(40, 'tool', TOOL, 'child', SVCHOST),
        ],
    },
    'hollowing-host-unexpected-parent': {
        positive: () => [
            ...started(SVCHOST, 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p'),
            remoteThread(40, 'tool', TOOL, 'child', SVCHOST),
        ],
        negative: () => [
            ...started(SVCHOST, 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p', 'scm', SERVICES),
            remoteThread(40, 'tool', TOOL, 'child', SVCHOST),
        ],
    },
    'hollowing-host-network': {
        positive: () => [...started(RUNDLL32), networkConnect(900, 'child', RUNDLL32, '203.0.113.10', 443)],
        // Printing to port 9100 is what notepad does by design (Sigma excludes it).
        negative: () => [...started(), networkConnect(900, 'child', NOTEPAD, '192.0.2.7', 9100)],
    },
    'command-line-injection': {
        positive: () => [
            ...running(),
            processCreate(
                5_000,
                'mav',
                'C:\\Windows\\System32\\mavinject.exe',
                'ps',
                'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
                `mavinject.exe ${4000} /INJECTRUNNING C:\\ProgramData\\x.dll`,
            ),
        ],
        // App-V's client starts the utility for its virtual applications (the Sigma rule's filter).
        negative: () => [
            ...running(),
            processCreate(
                5_000,
                'mav',
                'C:\\Windows\\System32\\mavinject.exe',
                'appv',
                'C:\\Windows\\System32\\AppVClient.exe',
                `mavinject.exe ${4000} /INJECTRUNNING C:\\ProgramData\\x.dll`,
            ),
        ],
    },
    'follow-up-network': {
        positive: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD),
            networkConnect(900, 'child', NOTEPAD, '203.0.113.10', 443),
        ],
        // Before the injection it is the program's own traffic.
        negative: () => [
            ...running(),
            networkConnect(20, 'child', NOTEPAD, '203.0.113.10', 443),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD),
        ],
    },
    'follow-up-child-process': {
        positive: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD),
            processCreate(900, 'grandchild', 'C:\\Windows\\System32\\whoami.exe', 'child', NOTEPAD),
        ],
        // The console host Windows starts for every console program is no follow-up.
        negative: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD),
            processCreate(
                900,
                'grandchild',
                'C:\\Windows\\System32\\conhost.exe',
                'child',
                NOTEPAD,
                '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
            ),
        ],
    },
    'follow-up-unsigned-image': {
        positive: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD),
            imageLoad(900, 'child', NOTEPAD, SIDELOADED, false),
        ],
        negative: () => [
            ...running(),
            remoteThread(50, 'tool', TOOL, 'child', NOTEPAD),
            imageLoad(900, 'child', NOTEPAD, SIDELOADED, true),
        ],
    },
};

/** Every signal name any chain of the host raises after the events (incident or not). */
function signalsRaised(events: SysmonEvent[]): Set<SignalName> {
    const state = emptyHostState(HOST.toLowerCase());
    applyEvents(state, events, Date.parse('2024-05-01T10:20:00Z'), DEFAULT_CORRELATION_CONFIG);
    const names = new Set<SignalName>();
    for (const chain of state.chains.values())
        for (const hit of evaluateChain(chain, state, DEFAULT_CORRELATION_CONFIG).signals) names.add(hit.name);
    return names;
}

describe('the signal catalogue', () => {
    it('every signal is defined completely: id, points, kind, side, ATT&CK ids, description, false positives, triage, public sources', () => {
        for (const name of SIGNAL_NAMES) {
            const signal = SIGNALS[name];
            expect(signal.id).toBe(name);
            expect(signal.points).toBeGreaterThan(0);
            expect(['primary', 'context']).toContain(signal.kind);
            expect(['victim', 'actor', 'context']).toContain(signal.side);
            expect(signal.attack.length, name).toBeGreaterThan(0);
            for (const id of signal.attack) expect(id).toMatch(/^T\d{4}(\.\d{3})?$/);
            for (const text of [signal.summary, signal.description, signal.falsePositives])
                expect(text.length, name).toBeGreaterThan(10);
            expect(signal.triage.length, name).toBeGreaterThan(0);
            expect(signal.sources.length, name).toBeGreaterThan(0);
            // Public sources only: a URL, or a Sigma/Elastic rule named by its public file name.
            for (const source of signal.sources) expect(source, name).toMatch(/https:\/\/|Sigma [a-z_]+|Elastic /);
            expect(JSON.stringify(signal)).not.toMatch(/anchors|\.\.\/shared|reference\//);
        }
    });

    it('sweep: every signal has a positive and a negative fixture', () => {
        expect(Object.keys(FIXTURES).sort()).toEqual([...SIGNAL_NAMES].sort());
    });

    it.each(SIGNAL_NAMES)('%s: the positive fixture raises it, the negative one does not', (name) => {
        const fixture = FIXTURES[name];
        expect([...signalsRaised(fixture.positive())]).toContain(name);
        expect([...signalsRaised(fixture.negative())]).not.toContain(name);
    });
});

const README = resolve(__dirname, '../../../README.md');
const DOCS = resolve(__dirname, '../../../docs/detection.md');
const BEGIN =
    '<!-- signals:begin (generated from shared/correlate/signals.ts; UPDATE_SIGNAL_DOCS=1 npx vitest run test/unit/correlate/signalCatalogue.test.ts) -->';
const END = '<!-- signals:end -->';

function cell(text: string): string {
    return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The README's table: one row per signal. */
export function renderReadmeTable(): string {
    const rows = SIGNAL_NAMES.map((name) => {
        const s = SIGNALS[name];
        return `| \`${name}\` | ${s.points} | ${s.kind} | ${s.side} | ${s.attack.join(', ')} | ${cell(s.summary)} |`;
    });
    return [
        '| signal | points | kind | evidence on | ATT&CK | what it means |',
        '|---|---|---|---|---|---|',
        ...rows,
    ].join('\n');
}

/** The reference in docs/detection.md: every field of every signal. */
export function renderReference(): string {
    return SIGNAL_NAMES.map((name) => {
        const s = SIGNALS[name];
        return [
            `### \`${name}\``,
            '',
            `${s.points} points, ${s.kind}, evidence on the ${s.side} side; ATT&CK ${s.attack.join(', ')}.`,
            '',
            s.description,
            '',
            `False positives: ${s.falsePositives}`,
            '',
            'Possible investigation steps:',
            '',
            ...s.triage.map((step, i) => `${i + 1}. ${step}`),
            '',
            'Sources:',
            '',
            ...s.sources.map((source) => `- ${source}`),
        ].join('\n');
    }).join('\n\n');
}

function between(text: string): string | undefined {
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    return start === -1 || end === -1 ? undefined : text.slice(start + BEGIN.length, end).trim();
}

function rewrite(path: string, body: string): void {
    const text = readFileSync(path, 'utf8');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    writeFileSync(path, `${text.slice(0, start + BEGIN.length)}\n\n${body}\n\n${text.slice(end)}`);
}

describe('the documents show the catalogue', () => {
    it.each([
        ['README.md', README, renderReadmeTable],
        ['docs/detection.md', DOCS, renderReference],
    ] as const)('%s holds the rendering of signals.ts between its markers', (_label, path, render) => {
        if (process.env.UPDATE_SIGNAL_DOCS === '1') rewrite(path, render());
        expect(between(readFileSync(path, 'utf8'))).toBe(render());
    });
});
