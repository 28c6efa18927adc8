/** Named pipes for tests of input that must not hang a reader. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Makes a FIFO at `path` (no writer: opening it for reading would block for ever). */
export function makeFifo(path: string): void {
    execFileSync('mkfifo', [path]);
}

/** Whether `mkfifo` works here, tried once in `dir`: tests skip visibly where it is missing. */
export function canMakeFifo(dir: string): boolean {
    try {
        makeFifo(join(dir, 'probe.fifo'));
        return true;
    } catch {
        return false;
    }
}
