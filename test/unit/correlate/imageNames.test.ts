/** Image names chosen by agreement across a process's events (shared/correlate/imageNames.ts). */
import { describe, expect, it } from 'vitest';
import { isWellFormedImagePath, resolveImage } from '../../../shared/correlate/imageNames';
import { commandLineInjection } from '../../../shared/correlate/facts';

const PS = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

describe('isWellFormedImagePath', () => {
    it.each([
        PS,
        '\\\\?\\C:\\Windows\\System32\\conhost.exe',
        '\\??\\C:\\Windows\\system32\\conhost.exe',
        '\\\\VBOXSVR\\HTools\\voice_mail.msg.exe',
        '\\Device\\HarddiskVolume2\\Windows\\notepad.exe',
        'C:\\Users\\Jürgen\\Desktop\\tool.exe',
    ])('%s reads as a Windows path', (path) => expect(isWellFormedImagePath(path)).toBe(true));

    it.each([
        '耙甯\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        '<unknown process>',
        'powershell.exe',
        'C:\\Windows\\Sys\u0001tem32\\x.exe',
        'C:\\Windows\\System32\\',
        'C:\\Win<dows\\x.exe',
    ])('%s does not', (path) => expect(isWellFormedImagePath(path)).toBe(false));
});

describe('resolveImage', () => {
    it('prefers the well-formed path of the best-ranked events, and lists what disagreed', () => {
        expect(
            resolveImage([
                { image: '耙甯\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', rank: 1 },
                { image: PS, rank: 2 },
                { image: PS, rank: 2 },
            ]),
        ).toEqual({ image: PS, corrected: ['耙甯\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'] });
    });

    it('other spellings of the same file are no disagreement', () => {
        expect(
            resolveImage([
                { image: PS, rank: 0 },
                { image: PS.toLowerCase(), rank: 2 },
                {
                    image: '\\Device\\HarddiskVolume3\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
                    rank: 2,
                },
                { image: 'powershell.exe', rank: 2 },
            ])?.corrected,
        ).toEqual([]);
    });

    it('the majority decides among equals; nothing known gives nothing', () => {
        expect(
            resolveImage([
                { image: 'C:\\a\\x.exe', rank: 2 },
                { image: 'C:\\b\\x.exe', rank: 2 },
                { image: 'C:\\b\\x.exe', rank: 2 },
            ])?.image,
        ).toBe('C:\\b\\x.exe');
        expect(resolveImage([{ image: '<unknown process>', rank: 0 }])).toBeUndefined();
        expect(resolveImage([])).toBeUndefined();
    });
});

describe('commandLineInjection', () => {
    it.each([
        [
            '"C:\\windows\\system32\\mavinject.exe" 3440 /INJECTRUNNING C:\\ProgramData\\T1055.dll',
            3440,
            'C:\\ProgramData\\T1055.dll',
        ],
        ['MavInject.exe 3110 /injectrunning "C:\\Users\\u\\my files\\a.dll"', 3110, 'C:\\Users\\u\\my files\\a.dll'],
    ])('%s asks for an injection', (commandLine, pid, dll) => {
        expect(commandLineInjection({ commandLine })).toEqual({ targetProcessId: pid, dll });
    });

    it.each([
        'mavinject.exe /HELP',
        'cmd.exe /c mavinject.exe 3440 /INJECTRUNNING x.dll', // the shell carries it; the utility's own EID 1 matches
        'notepad.exe 3440 /INJECTRUNNINGX x.dll',
    ])('%s does not', (commandLine) => expect(commandLineInjection({ commandLine })).toBeUndefined());
});
