/**
 * The EVTX-ATTACK-SAMPLES logs read in their own binary format: each `.evtx` yields exactly the normalized events of
 * its flat `.sysmon.jsonl.gz` twin (flattened by the team with python-evtx), so replaying the `.evtx` finds the same
 * incidents; a byte flipped inside a chunk (in a temporary copy) turns that chunk into one rejection and nothing else.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readEvtxRecords } from '../../tools/replay/evtxReader';
import { ingestBatch } from '../../shared/ingest/ingestBatch';
import type { IngestMessage } from '../../shared/ingest/ingestBatch';
import { readRecordingBatches } from '../../tools/replay/recordingReader';
import type { SysmonEvent } from '../../shared/sysmon/types';
import { replayInMemory } from '../helpers/replayInMemory';
import { DATASETS_DIR, DATASETS_PRESENT, DATASETS_SKIP_REASON, readGzipLines } from '../support/datasets';

const EVTX_DIR = resolve(DATASETS_DIR, 'evtx-attack-samples');
const logs = DATASETS_PRESENT
    ? readdirSync(EVTX_DIR)
          .filter((name) => name.endsWith('.evtx'))
          .sort()
    : [];
const NOW = new Date('2026-01-01T00:00:00Z');
const FUZZ_RUNS = 150;

async function readMessages(path: string): Promise<IngestMessage[]> {
    const messages: IngestMessage[] = [];
    for await (const batch of readRecordingBatches(path, 256, '0')) messages.push(...batch);
    return messages;
}

/** An event without its wire coordinates (which differ between the two files by construction), keys sorted. */
function comparable(event: SysmonEvent): string {
    const { origin: _origin, ...rest } = event;
    return JSON.stringify(rest, Object.keys(rest).sort());
}

describe.skipIf(!DATASETS_PRESENT)(
    `EVTX logs of the datasets ${DATASETS_PRESENT ? '' : `(${DATASETS_SKIP_REASON})`}`,
    () => {
        it('there are EVTX logs, each with a flat twin', () => {
            expect(logs.length).toBeGreaterThanOrEqual(13);
            for (const log of logs) expect(readdirSync(EVTX_DIR)).toContain(log.replace(/\.evtx$/, '.sysmon.jsonl.gz'));
        });

        it.each(logs)('%s yields the same events as its flat twin, none rejected', async (log) => {
            const fromEvtx = ingestBatch(await readMessages(join(EVTX_DIR, log)), NOW);
            const twinLines = readGzipLines(`evtx-attack-samples/${log.replace(/\.evtx$/, '.sysmon.jsonl.gz')}`);
            const fromTwin = ingestBatch(
                twinLines.map((body) => ({ body })),
                NOW,
            );
            expect(fromEvtx.report.rejected).toBe(0);
            expect(fromEvtx.report.received).toBe(twinLines.length);
            expect(fromEvtx.report).toEqual(fromTwin.report);
            expect(fromEvtx.events.map(comparable).sort()).toEqual(fromTwin.events.map(comparable).sort());
            expect(fromEvtx.events.every((e) => e.recordId !== undefined)).toBe(true);
        });

        it('replaying the EVTX logs finds the same incidents as replaying their twins', async () => {
            const evtx = await replayInMemory(logs.map((log) => join(EVTX_DIR, log)));
            const twins = await replayInMemory(
                logs.map((log) => join(EVTX_DIR, log.replace(/\.evtx$/, '.sysmon.jsonl.gz'))),
            );
            expect(evtx.incidents.length).toBeGreaterThanOrEqual(10);
            const summary = (r: typeof evtx) =>
                r.incidents.map((i) => [i.id, i.technique, i.score, i.injector.image, i.target.image]);
            expect(summary(evtx)).toEqual(summary(twins));
        });

        it('a flipped byte inside a chunk rejects that chunk as unreadable-record; the next file still replays', async () => {
            const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-evtx-damage-'));
            const damaged = join(dir, 'a-damaged.evtx');
            const bytes = readFileSync(
                join(EVTX_DIR, 'Defense_Evasion__evasion_codeinj_odzhan_conhost_sysmon_10_1.evtx'),
            );
            bytes[4096 + 0x200 + 40] = (bytes[4096 + 0x200 + 40] as number) ^ 0xff; // inside the first record of chunk 0
            writeFileSync(damaged, bytes);
            copyFileSync(
                join(EVTX_DIR, 'Defense_Evasion__meterpreter_migrate_to_explorer_sysmon_8.evtx'),
                join(dir, 'b-intact.evtx'),
            );

            const result = await replayInMemory([dir]);
            expect(result.report).toMatchObject({
                received: 2,
                accepted: 1,
                rejected: 1,
                rejectedByReason: { 'unreadable-record': 1 },
            });
            expect(result.incidents.map((i) => i.target.image?.split('\\').pop())).toEqual(['explorer.exe']);
        });

        it('fuzz: bytes changed inside a chunk whose checksums are then fixed never throw or hang the reader, and ingest takes whatever renders', async () => {
            // Fixing the CRCs makes the parser read the damage instead of refusing the chunk: the hostile case.
            const original = readFileSync(
                join(EVTX_DIR, 'Defense_Evasion__de_unmanagedpowershell_psinject_sysmon_7_8_10.evtx'),
            );
            const chunkAt = 4096;
            const nextRecordOffset = original.readUInt32LE(chunkAt + 0x30);
            const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-evtx-fuzz-'));
            const path = join(dir, 'fuzzed.evtx');
            const intactRecords = (
                await readMessages(
                    join(EVTX_DIR, 'Defense_Evasion__de_unmanagedpowershell_psinject_sysmon_7_8_10.evtx'),
                )
            ).length;
            let rendered = 0;
            let unreadable = 0;
            let silentLosses = 0;
            await fc.assert(
                fc.asyncProperty(
                    fc.array(
                        fc.tuple(
                            fc.integer({ min: 0x200, max: nextRecordOffset - 1 }),
                            fc.integer({ min: 0, max: 255 }),
                        ),
                        { minLength: 1, maxLength: 8 },
                    ),
                    async (edits) => {
                        const bytes = Buffer.from(original);
                        const chunk = bytes.subarray(chunkAt, chunkAt + 0x10000);
                        for (const [offset, value] of edits) chunk[offset] = value;
                        chunk.writeUInt32LE(crc32(chunk.subarray(0x200, nextRecordOffset)) >>> 0, 0x34);
                        chunk.writeUInt32LE(
                            crc32(Buffer.concat([chunk.subarray(0, 0x78), chunk.subarray(0x80, 0x200)])) >>> 0,
                            0x7c,
                        );
                        writeFileSync(path, bytes);
                        const messages: IngestMessage[] = [];
                        const before = { rendered, unreadable };
                        for await (const item of readEvtxRecords(path)) {
                            if (item.kind === 'record') rendered++;
                            else unreadable++;
                            messages.push(
                                item.kind === 'record'
                                    ? { body: item.xml }
                                    : { body: item.bytes, unreadable: item.detail },
                            );
                        }
                        if (rendered - before.rendered < intactRecords && unreadable === before.unreadable)
                            silentLosses++;
                        const report = ingestBatch(messages, NOW).report;
                        expect(report.received).toBe(report.accepted + report.ignored + report.rejected);
                    },
                ),
                { numRuns: FUZZ_RUNS, seed: 20261126 },
            );
            console.log(
                `[evtx fuzz] ${FUZZ_RUNS} damaged chunks with fixed checksums: ${rendered} records rendered, ${unreadable} unreadable items, ${silentLosses} runs with records missing and nothing reported`,
            );
            expect(rendered).toBeGreaterThan(0); // the fuzz reached the renderer, not only the checksum gate
            expect(unreadable).toBeGreaterThan(0); // and some damage was detected
            expect(silentLosses).toBe(0);
        });
    },
);
