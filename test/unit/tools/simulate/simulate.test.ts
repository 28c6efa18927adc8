/**
 * The simulator: reproducible from its seed, realistic enough for the pipeline (every line ingests, time order,
 * creation accesses before EID 1, the background confusables present). That the whole pipeline finds each injected
 * attack on its streams is test/integration/tools/simulatedPipeline.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ingestBatch } from '../../../../shared/ingest/ingestBatch';
import { ATTACK_KINDS } from '../../../../tools/simulate/types';
import { simulateFleet, validateSimulateOptions } from '../../../../tools/simulate/simulate';
import type { FlatSysmonEvent, SimulateOptions } from '../../../../tools/simulate/types';

const START = new Date('2024-05-01T10:00:00Z');

function options(overrides: Partial<SimulateOptions> = {}): SimulateOptions {
    return { hosts: 4, eventsPerSecond: 20, durationSeconds: 300, attacks: 5, seed: 1, start: START, ...overrides };
}

function collect(overrides: Partial<SimulateOptions> = {}): FlatSysmonEvent[] {
    return [...simulateFleet(options(overrides)).events];
}

let defaultFleet: readonly FlatSysmonEvent[] | undefined;
/** The stream of the default options, made once: the tests that use it only read it. */
function defaultEvents(): readonly FlatSysmonEvent[] {
    return (defaultFleet ??= collect());
}

function utcMs(event: FlatSysmonEvent): number {
    return Date.parse(`${event.UtcTime.replace(' ', 'T')}Z`);
}

function baseName(path: string | undefined): string {
    return (path ?? '').split(/[\\/]/).pop()!.toLowerCase();
}

describe('simulateFleet', () => {
    it('the same seed gives the identical stream, every time it is iterated; another seed a different one', () => {
        const first = simulateFleet(options({ durationSeconds: 120 }));
        const a = JSON.stringify([...first.events]);
        expect(JSON.stringify([...first.events])).toBe(a);
        expect(JSON.stringify(collect({ durationSeconds: 120 }))).toBe(a);
        expect(simulateFleet(options({ durationSeconds: 120 })).attacks).toEqual(first.attacks);
        const other = simulateFleet(options({ durationSeconds: 120, seed: 2 }));
        expect(JSON.stringify([...other.events])).not.toBe(a);
        expect(other.attacks).not.toEqual(first.attacks);
    });

    it('makes about hosts x rate x duration events, in time order, record ids counting up per host', () => {
        const events = collect({ hosts: 6, eventsPerSecond: 25, durationSeconds: 400, attacks: 0 });
        const expected = 6 * 25 * 400;
        expect(events.length).toBeGreaterThan(expected * 0.9);
        expect(events.length).toBeLessThan(expected * 1.1);
        const lastRecord = new Map<string, number>();
        let lastMs = -Infinity;
        let outOfOrder = 0;
        let recordIdsBackwards = 0;
        for (const event of events) {
            const ms = utcMs(event);
            if (ms < lastMs) outOfOrder++;
            lastMs = ms;
            if (event.EventRecordID <= (lastRecord.get(event.Computer) ?? 0)) recordIdsBackwards++;
            lastRecord.set(event.Computer, event.EventRecordID);
        }
        expect(outOfOrder).toBe(0);
        expect(recordIdsBackwards).toBe(0);
        expect(utcMs(events[0]!)).toBeGreaterThanOrEqual(START.getTime());
        expect(lastMs).toBeLessThan(START.getTime() + 400_000);
        expect([...lastRecord.keys()].sort()).toEqual(simulateFleet(options({ hosts: 6 })).hosts.sort());
        for (const host of lastRecord.keys()) expect(host).toMatch(/^(WS|SRV)-\d{4}\.contoso\.local$/);
    });

    it('every line is accepted by ingestBatch; only EID 13 is ignored, as not correlated', () => {
        const events = defaultEvents();
        const result = ingestBatch(
            events.map((event) => ({ body: JSON.stringify(event) })),
            new Date(),
        );
        expect(result.report.rejected).toBe(0);
        expect(result.deadLetters).toEqual([]);
        expect(result.report.ignoredByReason).toEqual({
            'event-id-not-correlated': events.filter((e) => e.EventID === 13).length,
        });
        expect(result.report.accepted + result.report.ignored).toBe(events.length);
        // The flat shape of the dataset files: System fields, then EventData fields as strings.
        for (const event of events.slice(0, 500)) {
            expect(Object.keys(event).slice(0, 7)).toEqual([
                'EventID',
                'Channel',
                'Computer',
                'TimeCreated',
                'EventRecordID',
                'RuleName',
                event.EventID === 13 ? 'EventType' : 'UtcTime',
            ]);
            expect(event.Channel).toBe('Microsoft-Windows-Sysmon/Operational');
            const notText = Object.entries(event).filter(
                ([key, value]) => key !== 'EventID' && key !== 'EventRecordID' && typeof value !== 'string',
            );
            expect(notText).toEqual([]);
            for (const guid of [
                'ProcessGuid',
                'ParentProcessGuid',
                'SourceProcessGUID',
                'TargetProcessGUID',
                'SourceProcessGuid',
                'TargetProcessGuid',
            ]) {
                if (event[guid] !== undefined)
                    expect(event[guid]).toMatch(/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/);
            }
        }
    });

    it("the creator's EID 10 comes a few ms before each EID 1 (conhost.exe aside: the console driver starts it)", () => {
        const events = defaultEvents();
        const creations = new Map<string, number>();
        let checked = 0;
        for (const event of events) {
            if (event.EventID === 10 && event.GrantedAccess === '0x1fffff')
                creations.set(`${event.SourceProcessGUID}>${event.TargetProcessGUID}`, utcMs(event));
            if (event.EventID !== 1 || baseName(String(event.Image)) === 'conhost.exe') continue;
            const accessMs = creations.get(`${event.ParentProcessGuid}>${event.ProcessGuid}`);
            expect(accessMs, `creator access of ${event.Image} ${event.ProcessGuid}`).toBeDefined();
            expect(utcMs(event) - accessMs!).toBeGreaterThanOrEqual(0);
            expect(utcMs(event) - accessMs!).toBeLessThan(50);
            checked++;
        }
        expect(checked).toBeGreaterThan(100);
    });

    it('the background holds what makes naive rules noisy', () => {
        const events = collect({ attacks: 0, durationSeconds: 600 });
        const access = (source: string, mask: string, trace?: RegExp): boolean =>
            events.some(
                (e) =>
                    e.EventID === 10 &&
                    baseName(String(e.SourceImage)) === source &&
                    e.GrantedAccess === mask &&
                    (!trace || trace.test(String(e.CallTrace))),
            );
        expect(access('csrss.exe', '0x1fffff', /CSRSRV\.dll/)).toBe(true);
        expect(access('lsass.exe', '0x1478', /lsasrv\.dll/)).toBe(true);
        expect(access('conhost.exe', '0x1fffff')).toBe(true);
        expect(
            access(
                'explorer.exe',
                '0x1fffff',
                /KERNELBASE\.dll\+[0-9a-f]+\|.*KERNELBASE\.dll\+[0-9a-f]+\|.*KERNEL32\.DLL\+[0-9a-f]+\|.*Explorer\.EXE/,
            ),
        ).toBe(true);
        expect(access('svchost.exe', '0x1000')).toBe(true);
        expect(access('svchost.exe', '0x1400')).toBe(true);
        expect(access('msmpeng.exe', '0x1410')).toBe(true);
        // A .NET agent in Program Files creates children from JIT code, through the CLR.
        expect(access('inventoryagent.exe', '0x1fffff', /clr\.dll\+[0-9a-f]+\|UNKNOWN\(00007FF[0-9A-F]{9}\)$/)).toBe(
            true,
        );
        // PowerShell creates children from JIT code too, through its NGen images.
        expect(
            access('powershell.exe', '0x1fffff', /System\.Management\.Automation\.ni\.dll\+[0-9a-f]+\|UNKNOWN\(/),
        ).toBe(true);
        expect(
            events.some(
                (e) =>
                    e.EventID === 8 &&
                    baseName(String(e.SourceImage)) === 'csrss.exe' &&
                    e.StartFunction === 'CtrlRoutine' &&
                    /KERNELBASE\.dll$/.test(String(e.StartModule)),
            ),
        ).toBe(true);
        expect(events.some((e) => e.EventID === 1 && e.CommandLine === '"C:\\Windows\\system32\\notepad.exe" ')).toBe(
            true,
        );
        expect(
            events.some(
                (e) =>
                    e.EventID === 1 &&
                    baseName(String(e.Image)) === 'svchost.exe' &&
                    / -k /.test(String(e.CommandLine)),
            ),
        ).toBe(true);
        expect(events.some((e) => e.EventID === 7 && e.Signed === 'true')).toBe(true);
        for (const id of [3, 5, 11, 13])
            expect(
                events.some((e) => e.EventID === id),
                `EID ${id}`,
            ).toBe(true);
        expect(events.some((e) => e.EventID === 8 && e.StartFunction !== 'CtrlRoutine')).toBe(false);
    });

    it('spreads attacks round-robin over the kinds, over the fleet and inside the duration', () => {
        const stream = simulateFleet(options({ hosts: 6, attacks: 12, durationSeconds: 900 }));
        expect(stream.attacks).toHaveLength(12);
        for (const kind of ATTACK_KINDS)
            expect(stream.attacks.filter((a) => a.kind === kind).length).toBeGreaterThanOrEqual(2);
        expect(new Set(stream.attacks.map((a) => a.host)).size).toBeGreaterThan(2);
        for (const attack of stream.attacks) {
            expect(stream.hosts).toContain(attack.host);
            const at = Date.parse(attack.at);
            expect(at).toBeGreaterThan(stream.startMs);
            expect(at).toBeLessThan(stream.endMs);
            expect(attack.modeledOn).not.toBe('');
        }
        const only = simulateFleet(options({ attacks: 3, attackKinds: ['herpaderping'] })).attacks;
        expect(only.map((a) => a.kind)).toEqual(['herpaderping', 'herpaderping', 'herpaderping']);
    });

    it('rejects unusable options with a reason', () => {
        expect(validateSimulateOptions(options())).toBeUndefined();
        expect(validateSimulateOptions(options({ hosts: 0 }))).toMatch(/hosts/);
        expect(validateSimulateOptions(options({ eventsPerSecond: 0 }))).toMatch(/eventsPerSecond/);
        expect(validateSimulateOptions(options({ durationSeconds: 10 }))).toMatch(/at least 30 s/);
        expect(validateSimulateOptions(options({ durationSeconds: 10, attacks: 0 }))).toBeUndefined();
        expect(validateSimulateOptions(options({ attackKinds: ['nope' as never] }))).toMatch(
            /unknown attack kinds: nope/,
        );
        expect(() => simulateFleet(options({ start: new Date('x') }))).toThrow(RangeError);
    });
});
