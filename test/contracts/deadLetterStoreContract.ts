/**
 * @module Behaviour every `DeadLetterStore` must show, run against each implementation
 * (test/unit/ports/InMemoryDeadLetterStore.test.ts, test/integration/TableDeadLetterStore.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
    MAX_DEAD_LETTER_RAW_CHARS,
    MAX_PARKED_RAW_CHARS,
    deadLetterCursor,
    type DeadLetter,
} from '../../shared/ingest/deadLetter';
import { type DeadLetterStore } from '../../shared/ports/deadLetterStore';

const OLDER_DAY = '2026-11-24';
const NEWER_DAY = '2026-11-25';

/** A complete letter; optional fields are left out (not set to undefined) unless given, so strict equality holds. */
function letter(id: string, overrides: Partial<DeadLetter> = {}): DeadLetter {
    return {
        id,
        reason: 'malformed-xml',
        detail: 'Unexpected end of input at line 1',
        raw: '<Event><System><EventID>8</EventID>',
        rawTruncated: false,
        rawBytes: 35,
        messageIndex: 0,
        recordIndex: 0,
        rejectedAt: `${NEWER_DAY}T10:00:00.000Z`,
        ...overrides,
    };
}

/** Exactly `length` UTF-16 code units from repeating `pattern`, never splitting a surrogate pair. */
function fill(pattern: string, length: number): string {
    const codePoints = Array.from(pattern);
    let out = '';
    for (let i = 0; out.length < length; i++) {
        const next = codePoints[i % codePoints.length] ?? 'x';
        out += out.length + next.length <= length ? next : 'x';
    }
    return out;
}

function byId(letters: readonly DeadLetter[]): DeadLetter[] {
    return [...letters].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Day of a letter's `rejectedAt`, which is how stores partition and order letters. */
function dayOf(l: DeadLetter): string {
    return new Date(l.rejectedAt).toISOString().slice(0, 10);
}

/**
 * Declares the dead-letter contract for one implementation.
 * @param name Shown in the test report.
 * @param makeStore Returns a fresh, empty store for each case.
 */
export function deadLetterStoreContract(name: string, makeStore: () => Promise<DeadLetterStore>): void {
    describe(`DeadLetterStore contract: ${name}`, () => {
        it('lists nothing when empty', async () => {
            const store = await makeStore();
            await expect(store.list()).resolves.toStrictEqual([]);
        });

        it('accepts an empty batch', async () => {
            const store = await makeStore();
            await store.putMany([]);
            await expect(store.list()).resolves.toStrictEqual([]);
        });

        it('round-trips every field exactly', async () => {
            const store = await makeStore();
            const raw = fill(
                '<Data Name="CommandLine">"C:\\Temp\\a.exe" & \'x\' Ωé漢字😀\t\r\n</Data>',
                MAX_DEAD_LETTER_RAW_CHARS,
            );
            const full = letter('full', {
                reason: 'schema-mismatch <EventData> & "quotes" \'single\'',
                detail: 'Champ « ProcessGuid » manquant — 进程 😀 \u2028 end',
                raw,
                rawTruncated: true,
                rawBytes: 4_000_123,
                partitionId: '3',
                sequenceNumber: 9_007_199_254_740_991,
                offset: '12884901888',
                enqueuedTime: '2026-11-25T09:59:58.123Z',
                messageIndex: 41,
                recordIndex: 7,
                rejectedAt: '2026-11-25T10:00:00.456Z',
            });
            const minimal = letter('minimal', { reason: '', detail: '', raw: '', rawBytes: 0 });
            await store.putMany([full, minimal]);
            const listed = await store.list();
            expect(listed.find((l) => l.id === 'full')?.raw.length).toBe(MAX_DEAD_LETTER_RAW_CHARS);
            expect(byId(listed)).toStrictEqual(byId([full, minimal]));
        });

        it('round-trips a parked message: raw of MAX_PARKED_RAW_CHARS (over many properties in Table) and its stage', async () => {
            const store = await makeStore();
            // Surrogate pairs at every offset, so a split between the halves of one would show.
            const parked = letter('exhausted-p1-s9', {
                reason: 'retries-exhausted',
                raw: fill('<Data>😀漢a</Data>', MAX_PARKED_RAW_CHARS),
                rawBytes: 1_000_000,
                stage: 'correlate',
                partitionId: '1',
                sequenceNumber: 9,
            });
            const small = letter('exhausted-p1-s10', { reason: 'retries-exhausted', stage: 'ingest' });
            await store.putMany([parked, small]);
            const listed = await store.list();
            expect(listed.find((l) => l.id === parked.id)?.raw.length).toBe(MAX_PARKED_RAW_CHARS);
            expect(byId(listed)).toStrictEqual(byId([parked, small]));
        });

        it('is idempotent by id across calls: one letter, the second write wins', async () => {
            const store = await makeStore();
            await store.putMany([letter('dup', { detail: 'first' })]);
            await store.putMany([letter('dup', { detail: 'second', recordIndex: 2 })]);
            await expect(store.list()).resolves.toStrictEqual([letter('dup', { detail: 'second', recordIndex: 2 })]);
        });

        it('keys letters by day and id: the same id filed on two days is two letters', async () => {
            const store = await makeStore();
            const older = letter('same', { rejectedAt: `${OLDER_DAY}T08:00:00.000Z` });
            const newer = letter('same', { rejectedAt: `${NEWER_DAY}T08:00:00.000Z` });
            await store.putMany([older]);
            await store.putMany([newer]);
            await expect(store.list()).resolves.toStrictEqual([newer, older]);
        });

        it('is idempotent by id within one call: the last occurrence wins', async () => {
            const store = await makeStore();
            await store.putMany([letter('dup', { detail: 'first' }), letter('dup', { detail: 'second' })]);
            await expect(store.list()).resolves.toStrictEqual([letter('dup', { detail: 'second' })]);
        });

        it('stores 250 letters from one call (more than one 100-operation transaction)', async () => {
            const store = await makeStore();
            const letters = Array.from({ length: 250 }, (_, i) =>
                letter(`0:${String(1000 + i)}:${String(i % 3)}`, { messageIndex: i, recordIndex: i % 3 }),
            );
            await store.putMany(letters);
            // Replaying the same batch must not duplicate.
            await store.putMany(letters);
            const listed = await store.list();
            expect(listed).toHaveLength(250);
            expect(byId(listed)).toStrictEqual(byId(letters));
        });

        it('stores a batch larger than a 4 MiB transaction payload', async () => {
            const store = await makeStore();
            // ~90 KB of UTF-8 each, ~9 MB in total: must be split by size, not only by count.
            const raw = fill('漢字', MAX_DEAD_LETTER_RAW_CHARS);
            const letters = Array.from({ length: 100 }, (_, i) => letter(`big-${String(i).padStart(3, '0')}`, { raw }));
            await store.putMany(letters);
            const listed = await store.list();
            expect(listed).toHaveLength(100);
            expect(byId(listed)).toStrictEqual(letters);
        });

        it('round-trips ids with characters forbidden in Table keys', async () => {
            const store = await makeStore();
            const ids = [
                'a/b',
                'a\\b',
                'a#b',
                'a?b',
                'a%b',
                '%2F',
                '%%',
                'tab\there',
                'nl\nhere',
                'c1\u0085',
                'del\u007f',
                '/\\#?%',
                'plain',
                'ünï😀',
            ];
            const letters = ids.map((id) => letter(id));
            await store.putMany(letters);
            const listed = await store.list();
            // '%2F' and 'a/b'-style ids must stay distinct after escaping.
            expect(listed).toHaveLength(ids.length);
            expect(byId(listed)).toStrictEqual(byId(letters));
        });

        it('lists letters of two days, newest day first', async () => {
            const store = await makeStore();
            const older = letter('older', { rejectedAt: `${OLDER_DAY}T23:59:59.999Z` });
            const newer = letter('newer', { rejectedAt: `${NEWER_DAY}T00:00:00.000Z` });
            await store.putMany([older, newer]);
            const listed = await store.list();
            expect(listed.map(dayOf)).toStrictEqual([NEWER_DAY, OLDER_DAY]);
            expect(listed).toStrictEqual([newer, older]);
        });

        it('a batch retried on a later day overwrites its letters (the day comes from the enqueued time)', async () => {
            const store = await makeStore();
            const enqueuedTime = `${OLDER_DAY}T23:59:59.000Z`;
            await store.putMany([letter('retried', { enqueuedTime, rejectedAt: `${OLDER_DAY}T23:59:59.500Z` })]);
            await store.putMany([letter('retried', { enqueuedTime, rejectedAt: `${NEWER_DAY}T00:00:01.000Z` })]);
            const listed = await store.list();
            expect(listed).toHaveLength(1);
            expect(listed[0]!.rejectedAt).toBe(`${NEWER_DAY}T00:00:01.000Z`);
        });

        it('honours limit, keeping the newest day', async () => {
            const store = await makeStore();
            const older = Array.from({ length: 3 }, (_, i) =>
                letter(`old-${String(i)}`, { rejectedAt: `${OLDER_DAY}T08:00:00.000Z` }),
            );
            const newer = Array.from({ length: 3 }, (_, i) => letter(`new-${String(i)}`));
            await store.putMany([...older, ...newer]);
            const two = await store.list({ limit: 2 });
            expect(two).toHaveLength(2);
            expect(two.map(dayOf)).toStrictEqual([NEWER_DAY, NEWER_DAY]);
            await expect(store.list({ limit: 0 })).resolves.toStrictEqual([]);
            await expect(store.list({ limit: 100 })).resolves.toHaveLength(6);
        });

        it('lists only the letters of a day and later with sinceDay, filed by enqueued day when there is one', async () => {
            const store = await makeStore();
            const older = letter('older', { rejectedAt: `${OLDER_DAY}T23:59:59.999Z` });
            const newer = letter('newer', { rejectedAt: `${NEWER_DAY}T00:00:00.000Z` });
            // Rejected on the newer day, but enqueued on the older one: it belongs to the older day.
            const lateRetry = letter('late-retry', {
                enqueuedTime: `${OLDER_DAY}T22:00:00.000Z`,
                rejectedAt: `${NEWER_DAY}T01:00:00.000Z`,
            });
            await store.putMany([older, newer, lateRetry]);
            await expect(store.list({ sinceDay: NEWER_DAY })).resolves.toStrictEqual([newer]);
            await expect(store.list({ sinceDay: OLDER_DAY })).resolves.toStrictEqual([newer, lateRetry, older]);
            await expect(store.list({ sinceDay: '2026-11-26' })).resolves.toStrictEqual([]);
        });

        it('deletes letters by id and day; a letter already gone, or the same id on another day, is left alone', async () => {
            const store = await makeStore();
            const keep = letter('keep');
            const gone = letter('gone', { enqueuedTime: `${OLDER_DAY}T22:00:00.000Z` });
            await store.putMany([keep, gone]);
            await store.deleteMany([
                gone,
                letter('never-stored'),
                letter('keep', { rejectedAt: `${OLDER_DAY}T08:00:00.000Z` }),
            ]);
            await expect(store.list()).resolves.toStrictEqual([keep]);
            await store.deleteMany([]);
            await store.deleteMany([gone]);
            await expect(store.list()).resolves.toStrictEqual([keep]);
        });

        it('pages with after: each page starts after the cursor of the last letter of the one before', async () => {
            const store = await makeStore();
            const letters = [
                letter('b', { rejectedAt: `${NEWER_DAY}T01:00:00.000Z` }),
                letter('a/1', { rejectedAt: `${NEWER_DAY}T02:00:00.000Z` }),
                letter('c', { rejectedAt: `${OLDER_DAY}T03:00:00.000Z` }),
                letter('a', { rejectedAt: `${OLDER_DAY}T04:00:00.000Z` }),
            ];
            await store.putMany(letters);
            const seen: string[] = [];
            let after: string | undefined;
            for (let page = 0; page < 5; page++) {
                const listed = await store.list({ limit: 1, ...(after !== undefined && { after }) });
                if (listed.length === 0) break;
                seen.push(listed[0]!.id);
                after = deadLetterCursor(listed[0]!);
            }
            expect(seen).toStrictEqual(['a/1', 'b', 'a', 'c']);
            await expect(
                store.list({ after: deadLetterCursor(letters[0]!), reason: 'malformed-xml' }),
            ).resolves.toStrictEqual([letters[3], letters[2]]);
        });

        it('pages through many letters of several days (spread over partitions by a store) in one order, none twice', async () => {
            const store = await makeStore();
            const days = ['2026-11-21', OLDER_DAY, NEWER_DAY];
            const letters = Array.from({ length: 150 }, (_, i) =>
                letter(i % 10 === 0 ? `odd/id#${String(i)}` : `p${String(i % 4)}-s${String(i)}-r0`, {
                    reason: i % 3 === 0 ? 'malformed-json' : 'malformed-xml',
                    rejectedAt: `${days[i % 3]!}T${String(10 + (i % 12))}:00:00.000Z`,
                }),
            );
            await store.putMany(letters);
            // Listing order, spelled out: newest day first, then the escaped id ('/' → '%2F', '#' → '%23').
            const escaped = (id: string): string => id.replace('/', '%2F').replace('#', '%23');
            const expected = [...letters].sort((a, b) =>
                dayOf(a) !== dayOf(b)
                    ? dayOf(a) < dayOf(b)
                        ? 1
                        : -1
                    : escaped(a.id) < escaped(b.id)
                      ? -1
                      : escaped(a.id) > escaped(b.id)
                        ? 1
                        : 0,
            );
            await expect(store.list()).resolves.toStrictEqual(expected);
            const queries: { reason?: string; sinceDay?: string }[] = [
                {},
                { reason: 'malformed-json' },
                { sinceDay: OLDER_DAY },
            ];
            for (const query of queries) {
                const pages: DeadLetter[] = [];
                let after: string | undefined;
                for (let page = 0; page < 40; page++) {
                    const listed = await store.list({ ...query, limit: 7, ...(after !== undefined && { after }) });
                    pages.push(...listed);
                    if (listed.length < 7) break;
                    after = deadLetterCursor(listed[listed.length - 1]!);
                }
                expect(pages).toStrictEqual(
                    expected.filter(
                        (l) =>
                            (query.reason === undefined || l.reason === query.reason) &&
                            (query.sinceDay === undefined || dayOf(l) >= query.sinceDay),
                    ),
                );
            }
        });

        it('ends a page before the letter that would pass maxRawChars, one letter at least', async () => {
            const store = await makeStore();
            const letters = Array.from({ length: 5 }, (_, i) =>
                letter(`big-${String(i)}`, { raw: 'x'.repeat(1_000 + i), rawBytes: 1_000 + i }),
            );
            await store.putMany(letters);
            await expect(store.list({ limit: 10, maxRawChars: 2_500 })).resolves.toStrictEqual(letters.slice(0, 2));
            await expect(store.list({ limit: 10, maxRawChars: 2_001 })).resolves.toStrictEqual(letters.slice(0, 2));
            await expect(store.list({ limit: 10, maxRawChars: 2_000 })).resolves.toStrictEqual(letters.slice(0, 1));
            await expect(store.list({ maxRawChars: 10 })).resolves.toStrictEqual(letters.slice(0, 1));
            await expect(
                store.list({ limit: 10, maxRawChars: 2_500, after: deadLetterCursor(letters[1]!) }),
            ).resolves.toStrictEqual(letters.slice(2, 4));
        });

        it('lists only the letters with a given reason, combined with sinceDay and limit', async () => {
            const store = await makeStore();
            const xml = letter('xml', { reason: 'malformed-xml' });
            const json = letter('json', { reason: 'malformed-json' });
            const oldJson = letter('old-json', { reason: 'malformed-json', rejectedAt: `${OLDER_DAY}T08:00:00.000Z` });
            const quoted = letter('quoted', { reason: 'it\'s "odd"' });
            await store.putMany([xml, json, oldJson, quoted]);
            await expect(store.list({ reason: 'malformed-json' })).resolves.toStrictEqual([json, oldJson]);
            await expect(store.list({ reason: 'malformed-json', sinceDay: NEWER_DAY })).resolves.toStrictEqual([json]);
            await expect(store.list({ reason: 'malformed-json', limit: 1 })).resolves.toStrictEqual([json]);
            await expect(store.list({ reason: 'it\'s "odd"' })).resolves.toStrictEqual([quoted]);
            await expect(store.list({ reason: 'nothing-like-this' })).resolves.toStrictEqual([]);
        });
    });
}
