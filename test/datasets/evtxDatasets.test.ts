/**
 * The EVTX logs of the datasets, every folder, read in their own binary format: each `.evtx` yields exactly the events
 * of its flat `.sysmon.jsonl.gz` twin (flattened by the team with python-evtx), field by field and normalized, so
 * replaying the `.evtx` finds the same incidents; a byte flipped inside a chunk (in a temporary copy) turns that chunk
 * into one rejection and nothing else. `evtx-network/` holds the logs with network connections (EID 3), whose Booleans
 * @ts-evtx/core misreads on its own (tools/replay/evtxSubstitutionValues.ts).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanEventXml } from '../../shared/ingest/eventXml';
import { readEvtxRecords } from '../../tools/replay/evtxReader';
import { ingestBatch } from '../../shared/ingest/ingestBatch';
import type { IngestMessage } from '../../shared/ingest/ingestBatch';
import { readRecordingBatches } from '../../tools/replay/recordingReader';
import type { SysmonEvent } from '../../shared/sysmon/types';
import { replayInMemory } from '../helpers/replayInMemory';
import { DATASETS_DIR, DATASETS_PRESENT, DATASETS_SKIP_REASON, readGzipLines } from '../support/datasets';

const EVTX_DIR = resolve(DATASETS_DIR, 'evtx-attack-samples');
/** Every `.evtx` under the datasets folder, as paths relative to it, in name order. */
const logs = DATASETS_PRESENT
    ? readdirSync(DATASETS_DIR, { recursive: true, encoding: 'utf8' })
          .filter((name) => name.endsWith('.evtx'))
          .map((name) => relative(DATASETS_DIR, resolve(DATASETS_DIR, name)))
          .sort()
    : [];
const NOW = new Date('2026-01-01T00:00:00Z');
const FUZZ_RUNS = 150;

function twinOf(log: string): string {
    return log.replace(/\.evtx$/, '.sysmon.jsonl.gz');
}

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

type FlatEvent = Record<string, string | number | null>;

/**
 * A rendered record in the flat twin's shape (datasets README, "File formats"): EventID, Channel, Computer,
 * TimeCreated, EventRecordID, then every `<Data Name>` with its text.
 */
function flatFromXml(xml: string): FlatEvent {
    const scanned = scanEventXml(xml, { maxDepth: 64 });
    if (!scanned.ok || scanned.events.length !== 1) throw new Error(`not one readable event: ${xml.slice(0, 200)}`);
    const { system, data } = scanned.events[0]!;
    return {
        EventID: Number(system.eventId),
        Channel: system.channel ?? null,
        Computer: system.computer ?? null,
        TimeCreated: system.systemTime ?? null,
        EventRecordID: Number(system.eventRecordId),
        ...Object.fromEntries(data),
    };
}

const GUID = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;

/**
 * The two places where the twin's writer (python-evtx 0.6.1) and Windows' rendering differ by convention, not by
 * value: GUIDs (Windows renders them upper case, python-evtx lower case), and `TimeCreated`, a FILETIME of 100 ns
 * ticks that we render with all seven digits, as Windows does, and python-evtx turns into microseconds through a
 * float (`toPythonEvtxTime`). Everything else is compared as text, exactly.
 */
function canonical(event: FlatEvent): FlatEvent {
    const out: FlatEvent = {};
    for (const [key, value] of Object.entries(event)) {
        out[key] = typeof value === 'string' && GUID.test(value) ? value.toLowerCase() : value;
    }
    return out;
}

const FILETIME_UNIX_EPOCH_S = 11644473600;

/**
 * python-evtx's `TimeCreated` from the same FILETIME: `datetime.utcfromtimestamp(float(ticks) * 1e-7 - 11644473600)`,
 * whose fraction CPython rounds half-even to the microsecond. Both are IEEE doubles, so JavaScript reproduces it.
 */
function toPythonEvtxTime(rendered: string): string {
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{7})Z$/.exec(rendered);
    if (!match) throw new Error(`TimeCreated not rendered to 100 ns: ${rendered}`);
    const [, whole, fraction] = match as unknown as [string, string, string];
    const unixSeconds = Date.parse(`${whole}Z`) / 1000;
    const ticks = (BigInt(unixSeconds) + BigInt(FILETIME_UNIX_EPOCH_S)) * 10_000_000n + BigInt(fraction);
    const t = Number(ticks) * 1e-7 - FILETIME_UNIX_EPOCH_S;
    let seconds = Math.trunc(t);
    const scaled = (t - seconds) * 1e6;
    let micro = Math.abs(scaled % 1) === 0.5 ? 2 * Math.round(scaled / 2) : Math.round(scaled);
    if (micro >= 1_000_000) {
        seconds += 1;
        micro -= 1_000_000;
    }
    return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(micro).padStart(6, '0')}Z`;
}

describe.skipIf(!DATASETS_PRESENT)(
    `EVTX logs of the datasets ${DATASETS_PRESENT ? '' : `(${DATASETS_SKIP_REASON})`}`,
    () => {
        it('there are EVTX logs in both folders, each with a flat twin', () => {
            expect(logs.filter((log) => log.startsWith('evtx-attack-samples')).length).toBeGreaterThanOrEqual(13);
            expect(logs.filter((log) => log.startsWith('evtx-network')).length).toBeGreaterThanOrEqual(5);
            for (const log of logs) expect(() => readFileSync(join(DATASETS_DIR, twinOf(log)))).not.toThrow();
        });

        it.each(logs)('%s renders every field of every event as its flat twin has it, in order', async (log) => {
            const rendered: FlatEvent[] = [];
            for await (const item of readEvtxRecords(join(DATASETS_DIR, log))) {
                if (item.kind !== 'record') throw new Error(`unreadable: ${item.detail}`);
                rendered.push(flatFromXml(item.xml));
            }
            const twin = readGzipLines(twinOf(log)).map((line) => JSON.parse(line) as FlatEvent);
            expect(rendered.length).toBe(twin.length);
            const asTwin = rendered.map((event) => ({
                ...event,
                TimeCreated: toPythonEvtxTime(String(event.TimeCreated)),
            }));
            expect(asTwin.map(canonical)).toEqual(twin.map(canonical));
        });

        it.each(logs)('%s yields the same normalized events as its flat twin, none rejected', async (log) => {
            const fromEvtx = ingestBatch(await readMessages(join(DATASETS_DIR, log)), NOW);
            const twinLines = readGzipLines(twinOf(log));
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
            const evtx = await replayInMemory(logs.map((log) => join(DATASETS_DIR, log)));
            const twins = await replayInMemory(logs.map((log) => join(DATASETS_DIR, twinOf(log))));
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
