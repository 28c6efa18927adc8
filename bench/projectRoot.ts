/**
 * The project root (the folder holding package.json) above a bench file, so a bench finds ../shared/datasets and
 * bench/results whether it runs from source (tsx) or compiled (dist-bench/bench/*.js).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function projectRoot(from: string): string {
    for (let dir = from; ; dir = dirname(dir)) {
        if (existsSync(join(dir, 'package.json'))) return dir;
        if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
    }
}
