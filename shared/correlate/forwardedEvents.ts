/**
 * @module Stage 2 input: events stage 1 forwarded (one JSON `SysmonEvent` per Event Hub message). They come from our
 * own producer, but a hub is a shared resource, so each is checked before it can touch state; what fails is
 * dead-lettered like any rejected input.
 */
import type { DeadLetter } from '../ingest/deadLetter';
import { deadLetterIdBase, newBatchNonce } from '../ingest/deadLetterId';
import type { IngestMessage } from '../ingest/ingestBatch';
import type { SysmonEvent } from '../sysmon/types';
import { CORRELATED_EVENT_IDS } from '../sysmon/types';
import { eventHubCoordinates } from '../ingest/eventHubCoordinates';

const EVENT_IDS = new Set<number>(CORRELATED_EVENT_IDS);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GUID_FIELDS: Record<number, string[]> = {
    8: ['sourceProcessGuid', 'targetProcessGuid'],
    10: ['sourceProcessGuid', 'targetProcessGuid'],
};

export interface DecodedForwardedBatch {
    events: SysmonEvent[];
    deadLetters: DeadLetter[];
}

function problemOf(value: unknown): string | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
    const event = value as Record<string, unknown>;
    if (typeof event.eventId !== 'number' || !EVENT_IDS.has(event.eventId))
        return 'eventId is not a correlated Sysmon event id';
    if (typeof event.host !== 'string' || event.host === '') return 'host is missing';
    if (typeof event.timeMs !== 'number' || !Number.isFinite(event.timeMs) || typeof event.time !== 'string')
        return 'time is missing';
    if (event.origin === null || typeof event.origin !== 'object') return 'origin is missing';
    for (const field of GUID_FIELDS[event.eventId] ?? ['processGuid']) {
        if (typeof event[field] !== 'string' || !GUID.test(event[field])) return `${field} is not a normalized GUID`;
    }
    if (event.eventId === 10 && (typeof event.grantedAccess !== 'number' || !Number.isInteger(event.grantedAccess)))
        return 'grantedAccess is not a number';
    return undefined;
}

/**
 * Decodes a stage 2 batch; `rejectedAt` stamps the dead letters, whose ids follow deadLetterId.ts (`nonce` keeps those
 * of messages without hub coordinates apart from other batches').
 */
export function decodeForwardedBatch(
    messages: readonly IngestMessage[],
    rejectedAt: Date,
    nonce: string = newBatchNonce(),
): DecodedForwardedBatch {
    const events: SysmonEvent[] = [];
    const deadLetters: DeadLetter[] = [];
    messages.forEach((message, messageIndex) => {
        let body = message.body;
        let problem: string | undefined;
        if (body instanceof Uint8Array) body = Buffer.from(body).toString('utf8');
        if (typeof body === 'string') {
            try {
                body = JSON.parse(body);
            } catch {
                problem = 'not valid JSON';
            }
        }
        problem ??= problemOf(body);
        if (problem === undefined) {
            events.push(body as SysmonEvent);
            return;
        }
        const raw =
            typeof message.body === 'string' ? message.body : (JSON.stringify(message.body) ?? String(message.body));
        deadLetters.push({
            id: `fwd-${deadLetterIdBase(message, messageIndex, () => raw, nonce)}`,
            reason: 'invalid-forwarded-event',
            detail: problem,
            raw: raw.slice(0, 30_000),
            rawTruncated: raw.length > 30_000,
            rawBytes: Buffer.byteLength(raw, 'utf8'),
            ...eventHubCoordinates(message),
            messageIndex,
            recordIndex: 0,
            rejectedAt: rejectedAt.toISOString(),
        });
    });
    return { events, deadLetters };
}
