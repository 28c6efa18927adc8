/**
 * Drives the REAL `LogsIngestionClient` (@azure/monitor-ingestion 1.2.0) through `SentinelIncidentPublisher` against
 * the local HTTPS stand-in of the Logs Ingestion API (tools/local/logsIngestionStandIn.ts) on 127.0.0.1. The credential is
 * a static fake; nothing leaves loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSentinelIncidentPublisher } from '../../shared/clients/SentinelIncidentPublisher';
import type { LogsIngestionClientExtras } from '../../shared/clients/SentinelIncidentPublisher';
import { INCIDENT_STREAM, toIncidentRow } from '../../shared/delivery/incidentRow';
import {
    DeliveryRejectedError,
    DeliveryThrottledError,
    DeliveryUnauthorizedError,
    DeliveryUnavailableError,
    IncidentDeliveryError,
} from '../../shared/errors';
import type { TokenCredential } from '@azure/identity';
import { hasOpenssl, standInCredential } from '../../tools/local/logsIngestionStandIn';
import { startIncidentStreamStandIn } from '../../tools/local/incidentStreamStandIn';
import type { LogsIngestionStandIn } from '../../tools/local/logsIngestionStandIn';
import { incidentPublisherContract } from '../contracts/incidentPublisherContract';
import { sampleIncident } from '../helpers/sampleIncident';

const HAS_OPENSSL = hasOpenssl();
const DCR = 'dcr-00112233445566778899aabbccddeeff';
const NOW = new Date('2026-11-25T10:01:00.000Z');

let standIn: LogsIngestionStandIn;
let scopesSeen: string[][] = [];

function publisher(extras: LogsIngestionClientExtras & { credential?: TokenCredential } = {}) {
    return createSentinelIncidentPublisher(
        { endpoint: standIn.endpoint, dcrImmutableId: DCR, streamName: INCIDENT_STREAM },
        extras.credential ?? standInCredential(undefined, scopesSeen),
        { tlsCa: standIn.ca, retryOptions: extras.retryOptions ?? { maxRetries: 0 }, now: () => NOW },
    );
}

async function failure(promise: Promise<unknown>): Promise<IncidentDeliveryError> {
    const outcome = await promise.then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(IncidentDeliveryError);
    return outcome as IncidentDeliveryError;
}

const keys = (refs: readonly { id: string; version: number }[]): string[] =>
    refs.map((r) => `${r.id}#${r.version}`).sort();

describe.skipIf(!HAS_OPENSSL)(
    `SentinelIncidentPublisher on the real LogsIngestionClient${HAS_OPENSSL ? '' : ' (skipped: openssl not found on PATH)'}`,
    () => {
        beforeAll(async () => {
            standIn = await startIncidentStreamStandIn(DCR);
        });
        afterAll(async () => {
            await standIn?.close();
        });
        beforeEach(async () => {
            await standIn.start();
            standIn.requests.length = 0;
            standIn.respond(undefined);
            scopesSeen = [];
        });

        incidentPublisherContract('SentinelIncidentPublisher', () =>
            Promise.resolve({
                publisher: publisher(),
                rows: () => standIn.accepted(),
                breakNext: () => {
                    const from = standIn.requests.length;
                    standIn.respond((_request, index) =>
                        index === from ? { status: 503, body: { error: { code: 'ServiceUnavailable' } } } : undefined,
                    );
                },
            }),
        );

        it('posts gzipped rows of the declared columns to the DCR stream with a monitor.azure.com token', async () => {
            const incidents = [sampleIncident('hti-a', 1), sampleIncident('hti-b', 2)];
            await publisher().publish(incidents);

            expect(standIn.requests).toHaveLength(1);
            const request = standIn.requests[0]!;
            expect(request).toMatchObject({
                method: 'POST',
                path: `/dataCollectionRules/${DCR}/streams/${INCIDENT_STREAM}`,
                apiVersion: '2023-01-01',
                authorization: 'Bearer stand-in-token-not-a-secret',
                contentEncoding: 'gzip',
                status: 204,
                undeclared: [],
            });
            expect(request.rows).toEqual(incidents.map((i) => toIncidentRow(i, NOW)));
            expect(scopesSeen.flat()).toEqual(['https://monitor.azure.com/.default']);
        });

        it('large batches: the client splits them into calls under the 1 MB limit, and every row arrives', async () => {
            const long = 'x'.repeat(6_000);
            const incidents = Array.from({ length: 400 }, (_, i) =>
                sampleIncident(`hti-${i}`, 1, { target: { processGuid: `{t-${i}}`, commandLine: long } }),
            );
            await publisher().publish(incidents);

            expect(standIn.requests.length).toBeGreaterThanOrEqual(3);
            for (const request of standIn.requests) {
                expect(request.status).toBe(204);
                expect(request.jsonBytes).toBeLessThanOrEqual(1_048_576);
            }
            expect(
                standIn
                    .accepted()
                    .map((r) => r.IncidentId)
                    .sort(),
            ).toEqual(incidents.map((i) => i.id).sort());
        });

        it('413 from the service: the refused calls name exactly their rows; the other calls arrived', async () => {
            standIn.respond((request) =>
                request.jsonBytes > 400_000
                    ? { status: 413, body: { error: { code: 'ContentLengthLimitExceeded' } } }
                    : undefined,
            );
            const long = 'y'.repeat(6_000);
            // About 1.2 MB of rows: one full chunk (refused) and a small rest (accepted).
            const incidents = Array.from({ length: 170 }, (_, i) =>
                sampleIncident(`hti-${i}`, 1, { target: { processGuid: `{t-${i}}`, commandLine: long } }),
            );
            const error = await failure(publisher().publish(incidents));

            expect(error).toBeInstanceOf(DeliveryRejectedError);
            expect(error.code).toBe('delivery-rejected');
            expect(error.statuses.every((s) => s === 413)).toBe(true);
            const accepted = standIn.accepted().map((r) => `${String(r.IncidentId)}#1`);
            expect(accepted.length).toBeGreaterThan(0);
            expect([...keys(error.failed), ...accepted].sort()).toEqual(keys(incidents));
            expect(keys(error.failed)).toEqual(
                standIn.requests
                    .filter((r) => r.status === 413)
                    .flatMap((r) => r.rows.map((row) => `${String(row.IncidentId)}#1`))
                    .sort(),
            );
        });

        it('429 with Retry-After: the client waits as told and retries; when retries run out the wait is reported', async () => {
            standIn.respond((_request, index) =>
                index === 0
                    ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'TooManyRequests' } } }
                    : undefined,
            );
            await publisher({ retryOptions: { maxRetries: 1 } }).publish([sampleIncident('hti-a', 1)]);
            expect(standIn.requests.map((r) => r.status)).toEqual([429, 204]);
            expect(standIn.requests[1]!.at - standIn.requests[0]!.at).toBeGreaterThanOrEqual(900);

            standIn.requests.length = 0;
            standIn.respond(() => ({
                status: 429,
                headers: { 'retry-after': '7' },
                body: { error: { code: 'TooManyRequests' } },
            }));
            const error = await failure(publisher().publish([sampleIncident('hti-b', 4)]));
            expect(error).toBeInstanceOf(DeliveryThrottledError);
            expect((error as DeliveryThrottledError).retryAfterMs).toBe(7_000);
            expect(keys(error.failed)).toEqual(['hti-b#4']);
        });

        it('5xx: retried by the client, then reported as transient', async () => {
            standIn.respond((_request, index) =>
                index === 0 ? { status: 500, body: { error: { code: 'InternalServerError' } } } : undefined,
            );
            await publisher({ retryOptions: { maxRetries: 1, retryDelayInMs: 10 } }).publish([
                sampleIncident('hti-a', 1),
            ]);
            expect(standIn.requests.map((r) => r.status)).toEqual([500, 204]);

            standIn.requests.length = 0;
            standIn.respond(() => ({ status: 503, body: { error: { code: 'ServiceUnavailable' } } }));
            const error = await failure(publisher().publish([sampleIncident('hti-c', 2)]));
            expect(error).toBeInstanceOf(DeliveryUnavailableError);
            expect(error.statuses).toEqual([503]);
        });

        it('401 (token refused) and 403 (no Monitoring Metrics Publisher on the DCR) are access failures', async () => {
            const refused = await failure(
                publisher({ credential: standInCredential('someone-else') }).publish([sampleIncident('hti-a', 1)]),
            );
            expect(refused).toBeInstanceOf(DeliveryUnauthorizedError);
            expect(refused.statuses).toEqual([401]);

            standIn.respond(() => ({
                status: 403,
                body: {
                    error: {
                        code: 'OperationFailed',
                        message:
                            'The authentication token provided does not have access to ingest data for the data collection rule',
                    },
                },
            }));
            const forbidden = await failure(publisher().publish([sampleIncident('hti-a', 1)]));
            expect(forbidden).toBeInstanceOf(DeliveryUnauthorizedError);
            expect(forbidden.message).toContain('does not have access');
        });

        it('a credential that cannot get a token is an access failure too', async () => {
            const broken: TokenCredential = {
                getToken: () => {
                    const error = new Error('ManagedIdentityCredential: no identity endpoint');
                    error.name = 'CredentialUnavailableError';
                    return Promise.reject(error);
                },
            };
            const error = await failure(publisher({ credential: broken }).publish([sampleIncident('hti-a', 1)]));
            expect(error).toBeInstanceOf(DeliveryUnauthorizedError);
            expect(standIn.requests).toHaveLength(0);
        });

        it('an outage (endpoint down) is transient; after it comes back the same versions arrive once', async () => {
            const batch = [sampleIncident('hti-a', 1), sampleIncident('hti-a', 2)];
            await standIn.stop();
            const error = await failure(publisher().publish(batch));
            expect(error).toBeInstanceOf(DeliveryUnavailableError);
            expect(error.statuses).toEqual([undefined]);
            expect(keys(error.failed)).toEqual(['hti-a#1', 'hti-a#2']);

            await standIn.start();
            await publisher().publish(batch);
            expect(
                standIn
                    .accepted()
                    .map((r) => `${String(r.IncidentId)}#${String(r.Version)}`)
                    .sort(),
            ).toEqual(['hti-a#1', 'hti-a#2']);
        });
    },
);
