/**
 * `hollowtrace simulate`: writes a simulated Sysmon stream (a small fleet, background plus injected attacks) to
 * stdout, a file, or an Event Hub. stdout carries only events; the ground truth of the attacks and the totals go to
 * stderr (and, with --out, to `<out>.attacks.json`).
 */
import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createEventHubSink } from '../eventHub/EventHubSink';
import type { EventHubSinkHandle } from '../eventHub/EventHubSink';
import { isBrokenPipe, sendToSink, writeJsonLines, writeJsonLinesToFile } from '../simulate/output';
import type { WriteSummary } from '../simulate/output';
import { ATTACK_KINDS } from '../simulate/types';
import { simulateFleet, validateSimulateOptions } from '../simulate/simulate';
import type { AttackKind, SimulatedStream } from '../simulate/types';

/** The usage lines of the command, for the CLI's help text. */
export const SIMULATE_USAGE = `  hollowtrace simulate [--hosts N] [--rate EPS] [--attacks N] [--duration SECONDS] [--seed N] [--start ISO-TIME]
                       [--kinds KIND,...] [--out FILE | --event-hub CONNECTION_STRING [--event-hub-name NAME]]
      Generates realistic Sysmon telemetry (flat JSON lines) for N hosts at EPS background events per second per
      host, with N injected attacks, each copied from a real recording; kinds (round-robin):
      ${ATTACK_KINDS.join(', ')}.
      Defaults: --hosts 5 --rate 20 --attacks 5 --duration 300 --seed 1 --start now. The same seed and start give the
      same stream. Events go to stdout, or to FILE (.gz compresses) with the ground truth in FILE.attacks.json, or to
      an Event Hub in real time (partition key = host). The injected attacks are listed on stderr.`;

/** Parsed `hollowtrace simulate` options (see `parseSimulateArgs`). */
export interface SimulateCommandOptions {
    hosts: number;
    rate: number;
    attacks: number;
    duration: number;
    seed: number;
    start?: Date;
    kinds?: AttackKind[];
    out?: string;
    eventHub?: { connectionString: string; name?: string };
    /** Test seams: output streams, the Event Hubs sink factory, the clock used for the default start. */
    stdout?: Writable;
    stderr?: (text: string) => void;
    createSink?: (connectionString: string, eventHubName?: string) => EventHubSinkHandle;
    now?: () => Date;
    /** The wall clock that paces an Event Hub run. */
    clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
}

const DEFAULTS = { hosts: 5, rate: 20, attacks: 5, duration: 300, seed: 1 };

function usageError(problem: string): string {
    return `hollowtrace simulate: ${problem}\nusage:\n${SIMULATE_USAGE}`;
}

function integer(name: string, text: string | undefined, fallback: number, allowNegative = false): number | string {
    if (text === undefined) return fallback;
    if (!(allowNegative ? /^-?\d{1,15}$/ : /^\d{1,15}$/).test(text.trim()))
        return `--${name} must be ${allowNegative ? 'an' : 'a non-negative'} integer, got ${JSON.stringify(text)}`;
    return Number(text.trim());
}

function positive(name: string, text: string | undefined, fallback: number): number | string {
    if (text === undefined) return fallback;
    const value = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
        return `--${name} must be a number above 0, got ${JSON.stringify(text)}`;
    return value;
}

/**
 * Parses `hollowtrace simulate` arguments (after the command word). Returns the options, or the text to print for a
 * usage error (the problem, then the usage).
 * @example parseSimulateArgs(['--hosts', '3', '--out', 'sim.jsonl']) // { hosts: 3, rate: 20, attacks: 5, duration: 300, seed: 1, out: 'sim.jsonl' }
 */
export function parseSimulateArgs(argv: readonly string[]): SimulateCommandOptions | string {
    let values;
    try {
        ({ values } = parseArgs({
            args: [...argv],
            allowPositionals: false,
            strict: true,
            options: {
                hosts: { type: 'string' },
                rate: { type: 'string' },
                attacks: { type: 'string' },
                duration: { type: 'string' },
                seed: { type: 'string' },
                start: { type: 'string' },
                kinds: { type: 'string' },
                out: { type: 'string' },
                'event-hub': { type: 'string' },
                'event-hub-name': { type: 'string' },
            },
        }));
    } catch (error) {
        return usageError(error instanceof Error ? error.message : String(error));
    }
    const hosts = integer('hosts', values.hosts, DEFAULTS.hosts);
    const rate = positive('rate', values.rate, DEFAULTS.rate);
    const attacks = integer('attacks', values.attacks, DEFAULTS.attacks);
    const duration = positive('duration', values.duration, DEFAULTS.duration);
    const seed = integer('seed', values.seed, DEFAULTS.seed, true);
    for (const parsed of [hosts, rate, attacks, duration, seed])
        if (typeof parsed === 'string') return usageError(parsed);
    const options: SimulateCommandOptions = {
        hosts: hosts as number,
        rate: rate as number,
        attacks: attacks as number,
        duration: duration as number,
        seed: seed as number,
    };
    if (values.start !== undefined) {
        const start = new Date(values.start);
        if (Number.isNaN(start.getTime()))
            return usageError(
                `--start must be an ISO time such as 2024-05-01T10:00:00Z, got ${JSON.stringify(values.start)}`,
            );
        options.start = start;
    }
    if (values.kinds !== undefined)
        options.kinds = values.kinds
            .split(',')
            .map((kind) => kind.trim())
            .filter((kind) => kind !== '') as AttackKind[];
    if (values.out !== undefined && values['event-hub'] !== undefined)
        return usageError('give --out or --event-hub, not both');
    if (values['event-hub-name'] !== undefined && values['event-hub'] === undefined)
        return usageError('--event-hub-name needs --event-hub');
    if (values.out !== undefined) {
        if (values.out.trim() === '') return usageError('--out needs a file name');
        options.out = values.out;
    }
    if (values['event-hub'] !== undefined) {
        const connectionString = values['event-hub'];
        const name = values['event-hub-name'];
        if (name === undefined && !/(?:^|;)\s*EntityPath=[^;]+/i.test(connectionString)) {
            return usageError(
                'the Event Hub needs a name: give --event-hub-name or an EntityPath in the connection string',
            );
        }
        options.eventHub = { connectionString, ...(name !== undefined && { name }) };
    }
    const problem = validateSimulateOptions({
        hosts: options.hosts,
        eventsPerSecond: options.rate,
        durationSeconds: options.duration,
        attacks: options.attacks,
        seed: options.seed,
        start: options.start ?? new Date(0),
        ...(options.kinds !== undefined && { attackKinds: options.kinds }),
    });
    return problem === undefined ? options : usageError(problem);
}

function baseName(path: string): string {
    return path.slice(path.lastIndexOf('\\') + 1);
}

/** The run's header and the injected attacks, one per line, for stderr. */
export function formatAttackSummary(stream: SimulatedStream, options: SimulateCommandOptions): string {
    const lines = [
        `hollowtrace simulate: ${stream.hosts.length} hosts, ${options.rate} events/s per host, ${options.duration} s from ${new Date(stream.startMs).toISOString()}, seed ${options.seed}`,
        `injected attacks (ground truth): ${stream.attacks.length}`,
    ];
    for (const attack of stream.attacks) {
        lines.push(
            `  ${attack.at}  ${attack.host}  ${attack.kind.padEnd(17)} ${attack.technique.padEnd(10)} ${baseName(attack.injectorImage)} -> ${baseName(attack.targetImage)}  (target ${attack.targetGuid})`,
        );
    }
    return `${lines.join('\n')}\n`;
}

function megabytes(bytes: number): string {
    return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** Runs the command. Exit codes: 0 done, 1 failed (the output or the Event Hub), 2 usage error. */
export async function runSimulate(options: SimulateCommandOptions): Promise<number> {
    const stderr = options.stderr ?? ((text: string): void => void process.stderr.write(text));
    // Whole seconds, so the printed start can be passed back as --start to reproduce the stream.
    const start = options.start ?? new Date(Math.floor((options.now?.() ?? new Date()).getTime() / 1000) * 1000);
    let stream: SimulatedStream;
    try {
        stream = simulateFleet({
            hosts: options.hosts,
            eventsPerSecond: options.rate,
            durationSeconds: options.duration,
            attacks: options.attacks,
            seed: options.seed,
            start,
            ...(options.kinds !== undefined && { attackKinds: options.kinds }),
        });
    } catch (error) {
        stderr(`${usageError(error instanceof Error ? error.message : String(error))}\n`);
        return 2;
    }
    stderr(formatAttackSummary(stream, options));
    let summary: WriteSummary;
    let destination: string;
    try {
        if (options.eventHub) {
            const { connectionString, name } = options.eventHub;
            const handle = (options.createSink ?? createEventHubSink)(connectionString, name);
            destination = `Event Hub${name ? ` ${name}` : ''}`;
            stderr(`sending to the ${destination} in real time (${options.duration} s)...\n`);
            let lastReport = Date.now();
            try {
                summary = await sendToSink(stream.events, handle.sink, {
                    paced: true,
                    ...(options.clock && { now: options.clock.now, sleep: options.clock.sleep }),
                    onProgress: (progress) => {
                        if (Date.now() - lastReport < 10_000) return;
                        lastReport = Date.now();
                        stderr(`... ${progress.events.toLocaleString('en-US')} events sent\n`);
                    },
                });
            } finally {
                await handle.close();
            }
        } else if (options.out) {
            destination = options.out;
            summary = await writeJsonLinesToFile(stream.events, options.out);
            await writeFile(`${options.out}.attacks.json`, `${JSON.stringify(stream.attacks, null, 2)}\n`);
        } else {
            destination = 'stdout';
            summary = await writeJsonLines(stream.events, options.stdout ?? process.stdout);
        }
    } catch (error) {
        // `hollowtrace simulate | head`: the reader has what it wanted.
        if (isBrokenPipe(error)) return 0;
        const message = error instanceof Error ? error.message : String(error);
        stderr(`hollowtrace simulate: ${message}\n`);
        return 1;
    }
    const truth = options.out ? `; ground truth in ${options.out}.attacks.json` : '';
    stderr(
        `wrote ${summary.events.toLocaleString('en-US')} events (${megabytes(summary.bytes)}) to ${destination}${truth}\n`,
    );
    return 0;
}
