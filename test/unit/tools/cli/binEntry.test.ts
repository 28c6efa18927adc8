/** bin/entry.js: a build older than the sources is never run by mistake; a production install runs its build. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { chooseEntry } = require('../../../../bin/entry.js') as {
    chooseEntry: (root: string, canRunSource: boolean) => { kind: 'compiled' | 'source'; path: string; stale: boolean };
};

const roots: string[] = [];
afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A project folder with the given files, each modified at the given second. */
function project(files: Record<string, number>): string {
    const root = mkdtempSync(join(tmpdir(), 'hollowtrace-bin-'));
    roots.push(root);
    for (const [file, second] of Object.entries(files)) {
        const path = join(root, file);
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, '');
        utimesSync(path, second, second);
    }
    return root;
}

describe('chooseEntry', () => {
    it('runs the build when no source is newer', () => {
        const root = project({
            'dist-tools/tools/cli/hollowtrace.js': 2_000,
            'tools/cli/hollowtrace.ts': 1_000,
            'shared/correlate/evaluate.ts': 1_500,
        });
        expect(chooseEntry(root, true)).toEqual({
            kind: 'compiled',
            path: join(root, 'dist-tools/tools/cli/hollowtrace.js'),
            stale: false,
        });
    });

    it('runs the sources, saying so, when any source under tools/, shared/ or functions/ changed after the build', () => {
        const root = project({
            'dist-tools/tools/cli/hollowtrace.js': 2_000,
            'tools/cli/hollowtrace.ts': 1_000,
            'shared/correlate/evaluate.ts': 2_500,
        });
        expect(chooseEntry(root, true)).toEqual({
            kind: 'source',
            path: join(root, 'tools/cli/hollowtrace.ts'),
            stale: true,
        });
        const viaFunctions = project({
            'dist-tools/tools/cli/hollowtrace.js': 2_000,
            'tools/cli/hollowtrace.ts': 1_000,
            'functions/composition.ts': 2_001,
        });
        expect(chooseEntry(viaFunctions, true)).toMatchObject({ kind: 'source', stale: true });
    });

    it('runs the sources when there is no build, and the build when tsx or the sources are missing (production install)', () => {
        expect(chooseEntry(project({ 'tools/cli/hollowtrace.ts': 1_000 }), true)).toMatchObject({
            kind: 'source',
            stale: false,
        });
        expect(
            chooseEntry(
                project({ 'dist-tools/tools/cli/hollowtrace.js': 1_000, 'tools/cli/hollowtrace.ts': 2_000 }),
                false,
            ),
        ).toMatchObject({ kind: 'compiled' });
        expect(
            chooseEntry(project({ 'dist-tools/tools/cli/hollowtrace.js': 1_000, 'shared/x.ts': 2_000 }), true),
        ).toMatchObject({
            kind: 'compiled',
        });
    });
});
