/**
 * Where a simulated stream goes: JSON lines to a stream or a file, batches to the Event Hubs sink (one batch per
 * host, partition key = host), real-time pacing, and the `hollowtrace simulate` command around them. The real
 * EventHubProducerClient is driven against a closed loopback port (Event Hubs cannot run here: its emulator needs
 * Docker) to prove the bounded retries fail fast with a readable error.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSimulateArgs, runSimulate } from '../../../../tools/cli/simulateCommand';
import type { SimulateCommandOptions } from '../../../../tools/cli/simulateCommand';
import type { EventBatchLike, ProducerLike } from '../../../../shared/clients/EventHubEventForwarder';
import {
    EVENT_SINK_RETRY_OPTIONS,
    EventHubSink,
    createEventHubSink,
    hostOfLine,
} from '../../../../tools/eventHub/EventHubSink';
import { ConfigurationError, ForwardingFailedError } from '../../../../shared/errors';
import { sendToSink, writeJsonLines, writeJsonLinesToFile } from '../../../../tools/simulate/output';
import type { EventSink } from '../../../../tools/simulate/output';
import { simulateFleet } from '../../../../tools/simulate/simulate';
import type { FlatSysmonEvent, InjectedAttack } from '../../../../tools/simulate/types';

const START = new Date('2024-05-01T10:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'hollowtrace-simulate-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function small(seed = 1): FlatSysmonEvent[] {
    return [
        ...simulateFleet({ hosts: 3, eventsPerSecond: 10, durationSeconds: 60, attacks: 2, seed, start: START }).events,
    ];
}

function parseLines(text: string): unknown[] {
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    return lines.map((line) => JSON.parse(line) as unknown);
}

/** A destination that takes `delayMs` per chunk and has a tiny buffer, so the writer must wait for 'drain'. */
class SlowSink extends Writable {
    text = '';
    drains = 0;
    constructor(private readonly delayMs: number) {
        super({ highWaterMark: 1024, decodeStrings: false });
        this.on('drain', () => this.drains++);
    }
    override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
        this.text += String(chunk);
        setTimeout(() => callback(), this.delayMs);
    }
}

describe('JSON-lines writers', () => {
    it('writes one parseable line per event, waiting for a slow destination', async () => {
        const events = small();
        const out = new SlowSink(1);
        const summary = await writeJsonLines(events, out, { chunkBytes: 4096 });
        expect(summary.events).toBe(events.length);
        expect(summary.bytes).toBe(Buffer.byteLength(out.text));
        expect(parseLines(out.text)).toEqual(events);
        expect(out.drains).toBeGreaterThan(0);
        expect(out.writableEnded).toBe(false); // stdout is never ended
    });

    it('stops with the destination error', async () => {
        const out = new PassThrough({ highWaterMark: 16 });
        setImmediate(() => out.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
        await expect(writeJsonLines(small(), out, { chunkBytes: 64 })).rejects.toThrow(/EPIPE|closed/);
    });

    it('writes plain and gzip files that read back as the same events', async () => {
        const events = small(2);
        const plain = join(dir, 'plain.jsonl');
        const gz = join(dir, 'compressed.jsonl.gz');
        expect((await writeJsonLinesToFile(events, plain)).events).toBe(events.length);
        await writeJsonLinesToFile(events, gz);
        expect(parseLines(readFileSync(plain, 'utf8'))).toEqual(events);
        expect(parseLines(gunzipSync(readFileSync(gz)).toString('utf8'))).toEqual(events);
    });

    it('fails with the file system error when the file cannot be created', async () => {
        await expect(writeJsonLinesToFile(small(), join(dir, 'missing', 'x.jsonl'))).rejects.toThrow(/ENOENT/);
    });
});

/** Records what would be sent; each batch holds at most `capacity` events, like a size-limited EventDataBatch. */
class RecordingProducer implements ProducerLike {
    readonly sent: { partitionKey: string; bodies: unknown[]; contentTypes: (string | undefined)[] }[] = [];
    constructor(private readonly capacity: number) {}
    createBatch(options: { partitionKey: string }): Promise<EventBatchLike> {
        const bodies: unknown[] = [];
        const contentTypes: (string | undefined)[] = [];
        const capacity = this.capacity;
        return Promise.resolve({
            partitionKey: options.partitionKey,
            bodies,
            contentTypes,
            get count() {
                return bodies.length;
            },
            tryAdd(event: { body: unknown; contentType?: string }) {
                if (bodies.length >= capacity) return false;
                bodies.push(event.body);
                contentTypes.push(event.contentType);
                return true;
            },
        });
    }
    sendBatch(batch: EventBatchLike): Promise<void> {
        const b = batch as unknown as { partitionKey: string; bodies: unknown[]; contentTypes: (string | undefined)[] };
        this.sent.push({ partitionKey: b.partitionKey, bodies: [...b.bodies], contentTypes: [...b.contentTypes] });
        return Promise.resolve();
    }
}

describe('Event Hubs sink', () => {
    it('reads the host of a line, quickly when plain, by parsing otherwise', () => {
        expect(hostOfLine('{"EventID":5,"Computer":"WS-0001.contoso.local","UtcTime":"x"}')).toBe(
            'WS-0001.contoso.local',
        );
        expect(hostOfLine('{"EventID":5, "Computer" : "ws-9"}')).toBe('ws-9');
        expect(hostOfLine('{"EventID":5}')).toBe('');
        expect(hostOfLine('not json')).toBe('');
    });

    it('batches by host (partition key = host, lower case), in order, splitting full batches; bodies are the UTF-8 lines', async () => {
        const producer = new RecordingProducer(3);
        const events = small(3);
        const lines = events.map((event) => JSON.stringify(event));
        await new EventHubSink(producer).send(lines);
        const hosts = [...new Set(events.map((e) => e.Computer.toLowerCase()))];
        expect(new Set(producer.sent.map((s) => s.partitionKey))).toEqual(new Set(hosts));
        for (const host of hosts) {
            const batches = producer.sent.filter((s) => s.partitionKey === host);
            expect(batches.every((b) => b.bodies.length <= 3)).toBe(true);
            const bodies = batches.flatMap((b) => b.bodies).map((body) => (body as Buffer).toString('utf8'));
            expect(bodies).toEqual(lines.filter((line) => hostOfLine(line).toLowerCase() === host));
        }
        expect(producer.sent.every((s) => s.contentTypes.every((c) => c === 'application/json'))).toBe(true);
    });

    it('rejects a line that cannot fit in an empty batch', async () => {
        await expect(new EventHubSink(new RecordingProducer(0)).send(['{"Computer":"ws1"}'])).rejects.toBeInstanceOf(
            ForwardingFailedError,
        );
    });

    it('uses the bounded retries of the forwarder', () => {
        expect(EVENT_SINK_RETRY_OPTIONS).toEqual({
            maxRetries: 2,
            retryDelayInMs: 500,
            maxRetryDelayInMs: 4_000,
            timeoutInMs: 10_000,
        });
    });

    it('needs a hub name, from the argument or the EntityPath', () => {
        expect(() => createEventHubSink('Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=x;SharedAccessKey=y')).toThrow(
            ConfigurationError,
        );
    });

    // With the SDK's default retries this would wait 7.5 minutes (docs/architecture.md); here it takes about a second,
    // spent waiting: the two cases wait side by side.
    it.concurrent.for<[label: string, connectionString: string, eventHubName: string | undefined]>([
        [
            'a hub name',
            'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true',
            'sysmon',
        ],
        [
            'an EntityPath',
            'Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true;EntityPath=sysmon',
            undefined,
        ],
    ])(
        'the real producer on a closed port fails fast with a readable ForwardingFailedError (%s)',
        async ([, connectionString, name], { expect }) => {
            const handle = createEventHubSink(connectionString, name);
            const started = Date.now();
            try {
                const sent = handle.sink.send(['{"EventID":5,"Computer":"WS-0001.contoso.local"}']);
                await expect(sent).rejects.toBeInstanceOf(ForwardingFailedError);
                await expect(sent).rejects.toThrow(
                    /^sending 1 events of host ws-0001\.contoso\.local to Event Hubs failed: .*ECONNREFUSED/,
                );
            } finally {
                await handle.close();
            }
            expect(Date.now() - started).toBeLessThan(20_000);
        },
    );
});

class CollectingSink implements EventSink {
    readonly sends: { atMs: number; lines: string[] }[] = [];
    constructor(private readonly clock: () => number) {}
    send(lines: string[]): Promise<void> {
        this.sends.push({ atMs: this.clock(), lines });
        return Promise.resolve();
    }
}

describe('sendToSink', () => {
    it('unpaced: everything, in order, at most maxLinesPerSend per send', async () => {
        const events = small();
        const sink = new CollectingSink(() => 0);
        const summary = await sendToSink(events, sink, { maxLinesPerSend: 100 });
        expect(summary).toMatchObject({ events: events.length, sends: Math.ceil(events.length / 100) });
        expect(sink.sends.flatMap((s) => s.lines)).toEqual(events.map((e) => JSON.stringify(e)));
        expect(sink.sends.every((s) => s.lines.length <= 100)).toBe(true);
    });

    it('paced: no event leaves before its simulated time after the first; events due close together go out together', async () => {
        const events = small(4);
        let clock = 1_000_000;
        const sleeps: number[] = [];
        const sink = new CollectingSink(() => clock);
        await sendToSink(events, sink, {
            paced: true,
            flushIntervalMs: 250,
            now: () => clock,
            sleep: (ms) => {
                sleeps.push(ms);
                clock += ms;
                return Promise.resolve();
            },
        });
        const firstMs = Date.parse(`${events[0]!.UtcTime.replace(' ', 'T')}Z`);
        const lastMs = Date.parse(`${events[events.length - 1]!.UtcTime.replace(' ', 'T')}Z`);
        let index = 0;
        for (const send of sink.sends) {
            for (const line of send.lines) {
                const event = JSON.parse(line) as FlatSysmonEvent;
                expect(event).toEqual(events[index++]);
                const due = 1_000_000 + Date.parse(`${event.UtcTime.replace(' ', 'T')}Z`) - firstMs;
                expect(send.atMs).toBeGreaterThanOrEqual(due);
                expect(send.atMs - due).toBeLessThanOrEqual(250);
            }
        }
        expect(index).toBe(events.length);
        expect(clock - 1_000_000).toBe(lastMs - firstMs); // the run lasts as long as the simulated stream
        expect(sink.sends.length).toBeLessThan(events.length / 2);
        expect(sleeps.every((ms) => ms > 0)).toBe(true);
    });
});

describe('hollowtrace simulate', () => {
    it('parses the defaults and every option; errors come back as usage text', () => {
        expect(parseSimulateArgs([])).toEqual({ hosts: 5, rate: 20, attacks: 5, duration: 300, seed: 1 });
        expect(
            parseSimulateArgs([
                '--hosts',
                '3',
                '--rate',
                '12.5',
                '--attacks',
                '0',
                '--duration',
                '60',
                '--seed=-7',
                '--start',
                '2024-05-01T10:00:00Z',
                '--kinds',
                'hollowing, herpaderping',
                '--out',
                'sim.jsonl',
            ]),
        ).toEqual({
            hosts: 3,
            rate: 12.5,
            attacks: 0,
            duration: 60,
            seed: -7,
            start: START,
            kinds: ['hollowing', 'herpaderping'],
            out: 'sim.jsonl',
        });
        expect(
            parseSimulateArgs([
                '--event-hub',
                'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b',
                '--event-hub-name',
                'h',
            ]),
        ).toMatchObject({
            eventHub: { connectionString: 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b', name: 'h' },
        });
        expect(
            parseSimulateArgs(['--event-hub', 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b;EntityPath=h']),
        ).toMatchObject({
            eventHub: { connectionString: 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b;EntityPath=h' },
        });
        const errors: [string[], RegExp][] = [
            [['--hosts', 'x'], /--hosts must be/],
            [['--hosts', '0'], /hosts must be an integer from 1/],
            [['--rate', '0'], /--rate must be a number above 0/],
            [['--duration', '10'], /at least 30 s/],
            [['--start', 'yesterday'], /--start must be an ISO time/],
            [['--kinds', 'hollowing,bogus'], /unknown attack kinds: bogus/],
            [['--out', 'a', '--event-hub', 'b'], /not both/],
            [['--event-hub-name', 'h'], /needs --event-hub/],
            [['--event-hub', 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b'], /needs a name/],
            [['--bogus'], /Unknown option/],
            [['positional'], /positional/],
        ];
        for (const [argv, message] of errors) {
            const parsed = parseSimulateArgs(argv);
            expect(typeof parsed, argv.join(' ')).toBe('string');
            expect(parsed).toMatch(message);
            expect(parsed).toMatch(/usage:\n {2}hollowtrace simulate/);
        }
    });

    async function run(
        options: Partial<SimulateCommandOptions>,
    ): Promise<{ code: number; stdout: string; stderr: string }> {
        const stdout = new SlowSink(0);
        let stderr = '';
        const code = await runSimulate({
            hosts: 2,
            rate: 10,
            attacks: 2,
            duration: 60,
            seed: 3,
            start: START,
            stdout,
            stderr: (text) => (stderr += text),
            ...options,
        });
        return { code, stdout: stdout.text, stderr };
    }

    it('stdout gets only events; the attacks and the totals go to stderr', async () => {
        const { code, stdout, stderr } = await run({});
        expect(code).toBe(0);
        const events = parseLines(stdout) as FlatSysmonEvent[];
        expect(events.length).toBeGreaterThan(1_000);
        expect(events.every((e) => e.Channel === 'Microsoft-Windows-Sysmon/Operational')).toBe(true);
        expect(stderr).toMatch(/injected attacks \(ground truth\): 2/);
        expect(stderr).toMatch(/hollowing +T1055\.012 +jjs\.exe -> (svchost|rundll32)\.exe/);
        expect(stderr).toMatch(new RegExp(`wrote ${events.length.toLocaleString('en-US')} events .* to stdout`));
    });

    it('--out writes the events and <out>.attacks.json with the ground truth', async () => {
        const out = join(dir, 'run.jsonl');
        const { code, stdout, stderr } = await run({ out });
        expect(code).toBe(0);
        expect(stdout).toBe('');
        const attacks = JSON.parse(readFileSync(`${out}.attacks.json`, 'utf8')) as InjectedAttack[];
        expect(attacks).toEqual(
            simulateFleet({ hosts: 2, eventsPerSecond: 10, durationSeconds: 60, attacks: 2, seed: 3, start: START })
                .attacks,
        );
        const events = parseLines(readFileSync(out, 'utf8')) as FlatSysmonEvent[];
        for (const attack of attacks)
            expect(
                events.some((e) => e.ProcessGuid === `{${attack.targetGuid}}` && e.EventID === 1) ||
                    attack.kind === 'shellcode-thread',
            ).toBe(true);
        expect(stderr).toMatch(/ground truth in .*run\.jsonl\.attacks\.json/);
    });

    it('--event-hub sends through the sink in real time and closes it; a failed send exits 1 with the reason', async () => {
        const lines: string[] = [];
        let closed = 0;
        let clock = 0;
        const fakeClock = { now: () => clock, sleep: (ms: number) => Promise.resolve(void (clock += ms)) };
        const ok = await run({
            attacks: 1,
            eventHub: { connectionString: 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b;EntityPath=h' },
            createSink: () => ({
                sink: {
                    send: (batch: string[]) => Promise.resolve(void lines.push(...batch)),
                } as unknown as EventHubSink,
                close: () => Promise.resolve(void closed++),
            }),
            clock: fakeClock,
        });
        expect(ok.code).toBe(0);
        expect(closed).toBe(1);
        const sent = lines.map((line) => JSON.parse(line) as FlatSysmonEvent);
        expect(sent).toEqual([
            ...simulateFleet({ hosts: 2, eventsPerSecond: 10, durationSeconds: 60, attacks: 1, seed: 3, start: START })
                .events,
        ]);
        // Paced: the run lasts as long as the simulated events it sent span.
        const utc = (event: FlatSysmonEvent): number => Date.parse(`${event.UtcTime.replace(' ', 'T')}Z`);
        expect(clock).toBe(utc(sent[sent.length - 1]!) - utc(sent[0]!));
        expect(ok.stderr).toMatch(/sending to the Event Hub in real time/);

        const failing = await run({
            eventHub: { connectionString: 'x', name: 'h' },
            createSink: () => ({
                sink: {
                    send: () =>
                        Promise.reject(
                            new ForwardingFailedError(
                                'sending 3 events of host ws-0001 to Event Hubs failed: connect ECONNREFUSED',
                            ),
                        ),
                } as unknown as EventHubSink,
                close: () => Promise.resolve(void closed++),
            }),
            clock: fakeClock,
        });
        expect(failing.code).toBe(1);
        expect(failing.stderr).toMatch(/hollowtrace simulate: sending 3 events .* ECONNREFUSED/);
        expect(closed).toBe(2);
    });
});
