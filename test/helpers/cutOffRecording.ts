/**
 * A JSON-lines recording whose gzip stream stops early, shaped so that reading it is timing-sensitive: the feed
 * fixtures many times over with bad lines among them, and one line of 1 MiB of a single character in the middle, so the
 * tail inflates to more than one of the reader's 1 MiB chunks and the failing stream still holds some when it fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const FLAT = resolve(__dirname, '../fixtures/feeds/flat.jsonl');

/** Writes `<dir>/<name>` and returns its path and the non-blank lines it held before the cut. */
export function writeCutOffRecording(dir: string, name: string): { path: string; lines: string[] } {
    const flat = readFileSync(FLAT, 'utf8').trim();
    const blocks = Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? `{"broken": ${i}` : flat));
    blocks.splice(150, 0, `{"CommandLine":"${'x'.repeat(1 << 20)}"}`);
    const text = blocks.join('\n');
    const whole = gzipSync(text);
    const path = join(dir, name);
    writeFileSync(path, whole.subarray(0, whole.length - 40));
    return { path, lines: text.split('\n').filter((line) => line.trim() !== '') };
}
