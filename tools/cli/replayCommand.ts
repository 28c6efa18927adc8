/**
 * `hollowtrace replay`: runs recordings through both stages and prints the incidents, as a table or as one JSON
 * document. Streams its input; progress goes to stderr so stdout stays a clean JSON document with --json.
 * A broken file does not lose the run: it is named, counted as rejected, and the report covers the rest; the exit
 * code says whether the run was whole (`REPLAY_EXIT`).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import type { Incident } from '../../shared/correlate/incident';
import { toReplayJson } from '../../shared/correlate/incident';
import { InMemoryIncidentStore } from '../../shared/ports/InMemoryIncidentStore';
import type { IncidentStore } from '../../shared/ports/incidentStore';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import type { HostStateStore } from '../../shared/ports/hostStateStore';
import { InMemoryDeadLetterStore } from '../../shared/ports/InMemoryDeadLetterStore';
import type { DeadLetterStore } from '../../shared/ports/deadLetterStore';
import { DEFAULT_INGEST_LIMITS } from '../../shared/ingest/ingestBatch';
import type { IngestReport } from '../../shared/ingest/ingestBatch';
import { DEFAULT_PARALLEL_FROM_BYTES, replayRecordings } from '../replay/replay';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { startLocalAzuriteTable } from '../local/localAzurite';
import { escapeForTerminal } from './terminalText';

/** Exit codes of `hollowtrace replay` (the README lists them). */
export const REPLAY_EXIT = {
    /** Every file read to its end and at least one event accepted (some events may be rejected: they are listed). */
    ok: 0,
    /** Failed: storage or another unexpected error; no report. */
    failed: 1,
    /** Usage: a bad option, or no recording in the paths given. */
    usage: 2,
    /** Incomplete: a file could not be read to its end, or a path was skipped; the report covers the rest. */
    incomplete: 3,
    /** Nothing accepted: the input held no event replay could accept. */
    nothingAccepted: 4,
} as const;

/** The usage lines of the command, for the CLI's help text. */
export const REPLAY_USAGE = `  hollowtrace replay [--json] [--store memory|table] [--batch-size N] [--workers N] <file-or-dir>...
      Replays Sysmon recordings (.jsonl, .jsonl.gz, .json, .xml, Log Analytics exports, .evtx; directories recursively;
      a path without extension names a recording)
      through ingestion and correlation and prints the incidents. --store table keeps state in Azure Table
      Storage: HOLLOWTRACE_STORAGE_CONNECTION_STRING if set, else an in-process Azurite. --workers N reads and
      ingests on N threads (1 = this thread only) with the same result: whole files, or stripes of a file when
      there are fewer files than threads. Default: the number of cores, for input of ${DEFAULT_PARALLEL_FROM_BYTES / 1048576} MiB or more (less is
      read on this thread: starting the workers would cost more than they save).
      Exit codes: 0 done, 1 failed, 2 usage, 3 a file could not be read to its end or a path was skipped (the
      report covers the rest), 4 nothing accepted.`;

export interface ReplayCommandOptions {
    paths: string[];
    json: boolean;
    store: 'memory' | 'table';
    batchSize: number;
    /** Threads that read and ingest (default 1: this thread). */
    workers?: number;
    /** Input below which the replay reads on this thread whatever `workers` says (`ReplayOptions.parallelFromBytes`). */
    parallelFromBytes?: number;
    /** Where output goes; tests pass their own. */
    stdout?: (text: string) => void;
    stderr?: (text: string) => void;
}

interface Stores {
    state: HostStateStore;
    incidents: IncidentStore;
    deadLetters: DeadLetterStore;
    close(): Promise<void>;
}

async function openStores(kind: 'memory' | 'table', log: (text: string) => void): Promise<Stores> {
    if (kind === 'memory') {
        return {
            state: new InMemoryHostStateStore(),
            incidents: new InMemoryIncidentStore(),
            deadLetters: new InMemoryDeadLetterStore(),
            close: () => Promise.resolve(),
        };
    }
    const configured = process.env.HOLLOWTRACE_STORAGE_CONNECTION_STRING?.trim();
    const azurite = configured ? undefined : await startLocalAzuriteTable();
    const connectionString = configured ?? (azurite as { connectionString: string }).connectionString;
    log(
        configured
            ? 'state: Azure Table Storage (HOLLOWTRACE_STORAGE_CONNECTION_STRING)\n'
            : 'state: Azurite started in-process, in memory\n',
    );
    const suffix = Date.now().toString(36);
    const [state, incidents, deadLetters] = await Promise.all([
        TableHostStateStore.create(createTableClientFromConnectionString(connectionString, `replaystate${suffix}`)),
        TableIncidentStore.create(createTableClientFromConnectionString(connectionString, `replayincidents${suffix}`)),
        TableDeadLetterStore.create(
            createTableClientFromConnectionString(connectionString, `replaydeadletters${suffix}`),
        ),
    ]);
    return { state, incidents, deadLetters, close: async () => azurite?.close() };
}

/** Rejections listed with their place after a replay; the rest are counted. */
const SHOWN_REJECTIONS = 5;

function baseName(path: string | undefined): string {
    return path ? (path.split(/[\\/]/).pop() ?? path) : '?';
}

const MAX_WORKERS = 256;

/**
 * Parses `hollowtrace replay` arguments (after the command word): the options, `{ help: true }`, or the problem to
 * print (which option, and why) before the usage.
 * @example parseReplayArgs(['--workers', '2', 'recordings/']) // { paths: ['recordings/'], json: false, store: 'memory', batchSize: 256, workers: 2, parallelFromBytes: 0 }
 */
export function parseReplayArgs(argv: readonly string[]): ReplayCommandOptions | { help: true } | { problem: string } {
    let parsed;
    try {
        parsed = parseArgs({
            args: [...argv],
            allowPositionals: true,
            strict: true,
            options: {
                help: { type: 'boolean', short: 'h' },
                json: { type: 'boolean', default: false },
                store: { type: 'string', default: 'memory' },
                'batch-size': { type: 'string', default: '256' },
                workers: { type: 'string' },
            },
        });
    } catch (error) {
        return { problem: error instanceof Error ? error.message : String(error) };
    }
    const { values, positionals } = parsed;
    if (values.help === true) return { help: true };
    if (values.store !== 'memory' && values.store !== 'table')
        return { problem: `--store must be memory or table, got ${JSON.stringify(values.store)}` };
    const batchSize = wholeNumber(values['batch-size']);
    if (batchSize === undefined || batchSize < 1 || batchSize > 100_000)
        return {
            problem: `--batch-size must be a whole number from 1 to 100000, got ${JSON.stringify(values['batch-size'])}`,
        };
    // By default every core, once the input is large enough to repay starting them; `--workers N` is taken as asked.
    const workers = values.workers === undefined ? availableParallelism() : wholeNumber(values.workers);
    if (workers === undefined || workers < 1 || workers > MAX_WORKERS)
        return {
            problem: `--workers must be a whole number from 1 to ${MAX_WORKERS}, got ${JSON.stringify(values.workers)}`,
        };
    const parallelFromBytes = values.workers === undefined ? DEFAULT_PARALLEL_FROM_BYTES : 0;
    if (positionals.length === 0) return { problem: 'give at least one recording file or directory' };
    return {
        paths: positionals,
        json: values.json === true,
        store: values.store,
        batchSize,
        workers,
        parallelFromBytes,
    };
}

function wholeNumber(text: string | undefined): number | undefined {
    return text !== undefined && /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : undefined;
}

/** One line saying why nothing was accepted: what the input held instead. */
function nothingAcceptedReason(report: IngestReport): string {
    if (report.received === 0) return 'the recordings hold no events';
    const parts = [
        ...Object.entries(report.rejectedByReason).map(([reason, n]) => `${n} rejected as ${reason}`),
        ...Object.entries(report.ignoredByReason).map(([reason, n]) => `${n} ignored as ${reason}`),
    ];
    return `${report.received} events read, none accepted: ${parts.join(', ')}`;
}

/** The readable table printed without --json. */
export function formatIncidentTable(report: IngestReport, incidents: readonly Incident[]): string {
    const lines = [
        `events: received ${report.received}, accepted ${report.accepted}, ignored ${report.ignored}, rejected ${report.rejected}`,
        `incidents: ${incidents.length}`,
    ];
    if (incidents.length > 0) {
        // Every cell and line that carries event data is escaped: event fields are attacker-controlled.
        const rows = incidents.map((i) =>
            [
                i.host,
                i.technique,
                String(i.score),
                i.severity,
                `${baseName(i.injector.image)} -> ${baseName(i.target.image)}`,
                i.firstSeen,
            ].map(escapeForTerminal),
        );
        const header = ['host', 'technique', 'score', 'severity', 'injector -> target', 'first seen'];
        const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
        const format = (cells: string[]): string =>
            cells
                .map((cell, c) => cell.padEnd(widths[c] as number))
                .join('  ')
                .trimEnd();
        lines.push('', format(header), format(widths.map((w) => '-'.repeat(w))), ...rows.map(format), '');
        for (const incident of incidents)
            lines.push(`${escapeForTerminal(incident.id)}: ${escapeForTerminal(incident.explanation)}`);
    }
    return `${lines.join('\n')}\n`;
}

export async function runReplay(options: ReplayCommandOptions): Promise<number> {
    const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
    const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
    const stores = await openStores(options.store, stderr);
    let lastProgress = Date.now();
    try {
        const result = await replayRecordings({
            paths: options.paths,
            batchSize: options.batchSize,
            workers: options.workers ?? 1,
            ...(options.parallelFromBytes !== undefined && { parallelFromBytes: options.parallelFromBytes }),
            limits: DEFAULT_INGEST_LIMITS,
            config: DEFAULT_CORRELATION_CONFIG,
            stateStore: stores.state,
            incidentStore: stores.incidents,
            deadLetters: stores.deadLetters,
            onProgress: (report, file) => {
                if (Date.now() - lastProgress < 2_000) return;
                lastProgress = Date.now();
                stderr(
                    `... ${report.received.toLocaleString('en-US')} events read (${escapeForTerminal(baseName(file))})\n`,
                );
            },
        });
        for (const skipped of result.skipped)
            stderr(`${escapeForTerminal(skipped.path)}: ${skipped.why} (replay reads regular files)\n`);
        if (options.json) {
            const { received, accepted, ignored, rejected } = result.report;
            stdout(
                `${JSON.stringify({ report: { received, accepted, ignored, rejected }, incidents: result.incidents.map(toReplayJson) })}\n`,
            );
        } else {
            stdout(formatIncidentTable(result.report, result.incidents));
        }
        if (result.files.length === 0) {
            stderr(
                `no recordings found in ${escapeForTerminal(options.paths.join(', '))} (replay reads .jsonl, .ndjson, .json, .xml, each optionally .gz, and .evtx)\n`,
            );
            return REPLAY_EXIT.usage;
        }
        const { rejectedByReason } = result.report;
        const brokenFiles = (rejectedByReason['truncated-gzip'] ?? 0) + (rejectedByReason['unreadable-file'] ?? 0);
        if (result.report.rejected > 0) {
            stderr(`${result.report.rejected} events were rejected: ${JSON.stringify(rejectedByReason)}\n`);
            // Where a few of them are: a dead letter's partition is the file's index in this run, its sequence number
            // the message's place in the file (line, XML event or EVTX record). Files that broke off come first.
            const isBroken = (reason: string): boolean => reason === 'truncated-gzip' || reason === 'unreadable-file';
            const broken = [
                ...(await stores.deadLetters.list({ reason: 'truncated-gzip' })),
                ...(await stores.deadLetters.list({ reason: 'unreadable-file' })),
            ];
            const others = await stores.deadLetters.list({ limit: SHOWN_REJECTIONS + broken.length });
            const shown = [
                ...broken,
                ...others.filter((letter) => !isBroken(letter.reason)).slice(0, SHOWN_REJECTIONS),
            ];
            for (const letter of shown) {
                const file = result.files[Number(letter.partitionId)] ?? `file #${letter.partitionId ?? '?'}`;
                stderr(
                    escapeForTerminal(
                        `  e.g. ${file}, message ${(letter.sequenceNumber ?? 0) + 1}: ${letter.reason}: ${letter.detail}`,
                    ) + '\n',
                );
            }
            if (result.report.rejected > shown.length)
                stderr(`  ... and ${result.report.rejected - shown.length} more\n`);
        }
        if (result.report.accepted === 0) {
            stderr(`hollowtrace replay: nothing accepted: ${nothingAcceptedReason(result.report)}\n`);
            return REPLAY_EXIT.nothingAccepted;
        }
        if (brokenFiles > 0 || result.skipped.length > 0) {
            stderr(
                `hollowtrace replay: incomplete: ${brokenFiles} file(s) could not be read to their end, ${result.skipped.length} path(s) skipped; the report covers the rest\n`,
            );
            return REPLAY_EXIT.incomplete;
        }
        return REPLAY_EXIT.ok;
    } finally {
        await stores.close();
    }
}
