/**
 * The unit project runs without the Azurite global setup (vitest.config.mts): a test that needs Table Storage or
 * starts Azurite belongs under test/integration, where `inject('tablesConnectionString')` has a value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const STORAGE_NEEDS = [/inject\(\s*'tablesConnectionString'\s*\)/, /startLocalAzuriteTable/, /\brunDemo\b/];

function testFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return testFiles(path);
        return entry.name.endsWith('.ts') ? [path] : [];
    });
}

describe('test layout', () => {
    it('no unit test needs the Azurite the integration project starts', () => {
        const files = testFiles(join(ROOT, 'test/unit'));
        expect(files.length).toBeGreaterThan(10);
        const needing = files
            .filter((file) => file !== __filename)
            .filter((file) => STORAGE_NEEDS.some((pattern) => pattern.test(readFileSync(file, 'utf8'))))
            .map((file) => relative(ROOT, file));
        expect(needing).toEqual([]);
    });
});
