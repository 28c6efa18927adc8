/**
 * `hollowtrace replay` end to end on fixtures written by the project: the feed fixtures hold a real mavinject
 * DLL injection (OTRF Security-Datasets, see test/fixtures/README.md) and a hand-written EID 25 `Image is replaced`
 * of a process whose creation is not in the fixture, in every envelope.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../../tools/cli/hollowtrace';
import { captureReplay as capture } from '../../../helpers/captureReplay';

const FEEDS = resolve(__dirname, '../../../fixtures/feeds');

describe('hollowtrace replay', () => {
    afterEach(() => {
        delete process.env.HOLLOWTRACE_STORAGE_CONNECTION_STRING;
    });

    it('--json prints exactly one JSON document with the documented shape', async () => {
        const { code, stdout } = await capture({ paths: [resolve(FEEDS, 'flat.jsonl')], json: true, store: 'memory' });
        expect(code).toBe(0);
        const document = JSON.parse(stdout) as { report: Record<string, number>; incidents: Record<string, unknown>[] };
        expect(Object.keys(document)).toEqual(['report', 'incidents']);
        expect(Object.keys(document.report)).toEqual(['received', 'accepted', 'ignored', 'rejected']);
        expect(document.report.received).toBe(
            document.report.accepted! + document.report.ignored! + document.report.rejected!,
        );
        expect(document.incidents).toHaveLength(2);
        const incident = document.incidents.find((i) => i.technique === 'T1055.001')!;
        expect(Object.keys(incident)).toEqual([
            'id',
            'host',
            'technique',
            'score',
            'severity',
            'injector',
            'target',
            'firstSeen',
            'lastSeen',
            'signals',
            'explanation',
        ]);
        expect(Object.keys(incident.injector as object)).toEqual(['image', 'processGuid', 'processId']);
        expect(Object.keys(incident.target as object)).toEqual(['image', 'processGuid', 'processId', 'commandLine']);
        expect(Object.keys((incident.signals as object[])[0]!)).toEqual([
            'name',
            'eventId',
            'recordId',
            'time',
            'detail',
        ]);
        expect(incident).toMatchObject({
            technique: 'T1055.001',
            injector: { image: 'C:\\Windows\\System32\\mavinject.exe' },
        });
        // EID 25 names no injector and the fixture has no EID 1 for the tampered process: the injector is unknown.
        expect(document.incidents.find((i) => i.technique === 'T1055.012')).toMatchObject({
            injector: { image: null },
            target: { image: 'C:\\Temp\\a&b<c>.exe' },
        });
    });

    it('a directory is read recursively; every envelope of the same events gives the same two incidents', async () => {
        const { stdout } = await capture({ paths: [FEEDS], json: true, store: 'memory' });
        const document = JSON.parse(stdout) as { report: { received: number }; incidents: { id: string }[] };
        expect(document.report.received).toBeGreaterThan(6 * 6); // seven fixtures of the six events
        expect(document.incidents).toHaveLength(2);
    });

    it('without --json prints a readable table with the explanation', async () => {
        const { stdout } = await capture({ paths: [resolve(FEEDS, 'raw-events.xml')], json: false, store: 'memory' });
        expect(stdout).toMatch(/incidents: 2/);
        expect(stdout).toMatch(/mavinject\.exe -> notepad\.exe/);
        expect(stdout).toMatch(/T1055\.001/);
    });

    it('usage errors exit with 2', async () => {
        const stderr: string[] = [];
        const write = process.stderr.write.bind(process.stderr);
        process.stderr.write = (text: string) => stderr.push(text) > 0;
        try {
            expect(await main(['replay'])).toBe(2);
            expect(await main(['replay', '--store', 'cosmos', 'x'])).toBe(2);
            expect(await main(['frobnicate'])).toBe(2);
        } finally {
            process.stderr.write = write;
        }
        expect(stderr.join('')).toMatch(/usage:/);
    });

    it('a missing file fails with a clear error', async () => {
        await expect(
            capture({ paths: [resolve(FEEDS, 'does-not-exist.jsonl')], json: true, store: 'memory' }),
        ).rejects.toThrow(/does-not-exist/);
    });

    it('a directory without recordings says what replay reads and exits with 2', async () => {
        const empty = mkdtempSync(join(tmpdir(), 'hollowtrace-empty-'));
        writeFileSync(join(empty, 'notes.txt'), 'not a recording');
        const { code, stderr } = await capture({ paths: [empty], json: false, store: 'memory' });
        expect(code).toBe(2);
        expect(stderr).toMatch(/no recordings found in .*hollowtrace-empty-.*\.evtx/);
    });

    it('rejections are counted by reason and a few are shown with their file and place in it', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-rejects-'));
        const path = join(dir, 'mixed.jsonl');
        writeFileSync(
            path,
            ['not json', '{"EventID":"abc","Computer":"ws1","Channel":"Microsoft-Windows-Sysmon/Operational"}'].join(
                '\n',
            ),
        );
        const { code, stderr } = await capture({ paths: [path], json: true, store: 'memory' });
        expect(code).toBe(4); // nothing accepted
        expect(stderr).toMatch(/2 events were rejected: \{.*"unrecognized-format":1.*\}/);
        expect(stderr).toContain(`e.g. ${path}, message 1: unrecognized-format: message is neither JSON nor XML`);
        expect(stderr).toMatch(new RegExp(`e\\.g\\. ${path.replace(/[.\\/]/g, '\\$&')}, message 2: wrong-type: `));
    });

    it('an Azure Monitor storage export (PT1H.json, one row per line) replays like the same rows in one export document', async () => {
        const exportDocument = JSON.parse(readFileSync(resolve(FEEDS, 'la-export-event.json'), 'utf8')) as {
            records: unknown[];
        };
        const path = join(mkdtempSync(join(tmpdir(), 'hollowtrace-pt1h-')), 'PT1H.json');
        writeFileSync(path, exportDocument.records.map((row) => JSON.stringify(row)).join('\n'));
        const lines = await capture({ paths: [path], json: true, store: 'memory' });
        const whole = await capture({ paths: [resolve(FEEDS, 'la-export-event.json')], json: true, store: 'memory' });
        expect(JSON.parse(lines.stdout)).toEqual(JSON.parse(whole.stdout));
        expect((JSON.parse(lines.stdout) as { incidents: unknown[] }).incidents.length).toBeGreaterThan(0);
    });
});
