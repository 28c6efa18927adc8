/** Per-event facts, on CallTraces and paths taken from the real recordings. */
import { describe, expect, it } from 'vitest';
import {
    accessFacts,
    argumentsOf,
    baseName,
    isAllAccess,
    isUnderWindows,
    isUserWritable,
    threadFacts,
} from '../../../shared/correlate/facts';

const NVSMART =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+4534c|C:\\Windows\\system32\\kernel32.dll+5112b|C:\\Windows\\system32\\kernel32.dll+2079|UNKNOWN(100013EA)|UNKNOWN(10001D84)|UNKNOWN(1000249F)|UNKNOWN(100025A6)|UNKNOWN(0020082A)|UNKNOWN(002008D0)|UNKNOWN(00200A72)|UNKNOWN(00200022)|C:\\Windows\\system32\\kernel32.dll+4ef8c|C:\\Windows\\SYSTEM32\\ntdll.dll+6367a|C:\\Windows\\SYSTEM32\\ntdll.dll+6364d';
const NETWORK_WATCHER =
    'C:\\windows\\SYSTEM32\\ntdll.dll+9d8e4|C:\\windows\\System32\\KERNELBASE.dll+5f2ea|C:\\windows\\System32\\KERNEL32.DLL+1be93|UNKNOWN(0000024F64B7B7A1)|UNKNOWN(0000024F64B7B7A1)|C:\\Packages\\Plugins\\NetworkWatcherAgent\\NetworkWatcherAgent.exe+56529|C:\\windows\\System32\\sechost.dll+2de2|C:\\windows\\System32\\KERNEL32.DLL+17bd4|C:\\windows\\SYSTEM32\\ntdll.dll+6ce51';
const HERPADERPING =
    'C:\\windows\\SYSTEM32\\ntdll.dll+9ca64|c:\\Users\\bouss\\Downloads\\ProcessHerpaderping.exe+d5b9c|c:\\Users\\bouss\\Downloads\\ProcessHerpaderping.exe+ed6cc|C:\\windows\\System32\\KERNEL32.DLL+17c24|C:\\windows\\SYSTEM32\\ntdll.dll+6cea1';
const GRUNT_JIT =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+9c534|C:\\Windows\\System32\\KERNELBASE.dll+2726e|C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System\\abc\\System.ni.dll+381f60|UNKNOWN(00007FF977FDDF0C)';
const TENDYRON_REOPEN =
    'C:\\Windows\\SYSTEM32\\ntdll.dll+9fc24|C:\\Windows\\System32\\wow64.dll+17022|C:\\Windows\\System32\\wow64cpu.dll+1783|C:\\Windows\\SysWOW64\\ntdll.dll+70d9c|C:\\Windows\\SysWOW64\\KERNELBASE.dll+110926(wow64)|C:\\Users\\Public\\tools\\apt\\OnKeyToken_KEB.dll+17be(wow64)';

describe('access facts', () => {
    it.each([
        [
            'direct syscall (only an UNKNOWN frame)',
            'UNKNOWN(000001F3C35A0014)',
            { directSyscall: true, originUnbacked: true },
        ],
        [
            'creator from unbacked code (NvSmart, Windows 7 kernel32 path)',
            NVSMART,
            { directSyscall: false, originUnbacked: true, managedRuntime: false, nativeCaller: undefined },
        ],
        [
            'thunks in the middle, origin is the agent module (NetworkWatcherAgent)',
            NETWORK_WATCHER,
            { originUnbacked: false, nativeCaller: undefined },
        ],
        [
            'native process creation (ProcessHerpaderping)',
            HERPADERPING,
            { originUnbacked: false, nativeCaller: 'c:\\Users\\bouss\\Downloads\\ProcessHerpaderping.exe' },
        ],
        [
            '.NET JIT frames above the runtime (Covenant grunt)',
            GRUNT_JIT,
            { originUnbacked: true, managedRuntime: true },
        ],
        [
            'Java JIT frames above the virtual machine (a Java program starting a process)',
            'C:\\Windows\\SYSTEM32\\ntdll.dll+9c534|C:\\Windows\\System32\\KERNELBASE.dll+2726e|C:\\Program Files\\Java\\jre\\bin\\java.dll+1a2b|C:\\Program Files\\Java\\jre\\bin\\server\\jvm.dll+3c4d|UNKNOWN(000001D2E3F40A10)',
            { originUnbacked: true, managedRuntime: true },
        ],
        [
            'WoW64 re-open from a side-loaded DLL (tendyron)',
            TENDYRON_REOPEN,
            { originUnbacked: false, nativeCaller: undefined },
        ],
    ])('%s', (_name, callTrace, expected) => {
        expect(accessFacts({ grantedAccess: 0x1fffff, callTrace })).toMatchObject(expected);
    });

    it('names the origin module of the tendyron re-open and sees its write/thread rights', () => {
        const facts = accessFacts({ grantedAccess: 0x1452, callTrace: TENDYRON_REOPEN });
        expect(facts.originFrame).toMatchObject({
            kind: 'module',
            modulePath: 'C:\\Users\\Public\\tools\\apt\\OnKeyToken_KEB.dll',
        });
        expect(facts.codeRights).toBe(true); // 0x1452 holds PROCESS_CREATE_THREAD (0x2)
        expect(facts.allAccess).toBe(false);
    });

    it.each([
        [0x1fffff, true],
        [0x1f3fff, true],
        [0x1f1fff, true],
        [0x1f0fff, true],
        [0x1478, false],
        [0x147a, false],
    ])('isAllAccess(0x%s)', (mask, expected) => {
        expect(isAllAccess(mask)).toBe(expected);
    });
});

describe('remote thread facts', () => {
    it.each([
        [
            'no start module: unbacked',
            undefined,
            undefined,
            { unbacked: true, loadLibrary: false, foreignModule: undefined },
        ],
        [
            'LoadLibraryW in kernel32',
            'C:\\windows\\System32\\KERNEL32.DLL',
            'LoadLibraryW',
            { unbacked: false, loadLibrary: true, foreignModule: undefined },
        ],
        [
            'csrss CtrlRoutine in KERNELBASE',
            'C:\\windows\\System32\\KERNELBASE.dll',
            'CtrlRoutine',
            { unbacked: false, loadLibrary: false, foreignModule: undefined },
        ],
        [
            'KeeFarce bootstrap DLL',
            'C:\\Users\\Public\\BootstrapDLL.dll',
            'LoadManagedProject',
            { foreignModule: 'C:\\Users\\Public\\BootstrapDLL.dll' },
        ],
    ])('%s', (_name, startModule, startFunction, expected) => {
        expect(threadFacts({ startModule, startFunction })).toMatchObject(expected);
    });
});

describe('paths and command lines', () => {
    it.each([
        ['C:\\Windows\\System32\\svchost.exe', true],
        ['c:\\windows\\explorer.exe', true],
        ['\\\\?\\C:\\Windows\\System32\\ntdll.dll', true],
        ['C:\\Users\\x\\Windows\\System32\\evil.dll', false],
        ['D:\\m.exe', false],
    ])('isUnderWindows(%s) is %s', (path, expected) => {
        expect(isUnderWindows(path)).toBe(expected);
    });

    it.each([
        ['C:\\Users\\Public\\tools\\a.dll', true],
        ['C:\\ProgramData\\SimpleInjection.dll', true],
        ['\\\\VBOXSVR\\HTools\\voice_mail.msg.exe', true],
        ['C:\\Program Files\\App\\app.exe', false],
        ['C:\\Windows\\System32\\kernel32.dll', false],
    ])('isUserWritable(%s) is %s', (path, expected) => {
        expect(isUserWritable(path)).toBe(expected);
    });

    it.each([
        ['"C:\\Windows\\system32\\svchost.exe" -k netsvcs -p', '-k netsvcs -p'],
        ['C:\\Windows\\system32\\svchost.exe', ''],
        ['notepad', ''],
        ['"C:\\Program Files (x86)\\Internet Explorer\\iexplore.exe"', ''],
        ['cmd.exe /A', '/A'],
    ])('argumentsOf(%s)', (commandLine, expected) => {
        expect(argumentsOf(commandLine)).toBe(expected);
    });

    it('baseName lower-cases the file name', () => {
        expect(baseName('C:\\Windows\\System32\\SVCHOST.EXE')).toBe('svchost.exe');
        expect(baseName(undefined)).toBe('');
    });
});
