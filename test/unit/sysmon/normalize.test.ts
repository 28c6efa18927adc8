/** Normalization details the envelope goldens do not pin down: time arithmetic, blanks, case-insensitive names. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotTable, scanEventXml } from '../../../shared/ingest/eventXml';
import { SYSMON_DATA_NAMES } from '../../../shared/sysmon/fieldNames';
import { FieldBag, MapFields, SlotFields, normalizeSysmonRecord, parseUtcTime } from '../../../shared/sysmon/normalize';
import type { FieldSource } from '../../../shared/sysmon/normalize';

const ORIGIN = { messageIndex: 0, recordIndex: 0 };
const GUID = '{3710B5C6-1243-6182-8303-000000000A00}';

function normalize(eventId: number, bag: FieldSource) {
    return normalizeSysmonRecord({ eventId, host: 'ws1', decodeXmlEscapes: false }, bag, ORIGIN);
}

describe('parseUtcTime', () => {
    it('gives the instant and ISO text of every valid time from 1601 to 9999', () => {
        fc.assert(
            fc.property(
                fc.date({
                    min: new Date('1601-01-01T00:00:00.000Z'),
                    max: new Date('9999-12-31T23:59:59.999Z'),
                    noInvalidDate: true,
                }),
                (date) => {
                    const iso = date.toISOString();
                    const sysmon = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
                    expect(parseUtcTime(sysmon)).toEqual({ ms: date.getTime(), iso });
                },
            ),
            { numRuns: 2000 },
        );
    });

    it('rejects impossible dates and keeps leap days', () => {
        expect(parseUtcTime('2023-02-29 00:00:00.000')).toBeUndefined();
        expect(parseUtcTime('1900-02-29 00:00:00.000')).toBeUndefined();
        expect(parseUtcTime('2000-02-29 23:59:59.999')?.iso).toBe('2000-02-29T23:59:59.999Z');
        expect(parseUtcTime('2024-12-31T23:59:59Z')?.ms).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
    });
});

describe('absent values and blanks', () => {
    it('reads "-", "N/A" and blanks of any kind (NBSP included) as absent, and trims values like String.prototype.trim', () => {
        for (const absent of ['-', ' - ', 'N/A', ' N/A ', '', '\u00a0-\u00a0', '\ufeffN/A']) {
            const outcome = normalize(
                5,
                new FieldBag({
                    UtcTime: '2024-05-01 10:15:01.987',
                    ProcessGuid: GUID,
                    Image: absent,
                    ProcessId: absent,
                }),
            );
            expect(
                outcome.kind === 'accepted' && [
                    outcome.event.eventId === 5 && outcome.event.image,
                    outcome.event.eventId === 5 && outcome.event.processId,
                ],
            ).toEqual([undefined, undefined]);
        }
        const padded = normalize(
            5,
            new FieldBag({
                UtcTime: '\u00a02024-05-01 10:15:01.987\u2028',
                ProcessGuid: GUID,
                ProcessId: '\u00a0 42 ',
            }),
        );
        expect(
            padded.kind === 'accepted' && padded.event.eventId === 5 && [padded.event.time, padded.event.processId],
        ).toEqual(['2024-05-01T10:15:01.987Z', 42]);
    });
});

describe('field names', () => {
    const eid10 = (guidName: (kind: 'Source' | 'Target') => string): Record<string, string> => ({
        UtcTime: '2024-05-01 10:15:01.987',
        [guidName('Source')]: GUID,
        [guidName('Target')]: '{11111111-2222-3333-4444-555555555555}',
        GrantedAccess: '0x1410',
    });

    it('are matched ignoring ASCII case, in JSON objects and in scanned XML alike', () => {
        for (const spell of [
            (k: string) => `${k}ProcessGUID`,
            (k: string) => `${k}ProcessGuid`,
            (k: string) => `${k.toLowerCase()}processguid`,
        ]) {
            const fields = eid10(spell);
            const xml = `<EventData>${Object.entries(fields)
                .map(([n, v]) => `<Data Name="${n}">${v}</Data>`)
                .join('')}</EventData>`;
            const scanned = scanEventXml(xml, { maxDepth: 32 });
            for (const bag of [
                new FieldBag(fields),
                new MapFields(
                    scanned.ok ? (scanned.events[0]?.data ?? new Map<string, string>()) : new Map<string, string>(),
                ),
            ]) {
                const outcome = normalize(10, bag);
                expect(
                    outcome.kind === 'accepted' && outcome.event.eventId === 10 && outcome.event.targetProcessGuid,
                ).toBe('11111111-2222-3333-4444-555555555555');
            }
        }
    });

    it('are found by slot as by name: SlotFields answers every lookup normalization makes as MapFields does', () => {
        const table = new SlotTable(SYSMON_DATA_NAMES);
        const otherSpellings = SYSMON_DATA_NAMES.flatMap((name) => [name.toLowerCase(), name.toUpperCase()]);
        fc.assert(
            fc.property(
                fc.array(
                    fc.tuple(
                        fc.constantFrom(...SYSMON_DATA_NAMES),
                        fc.oneof(fc.constant(''), fc.constant('-'), fc.string({ maxLength: 8 })),
                    ),
                    { maxLength: 20 },
                ),
                (entries) => {
                    const map = new Map<string, string>();
                    const slots = table.emptySlots();
                    for (const [name, value] of entries) {
                        map.set(name, value);
                        slots[SYSMON_DATA_NAMES.indexOf(name)] = value;
                    }
                    const bySlot = new SlotFields(slots);
                    const byName = new MapFields(map);
                    // Some 250 lookups a run: each is checked in plain code and the wrong answers asserted once
                    // (an expect per lookup was most of this test's time).
                    const wrong: string[] = [];
                    const show = (value: unknown): string => JSON.stringify(value) ?? 'undefined';
                    // The canonical names (all normalization asks for): the same answer, case-variant fallback included.
                    for (const name of SYSMON_DATA_NAMES) {
                        const slot = bySlot.get(name);
                        const named = byName.get(name);
                        if (slot !== named) wrong.push(`${name}: by slot ${show(slot)}, by name ${show(named)}`);
                    }
                    // Another spelling may match two names a document spells two ways (TargetProcessGuid and
                    // …GUID); either value is a right answer, and none only when no name matches.
                    for (const name of [...otherSpellings, 'NotASysmonField', 'image ']) {
                        const matches = [...map]
                            .filter(([key]) => key.toLowerCase() === name.toLowerCase())
                            .map(([, value]) => value);
                        const answer = bySlot.get(name);
                        if (matches.length === 0 ? answer !== undefined : !(matches as unknown[]).includes(answer))
                            wrong.push(`${name}: by slot ${show(answer)}, matching values ${JSON.stringify(matches)}`);
                        if ((byName.get(name) === undefined) !== (matches.length === 0))
                            wrong.push(`${name}: by name ${show(byName.get(name))}, ${matches.length} matching names`);
                    }
                    expect(wrong).toEqual([]);
                },
            ),
            { numRuns: 1000 },
        );
    });

    it('EID 8 and EID 10 GUID spellings cross over by slot as by name', () => {
        const table = new SlotTable(SYSMON_DATA_NAMES);
        for (const spell of [(k: string) => `${k}ProcessGUID`, (k: string) => `${k}ProcessGuid`]) {
            const fields = eid10(spell);
            const xml = `<Event><System><EventID>10</EventID></System><EventData>${Object.entries(fields)
                .map(([n, v]) => `<Data Name="${n}">${v}</Data>`)
                .join('')}</EventData></Event>`;
            const scanned = scanEventXml(xml, { maxDepth: 32, dataSlots: table });
            const slots = scanned.ok ? scanned.events[0]?.slots : undefined;
            expect(slots).toBeDefined(); // the usual layout, every name known: filed by slot
            const outcome = normalize(10, new SlotFields(slots ?? []));
            expect(outcome.kind === 'accepted' && outcome.event.eventId === 10 && outcome.event.sourceProcessGuid).toBe(
                GUID.slice(1, -1).toLowerCase(),
            );
        }
    });

    it('never match through a non-ASCII letter (İmage is not Image)', () => {
        const outcome = normalize(
            5,
            new FieldBag({
                UtcTime: '2024-05-01 10:15:01.987',
                ProcessGuid: GUID,
                ['Image'.replace('I', '\u0130')]: 'x.exe',
            }),
        );
        expect(outcome.kind === 'accepted' && outcome.event.eventId === 5 && outcome.event.image).toBeUndefined();
    });
});
