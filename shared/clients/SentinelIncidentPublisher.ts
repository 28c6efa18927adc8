/**
 * @module Publishes incident versions to the Sentinel workspace: one `HollowtraceIncidents_CL` row per version,
 * uploaded through the DCR stream with the Logs Ingestion API (`LogsIngestionClient.upload`, managed identity; the
 * identity needs Monitoring Metrics Publisher on the DCR: learn.microsoft.com, "Logs Ingestion API in Azure Monitor").
 * Repeating a version uploads its row again; that is harmless downstream because the analytics rule keeps the
 * highest `Version` per `IncidentId` and groups alerts into one Sentinel incident by `IncidentId`.
 */
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import type { LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import type { TokenCredential } from '@azure/identity';
import type { SentinelDeliveryConfig } from '../config/loadConfig';
import type { Incident } from '../correlate/incident';
import type { IncidentPublisher } from '../ports/incidentPublisher';
import { toDeliveryError } from './ingestionDeliveryError';
import { toIncidentRow } from '../delivery/incidentRow';

/** The part of `LogsIngestionClient` the publisher uses. */
export type LogsUploader = Pick<LogsIngestionClient, 'upload'>;

export interface SentinelIncidentPublisherOptions {
    client: LogsUploader;
    dcrImmutableId: string;
    streamName: string;
    now?: () => Date;
    /** Chunks uploaded at once; the SDK's own default is 5. */
    maxConcurrency?: number;
}

export class SentinelIncidentPublisher implements IncidentPublisher {
    readonly name = 'sentinel';
    private readonly now: () => Date;

    constructor(private readonly options: SentinelIncidentPublisherOptions) {
        this.now = options.now ?? (() => new Date());
    }

    /** @throws IncidentDeliveryError (a subclass per cause) naming the versions that may not have arrived */
    async publish(incidents: readonly Incident[]): Promise<void> {
        // One row per (id, version) even when the outbox hands the same version twice in one call.
        const unique = new Map<string, Incident>();
        for (const incident of incidents) unique.set(`${incident.id}\u0000${incident.version}`, incident);
        if (unique.size === 0) return;
        const now = this.now();
        const rows = [...unique.values()].map((incident) => toIncidentRow(incident, now));
        try {
            await this.options.client.upload(this.options.dcrImmutableId, this.options.streamName, rows, {
                ...(this.options.maxConcurrency !== undefined && { maxConcurrency: this.options.maxConcurrency }),
            });
        } catch (error) {
            throw toDeliveryError(error, rows);
        }
    }
}

export interface LogsIngestionClientExtras {
    /** PEM of an extra CA to trust (the local HTTPS stand-in of the demo and the tests). */
    tlsCa?: string | Buffer;
    retryOptions?: LogsIngestionClientOptions['retryOptions'];
}

/**
 * Bounded retries: the Functions retry policy and the outbox retry again later, so one invocation should not sleep
 * through long back-offs. The SDK honours Retry-After on 429 and 503 within these retries.
 */
export const INGESTION_RETRY_OPTIONS = { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 5_000 } as const;

export function createLogsIngestionClient(
    config: Pick<SentinelDeliveryConfig, 'endpoint' | 'audience'>,
    credential: TokenCredential,
    extras: LogsIngestionClientExtras = {},
): LogsIngestionClient {
    return new LogsIngestionClient(config.endpoint, credential, {
        ...(config.audience && { audience: config.audience }),
        retryOptions: extras.retryOptions ?? INGESTION_RETRY_OPTIONS,
        ...(extras.tlsCa !== undefined && { tlsOptions: { ca: extras.tlsCa } }),
    });
}

/** The publisher for a configured workspace. */
export function createSentinelIncidentPublisher(
    config: SentinelDeliveryConfig,
    credential: TokenCredential,
    extras: LogsIngestionClientExtras & { now?: () => Date } = {},
): SentinelIncidentPublisher {
    return new SentinelIncidentPublisher({
        client: createLogsIngestionClient(config, credential, extras),
        dcrImmutableId: config.dcrImmutableId,
        streamName: config.streamName,
        ...(extras.now && { now: extras.now }),
    });
}
