/** @module What starting a new process takes: image, command line, role; the common launches. */
import type { HostProfile, Role, Session } from './hostProfiles';
import { IMG } from './imageCatalogue';
import type { ImageInfo } from './imageCatalogue';

/** Launch options for a new process. */
export interface Launch {
    image: ImageInfo;
    commandLine: string;
    role: Role;
    session?: Session;
    cwd?: string;
    /** Undefined: the process outlives the simulation. */
    lifetimeMs?: number;
    loads?: readonly ImageInfo[];
    /** The creator's CallTrace, when it is not the creator's usual one. */
    trace?: string;
}

export function homeOf(host: HostProfile): string {
    return `C:\\Users\\${host.userName}`;
}

/** explorer.exe starts a program as its quoted path and a space. */
export function shellCommandLine(path: string): string {
    return `"${path}" `;
}

/** cmd.exe started from explorer.exe: its command line spells the folder `system32`, unlike the image path. */
export const SHELL_CMD_COMMAND = shellCommandLine('C:\\Windows\\system32\\cmd.exe');

/** notepad.exe opening one of the user's text documents from explorer.exe. */
export function notepadOnDocument(home: string, doc: string, role: Role): Launch {
    return {
        image: IMG.notepad,
        commandLine: `"C:\\Windows\\system32\\NOTEPAD.EXE" ${home}\\Documents\\${doc}.txt`,
        role,
        cwd: `${home}\\Documents\\`,
    };
}
