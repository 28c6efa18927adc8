/**
 * Locates the team's recordings in ../shared/datasets (beside the checkout) and reads their README's summary
 * table. Tests that need them skip with a visible reason when the folder is absent (a fresh clone elsewhere).
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { resolve } from 'node:path';

export const DATASETS_DIR = resolve(__dirname, '../../../shared/datasets');
export const DATASETS_PRESENT = existsSync(resolve(DATASETS_DIR, 'README.md'));
export const DATASETS_SKIP_REASON = `skipped: ${DATASETS_DIR} not found (recordings live beside the checkout, never in the repo)`;

if (!DATASETS_PRESENT) {
    // Visible in every run that skips, not only in verbose reporters.
    console.warn(`[hollowtrace tests] real-recording tests ${DATASETS_SKIP_REASON}`);
}

export interface DatasetSummaryRow {
    /** Path of the flat `.sysmon.jsonl.gz` file, relative to DATASETS_DIR. */
    file: string;
    role: string;
    sysmonEvents: number;
    countsByEventId: Record<string, number>;
}

/** Parses the `| file (flat) | class | role | Sysmon events | EventID counts |` table of datasets/README.md. */
export function readDatasetSummary(): DatasetSummaryRow[] {
    const readme = readFileSync(resolve(DATASETS_DIR, 'README.md'), 'utf8');
    const rows: DatasetSummaryRow[] = [];
    for (const line of readme.split('\n')) {
        const match = /^\| `([^`]+\.sysmon\.jsonl\.gz)` \| [^|]+ \| ([^|]+) \| (\d+) \| ([^|]+) \|$/.exec(line.trim());
        if (!match) continue;
        const [, file, role, total, counts] = match;
        const countsByEventId: Record<string, number> = {};
        for (const pair of counts!.split(',')) {
            const [id, n] = pair.trim().split(':');
            countsByEventId[id!] = Number(n);
        }
        rows.push({ file: file!, role: role!.trim(), sysmonEvents: Number(total), countsByEventId });
    }
    return rows;
}

/** The non-empty lines of a gzip'd JSON-lines file. */
export function readGzipLines(relativePath: string): string[] {
    return gunzipSync(readFileSync(resolve(DATASETS_DIR, relativePath)))
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
}
