/**
 * Metamorphic test on the real recordings: the detector must not key on what an attacker or a fleet chooses freely.
 * Each recording is rewritten consistently (another host name, every GUID replaced, the clock moved 400 days, record
 * ids moved, and every executable outside the Windows folders renamed everywhere it appears: image fields, command
 * lines, call traces) and replayed; the incidents must be the same ones under the new names: same count, techniques,
 * scores, severities and signals. Names the detector documents as meaningful are kept: the Windows folders, the usual
 * hollowing hosts and the credential stores of the correlation config.
 * Second relation, the stream's: every line shuffled within blocks of 64 and delivered twice, in batches of 7, gives the
 * same incidents (ids, techniques, scores) as the recording in order.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import type { ReplayResult } from '../../tools/replay/replay';
import { replayInMemory } from '../helpers/replayInMemory';
import { replayRecordings } from '../../tools/replay/replay';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import { InMemoryIncidentStore } from '../../shared/ports/InMemoryIncidentStore';
import { InMemoryDeadLetterStore } from '../../shared/ports/InMemoryDeadLetterStore';
import { DEFAULT_INGEST_LIMITS } from '../../shared/ingest/ingestBatch';
import {
    DATASETS_DIR,
    DATASETS_PRESENT,
    DATASETS_SKIP_REASON,
    readDatasetSummary,
    readGzipLines,
} from '../support/datasets';

const SHIFT_MS = 400 * 24 * 3600_000;
const IN_MEMORY = () => ({
    limits: DEFAULT_INGEST_LIMITS,
    config: DEFAULT_CORRELATION_CONFIG,
    stateStore: new InMemoryHostStateStore(),
    incidentStore: new InMemoryIncidentStore(),
    deadLetters: new InMemoryDeadLetterStore(),
});
const GUID = /\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?/g;
const TIME_FIELDS = new Set(['utctime', 'timecreated', 'creationutctime', 'previouscreationutctime']);
const IMAGE_FIELDS = ['Image', 'SourceImage', 'TargetImage', 'ParentImage', 'TargetFilename', 'ImageLoaded'];
const KEPT_NAMES = new Set([
    ...Object.entries(DEFAULT_CORRELATION_CONFIG.hollowingHosts).flatMap(([host, rule]) => [
        host,
        ...(rule.expectedParents ?? []),
    ]),
    ...DEFAULT_CORRELATION_CONFIG.credentialStoreTargets,
]);

function digest(text: string): string {
    return createHash('sha256').update(`metamorphic:${text}`).digest('hex');
}

function baseName(path: string): string {
    return path.split(/[\\/]/).pop() ?? path;
}

/** A consistent rewrite of one recording: the same input always maps to the same output. */
class Rewriter {
    readonly names = new Map<string, string>(); // lower-case base name -> new base name
    private readonly hosts = new Map<string, string>();

    /** Collects the executables to rename: those outside the Windows folders that carry no documented meaning. */
    learn(record: Record<string, unknown>): void {
        for (const field of IMAGE_FIELDS) {
            const value = record[field];
            if (typeof value !== 'string' || !/\.(exe|dll|scr|com)$/i.test(value) || /^[a-z]:\\windows\\/i.test(value))
                continue;
            const name = baseName(value).toLowerCase();
            if (!KEPT_NAMES.has(name) && !this.names.has(name))
                this.names.set(name, `r${digest(name).slice(0, 10)}${name.slice(name.lastIndexOf('.'))}`);
        }
    }

    host(original: string): string {
        const key = original.toLowerCase();
        let mapped = this.hosts.get(key);
        if (mapped === undefined) {
            mapped = `HOST-${digest(key).slice(0, 8).toUpperCase()}`;
            this.hosts.set(key, mapped);
        }
        return mapped;
    }

    record(record: Record<string, unknown>): Record<string, unknown> {
        const out: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(record)) {
            if (typeof value !== 'string')
                out[key] = key === 'EventRecordID' && typeof value === 'number' ? value + 1_000_000 : value;
            else if (key === 'Computer') out[key] = this.host(value);
            else if (key === 'EventRecordID') out[key] = String(Number(value) + 1_000_000);
            else if (TIME_FIELDS.has(key.toLowerCase())) out[key] = shiftTime(value);
            else out[key] = this.renameExecutables(value.replace(GUID, (guid) => remapGuid(guid)));
        }
        return out;
    }

    private renameExecutables(text: string): string {
        let result = text;
        for (const [name, mapped] of this.names) {
            const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            result = result.replace(
                new RegExp(`(^|[\\\\/" ])${escaped}(?=$|[\\s"+|,])`, 'gi'),
                (_, before: string) => `${before}${mapped}`,
            );
        }
        return result;
    }
}

/** Another GUID, the same for every spelling of the original; braces kept, upper case (as Sysmon writes them). */
function remapGuid(guid: string): string {
    const hex = digest(guid.replace(/[{}]/g, '').toLowerCase()).slice(0, 32).toUpperCase();
    const body = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return guid.startsWith('{') ? `{${body}}` : body;
}

/** `2020-10-27 10:17:18.369` or `2020-10-27T10:17:18.369341Z`, moved by SHIFT_MS, fraction and separators kept. */
function shiftTime(text: string): string {
    const match = /^(\d{4})-(\d{2})-(\d{2})([ T])(\d{2}):(\d{2}):(\d{2})(.*)$/.exec(text);
    if (!match) return text;
    const [, y, mo, d, sep, h, mi, s, rest] = match as unknown as string[];
    const shifted = new Date(
        Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + SHIFT_MS,
    ).toISOString();
    return `${shifted.slice(0, 10)}${sep}${shifted.slice(11, 19)}${rest}`;
}

function summary(result: ReplayResult, rename: (name: string) => string, host: (name: string) => string): string[] {
    return result.incidents
        .map((i) =>
            JSON.stringify({
                host: host(i.host),
                pair: `${rename(baseName(i.injector.image ?? '?'))} -> ${rename(baseName(i.target.image ?? '?'))}`,
                technique: i.technique,
                score: i.score,
                severity: i.severity,
                signals: i.signals.map((s) => `${s.name}/${s.eventId}`).sort(),
            }),
        )
        .sort();
}

const recordings = DATASETS_PRESENT ? readDatasetSummary().map((row) => row.file) : [];
const workDir = DATASETS_PRESENT ? mkdtempSync(join(tmpdir(), 'hollowtrace-metamorphic-')) : '';

describe.skipIf(!DATASETS_PRESENT)(
    `detector under renaming, re-keying and a moved clock ${DATASETS_PRESENT ? '' : `(${DATASETS_SKIP_REASON})`}`,
    () => {
        it.each(recordings)('%s', async (file) => {
            const records = readGzipLines(file).map((line) => JSON.parse(line) as Record<string, unknown>);
            const rewriter = new Rewriter();
            for (const record of records) rewriter.learn(record);
            const rewritten = join(workDir, baseName(file).replace(/\.gz$/, ''));
            writeFileSync(rewritten, records.map((record) => JSON.stringify(rewriter.record(record))).join('\n'));

            const original = await replayInMemory([resolve(DATASETS_DIR, file)]);
            const changed = await replayInMemory([rewritten]);
            const renamed = (name: string): string => rewriter.names.get(name.toLowerCase()) ?? name.toLowerCase();
            // The rewrite really changed what it claims to: no host, GUID or renamed executable of the original is left.
            const text = readFileSync(rewritten, 'utf8');
            const hostNames = new Set(records.map((record) => String(record.Computer)));
            expect(
                text
                    .split('\n')
                    .filter((line) => hostNames.has(String((JSON.parse(line) as Record<string, unknown>).Computer))),
            ).toEqual([]);
            expect(text.match(GUID)?.length ?? 0).toBe(JSON.stringify(records).match(GUID)?.length ?? 0);
            const rewrittenGuids = new Set(text.match(GUID)?.map((guid) => guid.toLowerCase()));
            expect(
                (JSON.stringify(records).match(GUID) ?? []).filter((guid) => rewrittenGuids.has(guid.toLowerCase())),
            ).toEqual([]);
            const lower = text.toLowerCase();
            expect(
                [...rewriter.names.keys()].filter(
                    (name) => lower.includes(`\\\\${name}"`) || lower.includes(`"${name}"`),
                ),
            ).toEqual([]);
            if (original.incidents.length > 0) expect(rewriter.names.size).toBeGreaterThan(0);

            expect(changed.report).toEqual(original.report);
            expect(
                summary(
                    changed,
                    (name) => name.toLowerCase(),
                    (h) => h.toLowerCase(),
                ),
            ).toEqual(summary(original, renamed, (h) => rewriter.host(h).toLowerCase()));
        });

        it.each(recordings)(
            '%s: lines shuffled within every 64, each delivered twice, in batches of 7: the same incidents',
            async (file) => {
                const lines = readGzipLines(file);
                let seed = Number.parseInt(digest(file).slice(0, 8), 16);
                const random = (): number => {
                    // mulberry32: a small seeded generator, so a failure can be replayed.
                    seed = (seed + 0x6d2b79f5) | 0;
                    let t = seed;
                    t = Math.imul(t ^ (t >>> 15), t | 1);
                    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
                    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
                };
                const disordered: string[] = [];
                for (let start = 0; start < lines.length; start += 64) {
                    const block = lines.slice(start, start + 64);
                    for (let i = block.length - 1; i > 0; i--) {
                        const j = Math.floor(random() * (i + 1));
                        [block[i], block[j]] = [block[j] as string, block[i] as string];
                    }
                    // Each line twice, the copy a few lines later: a retried batch replays whole (Event Hubs is at-least-once).
                    for (let i = 0; i < block.length; i++)
                        disordered.push(block[i] as string, block[Math.max(0, i - 3)] as string);
                }
                const path = join(workDir, `disordered-${baseName(file).replace(/\.gz$/, '')}`);
                writeFileSync(path, disordered.join('\n'));

                const ids = (result: ReplayResult): string[] =>
                    result.incidents.map((i) => `${i.id} ${i.technique} ${i.score}`).sort();
                const original = await replayInMemory([resolve(DATASETS_DIR, file)]);
                const changed = await replayRecordings({ ...IN_MEMORY(), paths: [path], batchSize: 7 });
                expect(changed.report.received).toBe(2 * original.report.received);
                expect(ids(changed)).toEqual(ids(original));
            },
        );
    },
);
