/**
 * Image paths as Sysmon writes them, for test events: Windows programs that tests inject into or start, and a dropper
 * run from the user's Downloads folder.
 */
export const DROPPER = 'C:\\Users\\u\\Downloads\\invoice.exe';
export const CMD = 'C:\\Windows\\System32\\cmd.exe';
export const EXPLORER = 'C:\\Windows\\explorer.exe';
export const MAVINJECT = 'C:\\Windows\\System32\\mavinject.exe';
export const NOTEPAD = 'C:\\Windows\\System32\\notepad.exe';
export const POWERSHELL = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
export const RUNDLL32 = 'C:\\Windows\\System32\\rundll32.exe';
export const SERVICES = 'C:\\Windows\\System32\\services.exe';
export const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
export const WHOAMI = 'C:\\Windows\\System32\\whoami.exe';
