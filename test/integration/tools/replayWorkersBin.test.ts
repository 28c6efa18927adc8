/**
 * `replay --workers` as a user runs it, through bin/hollowtrace.js in a process of its own: the worker threads start
 * from the compiled JavaScript when the build is fresh, else from the sources with tsx registered in each worker.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../..');
const FEEDS = resolve(ROOT, 'test/fixtures/feeds');

describe('bin/hollowtrace.js replay --workers', () => {
    it('2 workers print the JSON document of 1, byte for byte', async () => {
        const run = promisify(execFile);
        const folder = mkdtempSync(join(tmpdir(), 'hollowtrace-bin-'));
        for (const name of ['flat.jsonl', 'nxlog.jsonl', 'raw-events.xml'])
            writeFileSync(join(folder, name), readFileSync(resolve(FEEDS, name)));
        const args = [join(ROOT, 'bin/hollowtrace.js'), 'replay', '--json'];
        const one = await run(process.execPath, [...args, '--workers', '1', folder], { cwd: tmpdir() });
        const two = await run(process.execPath, [...args, '--workers', '2', folder], { cwd: tmpdir() });
        expect(two.stdout).toBe(one.stdout);
        expect((JSON.parse(two.stdout) as { incidents: unknown[] }).incidents).toHaveLength(2);
    }, 120_000);
});
