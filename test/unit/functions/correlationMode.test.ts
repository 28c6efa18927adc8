/** correlateHollowing is registered only when HOLLOWTRACE_CORRELATION=eventHub; inline mode has no stage 2 trigger. */
import { registered } from '../../../tools/local/functionsRegistry';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const saved = process.env.HOLLOWTRACE_CORRELATION;

afterEach(() => {
    if (saved === undefined) delete process.env.HOLLOWTRACE_CORRELATION;
    else process.env.HOLLOWTRACE_CORRELATION = saved;
});

async function registrationsWith(mode: string | undefined): Promise<string[]> {
    if (mode === undefined) delete process.env.HOLLOWTRACE_CORRELATION;
    else process.env.HOLLOWTRACE_CORRELATION = mode;
    registered.length = 0;
    vi.resetModules();
    await import(resolve(__dirname, '../../../functions/correlateHollowing.ts'));
    return registered.map((r) => r.metadata.name);
}

describe('correlateHollowing registration', () => {
    it.each([[undefined], ['inline'], [' Inline ']])('HOLLOWTRACE_CORRELATION=%s: not registered', async (mode) => {
        expect(await registrationsWith(mode)).not.toContain('correlateHollowing');
    });

    it.each([['eventHub'], ['EVENTHUB']])('HOLLOWTRACE_CORRELATION=%s: registered', async (mode) => {
        expect(await registrationsWith(mode)).toContain('correlateHollowing');
    });
});
