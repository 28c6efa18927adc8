/**
 * Scenario tests for the rules that make detection generalize (docs/detection.md, "Rules"): each rule has a positive
 * and a negative scenario, written so that switching the rule off (the behaviour before it) fails them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { Correlator } from '../../../shared/correlate/Correlator';
import { IncidentStorePublisher } from '../../../shared/publish/IncidentStorePublisher';
import type { Incident } from '../../../shared/correlate/incident';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import { isKernelAddress } from '../../../shared/decode/startAddress';
import type { ProcessCreateEvent, SysmonEvent } from '../../../shared/sysmon/types';
import {
    CREATE_PROCESS_TRACE,
    UNBACKED_CREATE_TRACE,
    fileCreate,
    guid,
    networkConnect,
    processAccess,
    processCreate,
    remoteThread,
    resetRecordIds,
} from '../../helpers/sysmonBuilders';
import { CMD, EXPLORER, MAVINJECT, NOTEPAD, POWERSHELL, WHOAMI } from '../../helpers/images';

beforeEach(() => resetRecordIds());

const NOW = new Date('2024-05-01T10:20:00.000Z');
const LOADER = 'C:\\Users\\u\\Downloads\\loader.exe';
const IMPLANT = 'C:\\Users\\u\\AppData\\Roaming\\update.exe';

async function run(...batches: SysmonEvent[][]): Promise<Incident[]> {
    const correlator = new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store: new InMemoryHostStateStore(),
        publishers: [new IncidentStorePublisher(new InMemoryIncidentStore())],
    });
    const latest = new Map<string, Incident>();
    for (const batch of batches)
        for (const incident of (await correlator.process(batch, NOW)).incidents) latest.set(incident.id, incident);
    return [...latest.values()];
}

function base(path: string | undefined): string {
    return (path ?? '?').split('\\').pop()!.toLowerCase();
}

function pairs(incidents: Incident[]): string[] {
    return incidents.map((i) => `${base(i.injector.image)} -> ${base(i.target.image)} ${i.technique}`).sort();
}

/** An implant, written by a loader and started by it, that starts two tools from code no module backs. */
function implantStartingTools(): SysmonEvent[] {
    return [
        fileCreate(-3_000, 'loader', LOADER, IMPLANT),
        processCreate(0, 'implant', IMPLANT, 'loader', LOADER),
        processAccess(1_000, 'implant', IMPLANT, 'tool1', CMD, 0x1fffff, UNBACKED_CREATE_TRACE),
        processCreate(1_002, 'tool1', CMD, 'implant', IMPLANT, 'cmd.exe /c whoami /all'),
        processAccess(9_000, 'implant', IMPLANT, 'tool2', WHOAMI, 0x1fffff, UNBACKED_CREATE_TRACE),
        processCreate(9_003, 'tool2', WHOAMI, 'implant', IMPLANT, 'whoami.exe /priv'),
    ];
}

describe('rule 1: a victim needs evidence on the victim side', () => {
    it('an implant starting tools from unbacked code is one T1620 finding on the implant, not one hollowing per tool', async () => {
        const incidents = await run(implantStartingTools());
        expect(pairs(incidents)).toEqual(['update.exe -> update.exe T1620']);
        const [finding] = incidents;
        expect(finding!.target.processGuid).toBe(guid('implant'));
        expect(finding!.injector.processGuid).toBe(guid('implant'));
        // Both children are its evidence.
        expect(
            finding!.signals.filter((s) => s.name === 'process-created-from-unbacked-code').map((s) => s.detail),
        ).toEqual([expect.stringContaining('cmd.exe'), expect.stringContaining('whoami.exe')]);
        // 55 + written by its loader 15 + its children 10 = 80 would be High: a finding is at most Medium.
        expect(finding!.score).toBeGreaterThanOrEqual(DEFAULT_CORRELATION_CONFIG.severity.high);
        expect(finding!.severity).toBe('Medium');
    });

    it('the same in any batching and order: still one finding', async () => {
        const events = implantStartingTools();
        const incidents = await run(...[...events].reverse().map((e) => [e]));
        expect(pairs(incidents)).toEqual(['update.exe -> update.exe T1620']);
    });

    it('a child with evidence of its own is the incident (T1055.012), and the finding keeps only the other child', async () => {
        const incidents = await run([
            ...implantStartingTools(),
            processAccess(4_000, 'implant', IMPLANT, 'tool1', CMD, 0x1fffff, UNBACKED_CREATE_TRACE),
        ]);
        expect(pairs(incidents)).toEqual(['update.exe -> cmd.exe T1055.012', 'update.exe -> update.exe T1620']);
        const finding = incidents.find((i) => i.technique === 'T1620')!;
        const children = finding.signals.filter((s) => s.name === 'process-created-from-unbacked-code');
        expect(children.map((s) => s.detail)).toEqual([expect.stringContaining('whoami.exe')]);
    });

    it('a single child with evidence of its own leaves no finding on the creator', async () => {
        const incidents = await run([
            processAccess(0, 'implant', IMPLANT, 'child', CMD, 0x1fffff, UNBACKED_CREATE_TRACE),
            processCreate(2, 'child', CMD, 'implant', IMPLANT, 'cmd.exe'),
            networkConnect(900, 'child', CMD, '203.0.113.10', 443),
        ]);
        expect(pairs(incidents)).toEqual(['update.exe -> cmd.exe T1055']);
    });

    it('an injected process that then starts children from unbacked code is one incident naming its injector', async () => {
        const incidents = await run([
            processCreate(0, 'victim', EXPLORER, 'userinit', 'C:\\Windows\\System32\\userinit.exe', EXPLORER),
            remoteThread(50, 'tool', IMPLANT, 'victim', EXPLORER),
            processAccess(900, 'victim', EXPLORER, 'shell', CMD, 0x1fffff, UNBACKED_CREATE_TRACE),
            processCreate(902, 'shell', CMD, 'victim', EXPLORER, 'cmd.exe'),
        ]);
        expect(pairs(incidents)).toEqual(['update.exe -> explorer.exe T1055.002']);
        expect(incidents[0]!.contributions.map((c) => c.signal)).toContain('process-created-from-unbacked-code');
    });

    it("a child's conhost.exe is never follow-up activity; another child is", async () => {
        const injected = (child: SysmonEvent): SysmonEvent[] => [
            processCreate(0, 'victim', NOTEPAD, 'explorer', EXPLORER, 'notepad.exe a.txt'),
            remoteThread(50, 'tool', IMPLANT, 'victim', NOTEPAD),
            child,
        ];
        const conhost = await run(
            injected(
                processCreate(
                    900,
                    'console',
                    'C:\\Windows\\System32\\conhost.exe',
                    'victim',
                    NOTEPAD,
                    '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
                ),
            ),
        );
        expect(conhost[0]!.contributions.map((c) => c.signal)).toEqual(['remote-thread-unbacked']);
        const shell = await run(injected(processCreate(900, 'shell', WHOAMI, 'victim', NOTEPAD, 'whoami')));
        expect(shell[0]!.contributions.map((c) => c.signal)).toContain('follow-up-child-process');
    });
});

describe('rule 2: kernel-mode start addresses are not injected user code', () => {
    it.each([
        ['x64', '0xFFFFF8034A2B1C00', '0x000001E811820000'],
        ['x86', '0x82A1B2C3', '0x00590000'],
    ])(
        '%s: a thread starting in the kernel half is no incident; the same in user space is',
        async (_w, kernel, user) => {
            const thread = (address: string): SysmonEvent[] => [
                processCreate(0, 'victim', NOTEPAD, 'explorer', EXPLORER, 'notepad.exe a.txt'),
                { ...remoteThread(50, 'tool', IMPLANT, 'victim', NOTEPAD), startAddress: address },
            ];
            expect(await run(thread(kernel))).toEqual([]);
            expect(pairs(await run(thread(user)))).toEqual(['update.exe -> notepad.exe T1055.002']);
        },
    );

    it('decides the half from the width of the written address', () => {
        expect(isKernelAddress('0xFFFF800000000000')).toBe(true);
        expect(isKernelAddress('0x00007FFFFFFFFFFF')).toBe(false);
        expect(isKernelAddress('0x80000000')).toBe(true);
        expect(isKernelAddress('0x7FFFFFFF')).toBe(false);
        expect(isKernelAddress('0x0000000080000000')).toBe(false); // a 64-bit user address
        expect(isKernelAddress(undefined)).toBe(false);
        expect(isKernelAddress('-')).toBe(false);
    });
});

describe('rule 3: corrupt image names are corrected by agreement across the GUID, and the incident says so', () => {
    const GARBLED = '耙甯\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

    it('a garbled SourceImage on the EID 10 and a clean one on the EID 8: the clean name, with a note', async () => {
        const incidents = await run([
            processCreate(0, 'victim', NOTEPAD, 'explorer', EXPLORER, 'notepad.exe a.txt'),
            processAccess(40, 'ps', GARBLED, 'victim', NOTEPAD, 0x1f1fff, `${CREATE_PROCESS_TRACE}|UNKNOWN(00590000)`),
            remoteThread(50, 'ps', POWERSHELL, 'victim', NOTEPAD),
        ]);
        expect(incidents).toHaveLength(1);
        expect(incidents[0]!.injector.image).toBe(POWERSHELL);
        expect(incidents[0]!.notes).toEqual([expect.stringContaining(JSON.stringify(GARBLED).slice(1, -1))]);
        expect(JSON.stringify(incidents[0]!.signals)).not.toContain('耙甯');
        // A process from the Windows folder: the garbled path must not make it "outside the Windows folders".
        expect(incidents[0]!.contributions.map((c) => c.signal)).not.toContain('third-party-code-access');
    });

    it('the process creation beats a majority of garbled accesses', async () => {
        const incidents = await run([
            processCreate(-5_000, 'ps', POWERSHELL, 'explorer', EXPLORER, 'powershell.exe'),
            processCreate(0, 'victim', NOTEPAD, 'explorer', EXPLORER, 'notepad.exe a.txt'),
            processAccess(40, 'ps', GARBLED, 'victim', NOTEPAD, 0x147a, `${CREATE_PROCESS_TRACE}|UNKNOWN(00590000)`),
            processAccess(41, 'ps', GARBLED, 'victim', NOTEPAD, 0x1f1fff, `${CREATE_PROCESS_TRACE}|UNKNOWN(00590000)`),
            { ...remoteThread(50, 'ps', GARBLED, 'victim', NOTEPAD) },
        ]);
        expect(incidents[0]!.injector.image).toBe(POWERSHELL);
        expect(incidents[0]!.notes).toHaveLength(1);
    });

    it('a well-formed path beats garbled ones, even from more telling events', async () => {
        const incidents = await run([
            processCreate(0, 'victim', NOTEPAD, 'explorer', EXPLORER, 'notepad.exe a.txt'),
            remoteThread(50, 'ps', GARBLED, 'victim', NOTEPAD),
            remoteThread(51, 'ps', GARBLED, 'victim', NOTEPAD),
            processAccess(
                42,
                'ps',
                POWERSHELL,
                'victim',
                NOTEPAD,
                0x1f3fff,
                `${CREATE_PROCESS_TRACE}|UNKNOWN(00590000)`,
            ),
        ]);
        expect(incidents[0]!.injector.image).toBe(POWERSHELL);
        expect(incidents[0]!.explanation).toContain('Injector image corrected');
    });

    it('events that agree give no note', async () => {
        const incidents = await run([
            processCreate(0, 'victim', NOTEPAD, 'explorer', EXPLORER, 'notepad.exe a.txt'),
            processAccess(
                40,
                'ps',
                POWERSHELL,
                'victim',
                NOTEPAD,
                0x1f1fff,
                `${CREATE_PROCESS_TRACE}|UNKNOWN(00590000)`,
            ),
            remoteThread(50, 'ps', POWERSHELL, 'victim', NOTEPAD),
        ]);
        expect(incidents[0]!.notes).toBeUndefined();
    });
});

describe('rule 4: injection asked for on the command line', () => {
    const ask = (pid: number, image = MAVINJECT, parentImage = POWERSHELL): ProcessCreateEvent => ({
        ...processCreate(
            5_000,
            'mav',
            image,
            'ps',
            parentImage,
            `"${image}" ${pid} /INJECTRUNNING C:\\ProgramData\\payload.dll`,
        ),
        parentProcessId: 3904,
    });
    // processCreate gives process id 4000 + (time % 1000): the victim below is pid 4000.
    const victim = processCreate(0, 'victim', NOTEPAD, 'explorer', EXPLORER, 'notepad.exe a.txt');

    it('with no EID 8 or 10 at all, the PID resolves to the running process it names', async () => {
        const incidents = await run([victim, ask(4000)]);
        expect(pairs(incidents)).toEqual(['mavinject.exe -> notepad.exe T1055.001']);
        expect(incidents[0]!.target.processGuid).toBe(guid('victim'));
    });

    it("the PID of the utility's own parent names the parent", async () => {
        const incidents = await run([victim, ask(3904)]);
        expect(incidents.map((i) => i.target.processGuid)).toEqual([guid('ps')]);
    });

    it('a PID the host state does not know is named by PID', async () => {
        const incidents = await run([ask(1234)]);
        expect(incidents).toHaveLength(1);
        expect(incidents[0]!.target).toEqual({ processGuid: '', processId: 1234 });
        expect(incidents[0]!.explanation).toContain('process 1234');
    });

    it('a renamed copy matches by its switch; with its own remote thread in the same batch there is one incident', async () => {
        const copy = 'C:\\Users\\u\\AppData\\Local\\Temp\\m.exe';
        const incidents = await run([
            ask(1234, copy),
            {
                ...remoteThread(
                    5_010,
                    'mav',
                    copy,
                    'other',
                    NOTEPAD,
                    'C:\\Windows\\System32\\KERNEL32.DLL',
                    'LoadLibraryW',
                ),
                targetProcessId: 1234,
            },
        ]);
        expect(pairs(incidents)).toEqual(['m.exe -> notepad.exe T1055.001']);
    });

    it('App-V starting the utility, or a command line without the switch, is nothing', async () => {
        expect(await run([victim, ask(4000, MAVINJECT, 'C:\\Windows\\System32\\AppVClient.exe')])).toEqual([]);
        expect(await run([victim, { ...ask(4000), commandLine: `"${MAVINJECT}" 4000 /HELP` }])).toEqual([]);
    });
});

describe('rule 5: technique attribution', () => {
    const spawned = (): SysmonEvent[] => [
        processAccess(0, 'dropper', LOADER, 'child', CMD, 0x1fffff, `${CREATE_PROCESS_TRACE}|${LOADER}+10`),
        processCreate(2, 'child', CMD, 'dropper', LOADER, 'cmd.exe /c build.bat'),
    ];

    it('spawning a child and starting a thread in it is not hollowing by itself', async () => {
        const incidents = await run([...spawned(), remoteThread(40, 'dropper', LOADER, 'child', CMD)]);
        expect(pairs(incidents)).toEqual(['loader.exe -> cmd.exe T1055.002']);
    });

    it('the creator reopening its child with code rights is', async () => {
        const incidents = await run([
            ...spawned(),
            remoteThread(40, 'dropper', LOADER, 'child', CMD),
            processAccess(3_000, 'dropper', LOADER, 'child', CMD, 0x1fffff, `${CREATE_PROCESS_TRACE}|${LOADER}+10`),
        ]);
        expect(pairs(incidents)).toEqual(['loader.exe -> cmd.exe T1055.012']);
    });
});
