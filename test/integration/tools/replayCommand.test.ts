/**
 * `hollowtrace replay --store table` on the test run's Azurite: the same incidents as in memory (the other replay
 * cases, which need no storage, are in test/unit/tools/cli/replayCommand.test.ts).
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { captureReplay as capture } from '../../helpers/captureReplay';

const FEEDS = resolve(__dirname, '../../fixtures/feeds');

describe('hollowtrace replay', () => {
    afterEach(() => {
        delete process.env.HOLLOWTRACE_STORAGE_CONNECTION_STRING;
    });

    it("--store table keeps state in Table Storage (here the test run's Azurite) with the same result", async () => {
        process.env.HOLLOWTRACE_STORAGE_CONNECTION_STRING = inject('tablesConnectionString');
        const memory = await capture({ paths: [resolve(FEEDS, 'flat.jsonl')], json: true, store: 'memory' });
        const table = await capture({ paths: [resolve(FEEDS, 'flat.jsonl')], json: true, store: 'table' });
        expect(table.code).toBe(0);
        expect(JSON.parse(table.stdout)).toEqual(JSON.parse(memory.stdout));
        expect(table.stderr).toMatch(/Azure Table Storage/);
    });
});
