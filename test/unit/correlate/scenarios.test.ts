/**
 * Hand-written chains for what the recordings lack: EID 25 `Image is replaced`, out-of-order and duplicated
 * delivery across batches, late evidence updating an incident, two correlators racing on one host, expiry.
 * Whole-chain golden output: test/fixtures/chains/*.golden.json (UPDATE_GOLDEN=1 rewrites them, review the diff).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { Correlator } from '../../../shared/correlate/Correlator';
import type { Incident } from '../../../shared/correlate/incident';
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import type { HostStateStore } from '../../../shared/ports/hostStateStore';
import type { SysmonEvent } from '../../../shared/sysmon/types';
import {
    CREATE_PROCESS_TRACE,
    fileCreate,
    guid,
    imageLoad,
    networkConnect,
    processAccess,
    processCreate,
    redelivered,
    remoteThread,
    resetRecordIds,
    tampering,
} from '../../helpers/sysmonBuilders';
import { DROPPER, NOTEPAD, RUNDLL32, SVCHOST } from '../../helpers/images';
import { IncidentStorePublisher } from '../../../shared/publish/IncidentStorePublisher';

beforeEach(() => {
    resetRecordIds();
});

const NOW = new Date('2024-05-01T10:20:00.000Z');

/** Classic hollowing: a dropper starts svchost without -k, Sysmon sees the image replaced, svchost phones home. */
function hollowingChain(): SysmonEvent[] {
    return [
        processAccess(
            0,
            'dropper',
            DROPPER,
            'svchost',
            SVCHOST,
            0x1fffff,
            `${CREATE_PROCESS_TRACE}|C:\\Users\\u\\Downloads\\invoice.exe+1a2b`,
        ),
        processCreate(3, 'svchost', SVCHOST, 'dropper', DROPPER, 'C:\\Windows\\system32\\svchost.exe'),
        tampering(40, 'svchost', SVCHOST, 'Image is replaced'),
        networkConnect(900, 'svchost', SVCHOST, '203.0.113.10', 443),
    ];
}

function correlator(
    store: HostStateStore = new InMemoryHostStateStore(),
    incidents = new InMemoryIncidentStore(),
): Correlator {
    return new Correlator({
        config: DEFAULT_CORRELATION_CONFIG,
        store,
        publishers: [new IncidentStorePublisher(incidents)],
    });
}

async function runBatches(batches: SysmonEvent[][], c = correlator()): Promise<Incident[]> {
    const latest = new Map<string, Incident>();
    for (const batch of batches) {
        for (const incident of (await c.process(batch, NOW)).incidents) latest.set(incident.id, incident);
    }
    return [...latest.values()];
}

/** The parts of an incident that must not depend on delivery order or batching. */
function essence(incident: Incident) {
    return {
        id: incident.id,
        technique: incident.technique,
        score: incident.score,
        injector: incident.injector,
        target: incident.target,
        contributions: [...incident.contributions].sort((a, b) => a.signal.localeCompare(b.signal)),
    };
}

function expectGolden(name: string, value: unknown): void {
    const file = resolve(__dirname, '../../fixtures/chains', `${name}.golden.json`);
    const text = `${JSON.stringify(value, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
    expect(existsSync(file), `golden ${file} is missing; run with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

describe('hollowing with EID 25 "Image is replaced"', () => {
    it('gives one T1055.012 incident naming the dropper and svchost, with every signal explained (golden)', async () => {
        const incidents = await runBatches([hollowingChain()]);
        expect(incidents).toHaveLength(1);
        const incident = incidents[0]!;
        expect(incident.technique).toBe('T1055.012');
        expect(incident.injector).toMatchObject({ image: DROPPER, processGuid: guid('dropper') });
        expect(incident.target).toMatchObject({ image: SVCHOST, processGuid: guid('svchost') });
        expect(incident.contributions).toEqual(
            expect.arrayContaining([
                { signal: 'image-replaced', points: 60 },
                { signal: 'hollowing-host-without-arguments', points: 15 },
                { signal: 'hollowing-host-unexpected-parent', points: 15 },
                { signal: 'hollowing-host-network', points: 35 },
            ]),
        );
        // 125 points, capped; the connection counts once, as the bare host's egress rather than also as a follow-up.
        expect(incident.contributions.map((c) => c.signal)).not.toContain('follow-up-network');
        expect(incident.score).toBe(100);
        expect(incident.severity).toBe('High');
        expectGolden('hollowing-image-replaced', incident);
    });

    it('a benign updater in Program Files replacing its image is not a signal (Sigma filter)', async () => {
        const image = 'C:\\Program Files\\Vendor\\updater.exe';
        const incidents = await runBatches([
            [
                processCreate(0, 'updater', image, 'services', 'C:\\Windows\\System32\\services.exe'),
                tampering(10, 'updater', image, 'Image is replaced'),
            ],
        ]);
        expect(incidents).toEqual([]);
    });
});

/**
 * Classic hollowing (RunPE) writes and resumes through the handle CreateProcess returned: Sysmon logs only the child's
 * EID 1 and the module-backed creation EID 10. What gives it away is the host's own behaviour.
 */
describe('classic hollowing seen only through its host calling out', () => {
    function bareHostCallingOut(host = RUNDLL32, port = 443, networkAt = 2_000): SysmonEvent[] {
        const label = host === NOTEPAD ? 'notepad' : 'rundll32';
        return [
            processAccess(0, 'dropper', DROPPER, label, host, 0x1fffff, `${CREATE_PROCESS_TRACE}|${DROPPER}+1a2b`),
            processCreate(3, label, host, 'dropper', DROPPER),
            networkConnect(networkAt, label, host, '198.51.100.7', port),
        ];
    }

    it('a dropper starting rundll32 bare, which then connects out, is one T1055.012 incident at the threshold (golden)', async () => {
        const incidents = await runBatches([bareHostCallingOut()]);
        expect(incidents).toHaveLength(1);
        const incident = incidents[0]!;
        expect(incident.technique).toBe('T1055.012');
        expect(incident.injector).toMatchObject({ image: DROPPER, processGuid: guid('dropper') });
        expect(incident.target).toMatchObject({ image: RUNDLL32, processGuid: guid('rundll32') });
        expect(incident.contributions).toEqual([
            { signal: 'hollowing-host-without-arguments', points: 15 },
            { signal: 'hollowing-host-network', points: 35 },
        ]);
        expect([incident.score, incident.severity]).toEqual([DEFAULT_CORRELATION_CONFIG.incidentThreshold, 'Medium']);
        expectGolden('hollowing-bare-host-egress', incident);
    });

    it('the connection before the process creation, in separate batches, or delivered twice gives the same incident', async () => {
        const inOrder = await runBatches([bareHostCallingOut()]);
        const [access, create, network] = bareHostCallingOut();
        const networkFirst = await runBatches([[network!], [create!], [access!]]);
        expect(networkFirst.map(essence)).toEqual(inOrder.map(essence));
        const c = correlator();
        const events = bareHostCallingOut();
        expect((await c.process(events, NOW)).incidents).toHaveLength(1);
        expect((await c.process(redelivered(events), NOW)).incidents).toEqual([]);
    });

    it('without the creation EID 10 (configs often log EID 10 for a few targets only), either order opens it', async () => {
        const [, create, network] = bareHostCallingOut();
        for (const batches of [[[create!, network!]], [[network!], [create!]]]) {
            const incidents = await runBatches(batches);
            expect(incidents.map((i) => [i.technique, i.score, i.injector.image])).toEqual([
                ['T1055.012', 50, DROPPER],
            ]);
        }
    });

    it('svchost given a service group it was not started for (by a dropper, not services.exe) counts as unusual too', async () => {
        const events = [
            processCreate(
                3,
                'svchost',
                SVCHOST,
                'dropper',
                DROPPER,
                'C:\\Windows\\system32\\svchost.exe -k netsvcs -p',
            ),
            networkConnect(2_000, 'svchost', SVCHOST, '198.51.100.7', 443),
        ];
        const incidents = await runBatches([events]);
        expect(
            incidents.map((i) => [i.technique, i.score, i.injector.image, i.contributions.map((c) => c.signal)]),
        ).toEqual([['T1055.012', 50, DROPPER, ['hollowing-host-unexpected-parent', 'hollowing-host-network']]]);
        expect(incidents[0]!.signals[0]!.detail).toBe('svchost.exe started by invoice.exe');
    });

    it('what the host does after calling out adds to the incident', async () => {
        const events = [
            ...bareHostCallingOut(),
            processCreate(5_000, 'shell', 'C:\\Windows\\System32\\cmd.exe', 'rundll32', RUNDLL32, 'cmd.exe /c whoami'),
        ];
        const incidents = await runBatches([events]);
        expect(incidents.map((i) => [i.score, i.contributions.map((c) => c.signal)])).toEqual([
            [60, ['hollowing-host-without-arguments', 'hollowing-host-network', 'follow-up-child-process']],
        ]);
    });

    it.each([
        ['notepad printing (port 9100, excluded by Sigma)', bareHostCallingOut(NOTEPAD, 9100)],
        [
            'a connection after the follow-up window',
            bareHostCallingOut(RUNDLL32, 443, DEFAULT_CORRELATION_CONFIG.followUpWindowMs + 10),
        ],
        [
            'rundll32 with its arguments',
            [
                processCreate(3, 'rundll32', RUNDLL32, 'dropper', DROPPER, `${RUNDLL32} shell32.dll,Control_RunDLL`),
                networkConnect(2_000, 'rundll32', RUNDLL32, '198.51.100.7', 443),
            ],
        ],
        [
            'the Store Notepad (Program Files\\WindowsApps), another program than the Windows host',
            [
                processCreate(
                    3,
                    'notepad',
                    'C:\\Program Files\\WindowsApps\\Microsoft.WindowsNotepad_11.2405.13.0_x64__8wekyb3d8bbwe\\Notepad\\Notepad.exe',
                    'explorer',
                    'C:\\Windows\\explorer.exe',
                ),
                networkConnect(
                    2_000,
                    'notepad',
                    'C:\\Program Files\\WindowsApps\\Microsoft.WindowsNotepad_11.2405.13.0_x64__8wekyb3d8bbwe\\Notepad\\Notepad.exe',
                    '13.107.4.50',
                    443,
                ),
            ],
        ],
        ['the host started bare but never connecting', bareHostCallingOut().slice(0, 2)],
        [
            'svchost with its service group, started by services.exe',
            [
                processCreate(
                    3,
                    'svchost',
                    SVCHOST,
                    'services',
                    'C:\\Windows\\System32\\services.exe',
                    'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s wuauserv',
                ),
                networkConnect(2_000, 'svchost', SVCHOST, '13.107.4.50', 443),
            ],
        ],
        [
            'a COM surrogate started by the DCOM launcher (svchost)',
            [
                processCreate(
                    3,
                    'dllhost',
                    'C:\\Windows\\System32\\dllhost.exe',
                    'dcom',
                    SVCHOST,
                    'C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}',
                ),
                networkConnect(2_000, 'dllhost', 'C:\\Windows\\System32\\dllhost.exe', '13.107.4.50', 443),
            ],
        ],
    ])('no incident for %s', async (_label, events) => {
        expect(await runBatches([events])).toEqual([]);
    });

    it('an allow-listed creator is not suspected', async () => {
        const config = { ...DEFAULT_CORRELATION_CONFIG, allowedSourceImages: ['invoice.exe'] };
        const c = new Correlator({
            config,
            store: new InMemoryHostStateStore(),
            publishers: [new IncidentStorePublisher(new InMemoryIncidentStore())],
        });
        expect((await c.process(bareHostCallingOut(), NOW)).incidents).toEqual([]);
    });
});

describe('stream semantics', () => {
    it('events in reverse order, one per batch, give the same incident', async () => {
        const inOrder = await runBatches([hollowingChain()]);
        const reversed = await runBatches(
            hollowingChain()
                .reverse()
                .map((e) => [e]),
        );
        expect(reversed.map(essence)).toEqual(inOrder.map(essence));
    });

    it('every permutation of a herpaderping chain (EID 11, 10, 1) gives the same incident', async () => {
        const tool = 'C:\\Users\\u\\Desktop\\ProcessHerpaderping.exe';
        const payload = 'C:\\Users\\u\\Desktop\\payload.exe';
        const events = [
            fileCreate(0, 'herp', tool, payload),
            processAccess(
                60,
                'herp',
                tool,
                'payload',
                payload,
                0x1fffff,
                `C:\\Windows\\SYSTEM32\\ntdll.dll+9ca64|${tool}+d5b9c|${tool}+ed6cc|C:\\Windows\\System32\\KERNEL32.DLL+17c24`,
            ),
            processCreate(62, 'payload', payload, 'herp', tool, 'payload.exe'),
        ];
        const permutations = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        const results = await Promise.all(permutations.map((order) => runBatches(order.map((i) => [events[i]!]))));
        for (const result of results) {
            expect(result).toHaveLength(1);
            expect(result[0]!.technique).toBe('T1055');
            expect(result.map(essence)).toEqual(results[0]!.map(essence));
        }
        expect(results[0]![0]!.contributions.map((c) => c.signal).sort()).toEqual([
            'image-written-before-start',
            'native-process-creation',
        ]);
    });

    it('a batch delivered twice (Event Hubs is at-least-once) changes nothing the second time', async () => {
        const c = correlator();
        const events = hollowingChain();
        const first = await c.process(events, NOW);
        const second = await c.process(redelivered(events), NOW);
        expect(first.incidents).toHaveLength(1);
        expect(second.incidents).toEqual([]);
    });

    it('late evidence updates the same incident with a new version, never a second incident', async () => {
        const store = new InMemoryIncidentStore();
        const c = correlator(new InMemoryHostStateStore(), store);
        const [access, create, replaced, network] = hollowingChain();
        const early = await c.process([access!, create!, replaced!], NOW);
        expect(early.incidents.map((i) => [i.version, i.score])).toEqual([[1, 90]]);
        const late = await c.process(
            [network!, imageLoad(950, 'svchost', SVCHOST, 'C:\\Users\\u\\AppData\\x.dll', false)],
            NOW,
        );
        expect(late.incidents.map((i) => [i.id, i.version, i.score])).toEqual([[early.incidents[0]!.id, 2, 100]]);
        const stored = await store.query({});
        expect(stored.incidents).toHaveLength(1);
        expect(stored.incidents[0]!.version).toBe(2);
    });

    it('two correlators racing on one host: the ETag conflict is detected, re-read and re-applied', async () => {
        const store = new InMemoryHostStateStore();
        const incidents = new InMemoryIncidentStore();
        const a = correlator(store, incidents);
        const b = correlator(store, incidents);
        const [access, create, replaced, network] = hollowingChain();
        // Both warm their cache of the host; then each writes what the other has not seen.
        await a.process([access!], NOW);
        await b.process([create!], NOW); // b loads a's write: no conflict yet
        const fromA = await a.process([replaced!], NOW); // a's cache is stale (b wrote svchost's record)
        const fromB = await b.process([network!], NOW); // b's cache is stale (a wrote the chain)
        expect(fromA.conflicts + fromB.conflicts).toBeGreaterThanOrEqual(2);
        const all = (await incidents.query({})).incidents;
        expect(all).toHaveLength(1);
        expect(all[0]!.contributions.map((c) => c.signal).sort()).toEqual([
            'hollowing-host-network',
            'hollowing-host-unexpected-parent',
            'hollowing-host-without-arguments',
            'image-replaced',
        ]);
    });
});

describe('evidence is not awaited forever', () => {
    it('expiry removes chains that never became incidents and old process records, and keeps incident chains', async () => {
        const store = new InMemoryHostStateStore();
        const c = correlator(store);
        const unrelated = processAccess(
            0,
            'tool',
            'C:\\Tools\\helper.exe',
            'victim',
            'C:\\Windows\\System32\\notepad.exe',
            0x1fffff,
            'C:\\Windows\\SYSTEM32\\ntdll.dll+9c524|C:\\Tools\\helper.exe+100',
        );
        await c.process([...hollowingChain(), unrelated], NOW);
        const before = (await store.load('ws01.contoso.local')).state;
        expect(before.chains.size).toBe(2);

        const afterPending = new Date(NOW.getTime() + DEFAULT_CORRELATION_CONFIG.pendingRetentionMs + 1);
        const { removed } = await c.expire(afterPending);
        const after = (await store.load('ws01.contoso.local')).state;
        expect(removed).toBeGreaterThan(0);
        expect([...after.chains.keys()]).toEqual([guid('svchost')]);
        expect(after.processes.has(guid('svchost'))).toBe(true); // kept while its chain is kept
        expect(after.processes.has(guid('dropper'))).toBe(false);

        await c.expire(new Date(NOW.getTime() + DEFAULT_CORRELATION_CONFIG.incidentChainRetentionMs + 1));
        expect((await store.load('ws01.contoso.local')).state.chains.size).toBe(0);
    });
});

describe('signals that must not fire alone', () => {
    it('the 0x1fffff every creator gets through CreateProcess is not a signal', async () => {
        const parent = 'C:\\Program Files\\App\\app.exe';
        const child = 'C:\\Program Files\\App\\worker.exe';
        const incidents = await runBatches([
            [
                processAccess(0, 'app', parent, 'worker', child, 0x1fffff, `${CREATE_PROCESS_TRACE}|${parent}+4711`),
                processCreate(2, 'worker', child, 'app', parent, 'worker.exe --type=renderer'),
            ],
        ]);
        expect(incidents).toEqual([]);
    });

    it('csrss CtrlRoutine remote threads are system behaviour', async () => {
        const incidents = await runBatches([
            [
                remoteThread(
                    0,
                    'csrss',
                    'C:\\Windows\\System32\\csrss.exe',
                    'ps',
                    'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
                    'C:\\Windows\\System32\\KERNELBASE.dll',
                    'CtrlRoutine',
                ),
            ],
        ]);
        expect(incidents).toEqual([]);
    });

    it('a .NET creator whose trace ends in JIT code (UNKNOWN above clr.dll) is not flagged', async () => {
        const agent = 'C:\\Program Files\\Agent\\agent.exe';
        const trace = `${CREATE_PROCESS_TRACE}|C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll+1000|C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System\\abc\\System.ni.dll+2000|UNKNOWN(00007FF977FDDF0C)`;
        const incidents = await runBatches([
            [
                processAccess(0, 'agent', agent, 'cmd', 'C:\\Windows\\System32\\cmd.exe', 0x1fffff, trace),
                processCreate(1, 'cmd', 'C:\\Windows\\System32\\cmd.exe', 'agent', agent, 'cmd.exe /c ipconfig'),
            ],
        ]);
        expect(incidents).toEqual([]);
    });

    it('a handle into lsass is what dumping tools open too: access signals alone do not make an injection incident', async () => {
        const dumper = 'C:\\Users\\u\\Desktop\\dump.exe';
        const lsass = 'C:\\Windows\\System32\\lsass.exe';
        expect(
            await runBatches([
                [processAccess(0, 'dumper', dumper, 'lsass', lsass, 0x1fffff, 'UNKNOWN(000001F3C35A0014)')],
            ]),
        ).toEqual([]);
        // A remote thread into lsass is injection (meterpreter hashdump, EVTX-ATTACK-SAMPLES).
        const injected = await runBatches([
            [
                processAccess(0, 'dumper', dumper, 'lsass', lsass, 0x1fffff, 'UNKNOWN(000001F3C35A0014)'),
                remoteThread(5, 'dumper', dumper, 'lsass', lsass),
            ],
        ]);
        expect(injected.map((i) => i.technique)).toEqual(['T1055.002']);
    });

    it('the Cobalt Strike BOF injection stack with 0x1028 is a signal of its own (Sigma, high)', async () => {
        const beacon = 'C:\\Windows\\System32\\rundll32.exe';
        const trace =
            'C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(00000267A1B20C3F)';
        const incidents = await runBatches([
            [processAccess(0, 'beacon', beacon, 'victim', 'C:\\Windows\\System32\\dllhost.exe', 0x1028, trace)],
        ]);
        expect(incidents).toHaveLength(1);
        expect(incidents[0]!.contributions.map((c) => c.signal)).toContain('access-bof-injection-pattern');
    });
});
