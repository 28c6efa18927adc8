'use strict';
// Which `hollowtrace` to run: the compiled CLI (dist-tools/, `npm run build:tools`) or the TypeScript sources through tsx. Plain CommonJS, so
// bin/hollowtrace.js can load it before anything is compiled.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** Folders whose TypeScript the CLI is built from. */
const SOURCE_DIRS = ['tools', 'shared', 'functions'];

/** Newest modification time (ms) of the .ts files below `dir`; 0 when there are none. */
function newestSourceMs(dir) {
    if (!existsSync(dir)) return 0;
    let newest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
        else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
    return newest;
}

/**
 * The compiled CLI when it exists and no source is newer; else the sources, when they and tsx are there (a deployed
 * or production install has neither: then the compiled CLI, however old). `stale` says dist/ exists but is older
 * than the sources: running it would run code that is no longer there.
 * @param {string} root the project folder
 * @param {boolean} canRunSource whether tsx is installed
 * @returns {{ kind: 'compiled' | 'source', path: string, stale: boolean }}
 */
function chooseEntry(root, canRunSource) {
    const compiled = join(root, 'dist-tools', 'tools', 'cli', 'hollowtrace.js');
    const source = join(root, 'tools', 'cli', 'hollowtrace.ts');
    const runnableSource = canRunSource && existsSync(source);
    if (!existsSync(compiled)) return { kind: 'source', path: source, stale: false };
    if (!runnableSource) return { kind: 'compiled', path: compiled, stale: false };
    const builtMs = statSync(compiled).mtimeMs;
    const stale = SOURCE_DIRS.some((dir) => newestSourceMs(join(root, dir)) > builtMs);
    return stale ? { kind: 'source', path: source, stale: true } : { kind: 'compiled', path: compiled, stale: false };
}

module.exports = { chooseEntry };
