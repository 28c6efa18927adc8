/**
 * Re-reading dead letters: letters made by stage 1 itself (processIngestBatch under a tighter limit), then reprocessed
 * with the limits raised; in-memory store and forwarder.
 */
import { describe, expect, it } from 'vitest';
import { ForwardingFailedError } from '../../../shared/errors';
import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import type { DeadLetter } from '../../../shared/ingest/deadLetter';
import { InMemoryEventForwarder } from '../../../shared/ports/InMemoryEventForwarder';
import type { EventForwarder } from '../../../shared/ports/eventForwarder';
import { DEFAULT_INGEST_LIMITS } from '../../../shared/ingest/ingestBatch';
import type { IngestMessage } from '../../../shared/ingest/ingestBatch';
import { processIngestBatch } from '../../../shared/ingest/ingestService';
import { parkedLetters } from '../../../shared/ingest/parkFailedBatch';
import { reprocessDeadLetters } from '../../../shared/ingest/reprocessDeadLetters';

const REJECTED_AT = new Date('2026-11-25T10:00:00.000Z');
const NOW = new Date('2026-11-26T08:00:00.000Z');
const ENQUEUED = '2026-11-25T09:59:58.000Z';

/** A flat Sysmon EID 1 line of about `length` characters (the command line pads it). */
function processCreateLine(recordId: number, length: number): string {
    const base = {
        EventID: 1,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: 'WS01',
        EventRecordID: recordId,
        UtcTime: '2024-05-01 10:15:01.987',
        ProcessGuid: `{3710b5c6-1243-6182-8303-${String(recordId).padStart(12, '0')}}`,
        Image: 'C:\\Windows\\System32\\rundll32.exe',
        CommandLine: '',
    };
    const text = JSON.stringify(base);
    return JSON.stringify({
        ...base,
        CommandLine: `rundll32.exe ${'x'.repeat(Math.max(0, length - text.length - 13))}`,
    });
}

const message = (body: string, sequenceNumber: number): IngestMessage => ({
    body,
    partitionId: '2',
    sequenceNumber,
    enqueuedTime: ENQUEUED,
});

/** Stage 1 with a 2,000-byte message limit files these as dead letters. */
async function lettersFiledUnderATightLimit(messages: IngestMessage[]): Promise<InMemoryDeadLetterStore> {
    const deadLetters = new InMemoryDeadLetterStore();
    await processIngestBatch(
        messages,
        {
            deadLetters,
            forwarder: new InMemoryEventForwarder(),
            limits: { ...DEFAULT_INGEST_LIMITS, maxMessageBytes: 2_000 },
        },
        REJECTED_AT,
    );
    return deadLetters;
}

describe('reprocessDeadLetters', () => {
    it('after the message limit is raised, reads the too-large inputs, forwards their events with their coordinates and deletes the letters', async () => {
        const deadLetters = await lettersFiledUnderATightLimit([
            message(processCreateLine(41, 3_000), 7),
            message(processCreateLine(42, 500), 8),
        ]);
        expect((await deadLetters.list()).map((l) => [l.id, l.reason])).toEqual([['p2-s7-r0', 'too-large']]);

        const forwarder = new InMemoryEventForwarder();
        const outcome = await reprocessDeadLetters({}, { deadLetters, forwarder, limits: DEFAULT_INGEST_LIMITS }, NOW);

        expect(outcome).toEqual({ examined: 1, resolved: 1, stillRejected: 0, skipped: [], forwarded: 1 });
        const forwarded = forwarder.byHost.get('ws01') ?? [];
        expect(
            forwarded.map((e) => [e.recordId, e.origin.partitionId, e.origin.sequenceNumber, e.origin.enqueuedTime]),
        ).toEqual([[41, '2', 7, ENQUEUED]]);
        await expect(deadLetters.list()).resolves.toEqual([]);
        // Run again: nothing left, nothing forwarded twice.
        expect(
            await reprocessDeadLetters({}, { deadLetters, forwarder, limits: DEFAULT_INGEST_LIMITS }, NOW),
        ).toMatchObject({ examined: 0, forwarded: 0 });
    });

    it('an input still rejected is written back under its own id, with the reason and time it has now', async () => {
        // The second record of a two-record message: its letter holds that record alone, as record 1 of message 3.
        const withoutGuid = JSON.stringify({
            ...(JSON.parse(processCreateLine(91, 300)) as object),
            ProcessGuid: undefined,
        });
        const deadLetters = await lettersFiledUnderATightLimit([
            message('{"EventID": 1, "Computer": "WS01"', 3),
            message(`[${processCreateLine(90, 300)},${withoutGuid}]`, 4),
        ]);
        const before = await deadLetters.list();
        expect(before.map((l) => [l.id, l.reason])).toEqual([
            ['p2-s3-r0', 'malformed-json'],
            ['p2-s4-r1', 'missing-field'],
        ]);
        const outcome = await reprocessDeadLetters(
            {},
            { deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS },
            NOW,
        );
        expect(outcome).toMatchObject({ examined: 2, resolved: 0, stillRejected: 2, forwarded: 0 });
        const after = await deadLetters.list();
        expect(after.map((l) => [l.id, l.reason, l.raw, l.recordIndex, l.rejectedAt])).toEqual(
            before.map((l) => [l.id, l.reason, l.raw, l.recordIndex, NOW.toISOString()]),
        );
    });

    it('a parked message is read whole again: its broken record gets the letter a first delivery would have written, the parked letter goes', async () => {
        const deadLetters = new InMemoryDeadLetterStore();
        const withoutGuid = JSON.stringify({
            ...(JSON.parse(processCreateLine(91, 300)) as object),
            ProcessGuid: undefined,
        });
        const body = `[${processCreateLine(90, 300)},${withoutGuid}]`;
        // What stage 1 wrote before its retries ran out (the record's own letter), then the parked message.
        await processIngestBatch(
            [message(body, 4)],
            { deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS },
            REJECTED_AT,
        );
        await deadLetters.putMany(parkedLetters('ingest', [message(body, 4)], 'failed', REJECTED_AT));
        expect((await deadLetters.list()).map((l) => l.id)).toEqual(['exhausted-p2-s4', 'p2-s4-r1']);

        const forwarder = new InMemoryEventForwarder();
        const outcome = await reprocessDeadLetters(
            { reason: 'retries-exhausted' },
            { deadLetters, forwarder, limits: DEFAULT_INGEST_LIMITS },
            NOW,
        );
        expect(outcome).toMatchObject({ examined: 1, stillRejected: 1, forwarded: 1 });
        expect((forwarder.byHost.get('ws01') ?? []).map((e) => e.recordId)).toEqual([90]);
        const after = await deadLetters.list();
        expect(after.map((l) => [l.id, l.reason])).toEqual([['p2-s4-r1', 'missing-field']]);
    });

    it('keeps what cannot be read again, saying why: cut raw text, base64 bytes, empty messages', async () => {
        const deadLetters = await lettersFiledUnderATightLimit([
            message(processCreateLine(50, DEFAULT_INGEST_LIMITS.maxDeadLetterRawChars + 5_000), 1),
            { body: Buffer.from([0xff, 0xfe, 0x41]), partitionId: '2', sequenceNumber: 2 },
            message('   ', 3),
        ]);
        const stored = await deadLetters.list();
        const outcome = await reprocessDeadLetters(
            {},
            { deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS },
            NOW,
        );
        expect(outcome).toMatchObject({ examined: 3, resolved: 0, stillRejected: 0, forwarded: 0 });
        expect(outcome.skipped.map((s) => s.id).sort()).toEqual(['p2-s1-r0', 'p2-s2-r0', 'p2-s3-r0']);
        expect(outcome.skipped.find((s) => s.id === 'p2-s1-r0')!.why).toMatch(
            /cut at 30000 characters.*partition 2, sequence number 1/,
        );
        expect(outcome.skipped.find((s) => s.id === 'p2-s2-r0')!.why).toMatch(/^invalid-utf8: /);
        await expect(deadLetters.list()).resolves.toEqual(stored);
    });

    it('selects letters by reason and bounds one call by limit', async () => {
        const deadLetters = await lettersFiledUnderATightLimit([
            message(processCreateLine(61, 3_000), 1),
            message(processCreateLine(62, 3_000), 2),
            message('<Event><!DOCTYPE x></Event>', 3),
        ]);
        const deps = { deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS };
        expect(await reprocessDeadLetters({ reason: 'too-large', limit: 1 }, deps, NOW)).toMatchObject({
            examined: 1,
            resolved: 1,
        });
        expect((await deadLetters.list()).map((l: DeadLetter) => l.reason).sort()).toEqual([
            'too-large',
            'xml-dtd-forbidden',
        ]);
    });

    it('pages past the letters it keeps: with limit 1, two uncut-able letters do not block the one behind them', async () => {
        const deadLetters = await lettersFiledUnderATightLimit([
            message(processCreateLine(51, DEFAULT_INGEST_LIMITS.maxDeadLetterRawChars + 1_000), 1),
            message('{"EventID": 1', 2),
            message(processCreateLine(53, 3_000), 3),
        ]);
        const deps = { deadLetters, forwarder: new InMemoryEventForwarder(), limits: DEFAULT_INGEST_LIMITS };
        const pages = [];
        let after: string | undefined;
        for (let call = 0; call < 5; call++) {
            const outcome = await reprocessDeadLetters({ limit: 1, ...(after !== undefined && { after }) }, deps, NOW);
            pages.push([outcome.examined, outcome.resolved, outcome.stillRejected, outcome.skipped.length]);
            if (outcome.next === undefined) break;
            after = outcome.next;
        }
        // p2-s1 kept (cut), p2-s2 still malformed, p2-s3 resolved; then an empty page ends it.
        expect(pages).toEqual([
            [1, 0, 0, 1],
            [1, 0, 1, 0],
            [1, 1, 0, 0],
            [0, 0, 0, 0],
        ]);
        expect((await deadLetters.list()).map((l) => l.id)).toEqual(['p2-s1-r0', 'p2-s2-r0']);
    });

    it('when forwarding fails nothing is deleted, so a later run still has the letters (nothing lost)', async () => {
        const deadLetters = await lettersFiledUnderATightLimit([message(processCreateLine(71, 3_000), 1)]);
        const failing: EventForwarder = { forward: () => Promise.reject(new ForwardingFailedError('hub unreachable')) };
        await expect(
            reprocessDeadLetters({}, { deadLetters, forwarder: failing, limits: DEFAULT_INGEST_LIMITS }, NOW),
        ).rejects.toBeInstanceOf(ForwardingFailedError);
        expect((await deadLetters.list()).map((l) => l.id)).toEqual(['p2-s1-r0']);
    });

    it('forwards only what correlation needs when stage 1 filters', async () => {
        const deadLetters = await lettersFiledUnderATightLimit([message(processCreateLine(81, 3_000), 1)]);
        const forwarder = new InMemoryEventForwarder();
        const outcome = await reprocessDeadLetters(
            {},
            { deadLetters, forwarder, limits: DEFAULT_INGEST_LIMITS, needed: () => false },
            NOW,
        );
        expect(outcome).toMatchObject({ resolved: 1, forwarded: 0 });
        expect(forwarder.byHost.size).toBe(0);
    });
});
