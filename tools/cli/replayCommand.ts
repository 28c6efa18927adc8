/**
 * `hollowtrace replay`: runs recordings through both stages and prints the incidents, as a table or as one JSON
 * document. Streams its input; progress goes to stderr so stdout stays a clean JSON document with --json.
 */
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
import { replayRecordings } from '../replay/replay';
import { TableDeadLetterStore } from '../../shared/storage/table/TableDeadLetterStore';
import { createTableClientFromConnectionString } from '../../shared/storage/table/tableSupport';
import { TableHostStateStore } from '../../shared/storage/table/TableHostStateStore';
import { TableIncidentStore } from '../../shared/storage/table/TableIncidentStore';
import { startLocalAzuriteTable } from '../local/localAzurite';

export interface ReplayCommandOptions {
    paths: string[];
    json: boolean;
    store: 'memory' | 'table';
    batchSize: number;
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

/** The readable table printed without --json. */
export function formatIncidentTable(report: IngestReport, incidents: readonly Incident[]): string {
    const lines = [
        `events: received ${report.received}, accepted ${report.accepted}, ignored ${report.ignored}, rejected ${report.rejected}`,
        `incidents: ${incidents.length}`,
    ];
    if (incidents.length > 0) {
        const rows = incidents.map((i) => [
            i.host,
            i.technique,
            String(i.score),
            i.severity,
            `${baseName(i.injector.image)} -> ${baseName(i.target.image)}`,
            i.firstSeen,
        ]);
        const header = ['host', 'technique', 'score', 'severity', 'injector -> target', 'first seen'];
        const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
        const format = (cells: string[]): string =>
            cells
                .map((cell, c) => cell.padEnd(widths[c] as number))
                .join('  ')
                .trimEnd();
        lines.push('', format(header), format(widths.map((w) => '-'.repeat(w))), ...rows.map(format), '');
        for (const incident of incidents) lines.push(`${incident.id}: ${incident.explanation}`);
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
            limits: DEFAULT_INGEST_LIMITS,
            config: DEFAULT_CORRELATION_CONFIG,
            stateStore: stores.state,
            incidentStore: stores.incidents,
            deadLetters: stores.deadLetters,
            onProgress: (report, file) => {
                if (Date.now() - lastProgress < 2_000) return;
                lastProgress = Date.now();
                stderr(`... ${report.received.toLocaleString('en-US')} events read (${baseName(file)})\n`);
            },
        });
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
                `no recordings found in ${options.paths.join(', ')} (replay reads .jsonl, .ndjson, .json, .xml, each optionally .gz, and .evtx)\n`,
            );
            return 2;
        }
        if (result.report.rejected > 0) {
            stderr(
                `${result.report.rejected} events were rejected: ${JSON.stringify(result.report.rejectedByReason)}\n`,
            );
            // Where a few of them are: a dead letter's partition is the file's index in this run, its sequence number
            // the message's place in the file (line, XML event or EVTX record).
            const letters = await stores.deadLetters.list({ limit: SHOWN_REJECTIONS });
            for (const letter of letters) {
                const file = result.files[Number(letter.partitionId)] ?? `file #${letter.partitionId ?? '?'}`;
                stderr(
                    `  e.g. ${file}, message ${(letter.sequenceNumber ?? 0) + 1}: ${letter.reason}: ${letter.detail}\n`,
                );
            }
            if (result.report.rejected > letters.length)
                stderr(`  ... and ${result.report.rejected - letters.length} more\n`);
        }
        return 0;
    } finally {
        await stores.close();
    }
}
