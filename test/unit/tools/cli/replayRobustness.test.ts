/**
 * `hollowtrace replay` as a tired operator meets it (issue 15, "A CLI that never loses a run"): broken files are
 * named and the rest is reported, the exit code says whether the run was whole, event text cannot drive the
 * terminal, and every command explains itself (`--help`, a bad option named with the reason).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../../../tools/cli/hollowtrace';
import { REPLAY_EXIT, parseReplayArgs, runReplay } from '../../../../tools/cli/replayCommand';
import { escapeForTerminal } from '../../../../tools/cli/terminalText';
import { DEFAULT_PARALLEL_FROM_BYTES } from '../../../../tools/replay/replay';
import { canMakeFifo, makeFifo } from '../../../support/fifo';

const ROOT = resolve(__dirname, '../../../..');
const FEEDS = resolve(ROOT, 'test/fixtures/feeds');
const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-cli-'));

async function replay(paths: string[], json = false) {
    let stdout = '';
    let stderr = '';
    const code = await runReplay({
        paths,
        json,
        store: 'memory',
        batchSize: 64,
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
    });
    return { code, stdout, stderr };
}

/** Runs `main` with process.stdout/stderr captured. */
async function cli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = (text: string) => (stdout += text).length > 0;
    process.stderr.write = (text: string) => (stderr += text).length > 0;
    try {
        return { code: await main(argv), stdout, stderr };
    } finally {
        process.stdout.write = out;
        process.stderr.write = err;
    }
}

describe('exit codes and the partial report', () => {
    it('a truncated .gz among good files: the file is named, the report of the rest is printed, exit 3', async () => {
        const folder = mkdtempSync(join(dir, 'truncated-'));
        const flat = readFileSync(resolve(FEEDS, 'flat.jsonl'));
        writeFileSync(join(folder, 'a-good.jsonl'), flat);
        const gz = gzipSync(flat);
        writeFileSync(join(folder, 'b-cut.jsonl.gz'), gz.subarray(0, gz.length - 20));
        writeFileSync(join(folder, 'c-empty.jsonl.gz'), Buffer.alloc(0));
        const { code, stdout, stderr } = await replay([folder]);
        expect(code).toBe(REPLAY_EXIT.incomplete);
        expect(code).toBe(3);
        expect(stdout).toMatch(/^events: received \d+, accepted \d+, ignored \d+, rejected 2\n/);
        expect(stdout).toMatch(/incidents: 2/);
        expect(stderr).toContain(`${join(folder, 'b-cut.jsonl.gz')}, message `);
        expect(stderr).toMatch(
            /truncated-gzip: b-cut\.jsonl\.gz: the gzip stream ends early \(unexpected end of file\)/,
        );
        expect(stderr).toMatch(/truncated-gzip: c-empty\.jsonl\.gz: /);
        expect(stderr).toMatch(/incomplete: 2 file\(s\) could not be read to their end, 0 path\(s\) skipped/);
    });

    it('nothing accepted: exit 4 with one line saying why', async () => {
        const garbage = join(dir, 'garbage.jsonl');
        writeFileSync(garbage, 'not json\nnor this\n');
        const rejected = await replay([garbage], true);
        expect(rejected.code).toBe(REPLAY_EXIT.nothingAccepted);
        expect(rejected.stderr).toMatch(
            /^hollowtrace replay: nothing accepted: 2 events read, none accepted: 2 rejected as unrecognized-format$/m,
        );
        const empty = join(dir, 'empty.jsonl');
        writeFileSync(empty, '\n\n');
        const nothing = await replay([empty]);
        expect(nothing.code).toBe(4);
        expect(nothing.stderr).toBe('hollowtrace replay: nothing accepted: the recordings hold no events\n');
    });

    it('a whole run still exits 0', async () => {
        expect((await replay([resolve(FEEDS, 'flat.jsonl')])).code).toBe(REPLAY_EXIT.ok);
    });

    const fifoWorks = canMakeFifo(dir);
    it.skipIf(!fifoWorks)(
        'a FIFO is skipped with a message naming it, exit 3 (skipped where mkfifo is missing)',
        async () => {
            const folder = mkdtempSync(join(dir, 'fifo-'));
            writeFileSync(join(folder, 'a.jsonl'), readFileSync(resolve(FEEDS, 'flat.jsonl')));
            makeFifo(join(folder, 'pipe.jsonl'));
            const { code, stderr } = await replay([folder]);
            expect(code).toBe(3);
            expect(stderr).toContain(`${join(folder, 'pipe.jsonl')}: not a regular file (a FIFO), skipped`);
        },
    );
});

describe('event text on the terminal', () => {
    it('an image name with ESC[2J reaches the table escaped, never raw', async () => {
        const hostile = readFileSync(resolve(FEEDS, 'flat.jsonl'), 'utf8').replaceAll(
            'mavinject.exe',
            'mav\\u001b[2J\\u009b31m\\u202einject.exe',
        );
        const path = join(dir, 'hostile.jsonl');
        writeFileSync(path, hostile);
        const { code, stdout } = await replay([path]);
        expect(code).toBe(0);
        expect(stdout).toContain('mav\\x1b[2J\\x9b31m\\u202einject.exe -> notepad.exe');
        expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/); // eslint-disable-line no-control-regex
    });

    it('escapeForTerminal keeps ordinary text and shows each control as an escape', () => {
        expect(escapeForTerminal('C:\\Temp\\a&b<c>.exe — ü')).toBe('C:\\Temp\\a&b<c>.exe — ü');
        expect(escapeForTerminal('a\tb\nc\rd\u0007\u007f\u2066')).toBe('a\\x09b\\x0ac\\x0dd\\x07\\x7f\\u2066');
    });
});

describe('help and bad options', () => {
    it('replay --help and simulate --help print the usage on stdout and exit 0', async () => {
        for (const command of ['replay', 'simulate']) {
            for (const flag of ['--help', '-h']) {
                const { code, stdout, stderr } = await cli([command, flag]);
                expect(code).toBe(0);
                expect(stdout).toMatch(new RegExp(`^usage:\\n  hollowtrace ${command} `));
                expect(stderr).toBe('');
            }
        }
        expect((await cli(['replay', '--help'])).stdout).toMatch(/--workers N/);
        expect((await cli(['upgrade-storage', '--help'])).stdout).toMatch(/index rows of every stored incident/);
    });

    it('a bad option says which one and why, then the usage; exit 2', async () => {
        const cases: [string[], RegExp][] = [
            [['replay', '--frobnicate', 'x'], /^hollowtrace replay: Unknown option '--frobnicate'/],
            [
                ['replay', '--workers', '0', 'x'],
                /^hollowtrace replay: --workers must be a whole number from 1 to 256, got "0"/,
            ],
            [
                ['replay', '--workers', 'many', 'x'],
                /^hollowtrace replay: --workers must be a whole number .*got "many"/,
            ],
            [['replay', '--batch-size', '-5', 'x'], /^hollowtrace replay: .*batch-size/],
            [
                ['replay', '--store', 'cosmos', 'x'],
                /^hollowtrace replay: --store must be memory or table, got "cosmos"/,
            ],
            [['replay'], /^hollowtrace replay: give at least one recording file or directory/],
            [['simulate', '--hosts', 'x'], /^hollowtrace simulate: --hosts must be a non-negative integer, got "x"/],
            [['upgrade-storage', 'x'], /^hollowtrace upgrade-storage: takes no arguments/],
        ];
        for (const [argv, problem] of cases) {
            const { code, stderr } = await cli(argv);
            expect(code, argv.join(' ')).toBe(2);
            expect(stderr, argv.join(' ')).toMatch(problem);
            expect(stderr).toMatch(/\nusage:\n {2}hollowtrace (replay|simulate|upgrade-storage)/);
        }
    });

    it('--workers defaults to the number of cores for a large enough input, and is taken as asked when given', () => {
        expect(parseReplayArgs(['x.jsonl'])).toEqual({
            paths: ['x.jsonl'],
            json: false,
            store: 'memory',
            batchSize: 256,
            workers: availableParallelism(),
            parallelFromBytes: DEFAULT_PARALLEL_FROM_BYTES,
        });
        expect(parseReplayArgs(['--workers', '3', 'x.jsonl'])).toMatchObject({ workers: 3, parallelFromBytes: 0 });
    });
});
