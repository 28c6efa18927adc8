/** The composition root builds the Sentinel publisher from configuration, and none when Sentinel delivery is off. */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Composition from '../../../functions/composition';
import type { IncidentPublisher } from '../../../shared/ports/incidentPublisher';

const BASE = { HOLLOWTRACE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', AZURE_CLIENT_ID: 'client-1' };
const SENTINEL = {
    HOLLOWTRACE_LOGS_INGESTION_ENDPOINT: 'https://dce-x.westeurope-1.ingest.monitor.azure.com',
    HOLLOWTRACE_DCR_IMMUTABLE_ID: 'dcr-0123456789abcdef0123456789abcdef',
};

describe('incident publishers from configuration', () => {
    const saved = { ...process.env };
    afterEach(() => {
        process.env = { ...saved };
        vi.resetModules();
    });

    async function publishersWith(env: Record<string, string>): Promise<IncidentPublisher[]> {
        process.env = { ...saved, ...env };
        const composition = (await import(resolve(__dirname, '../../../functions/composition'))) as typeof Composition;
        return composition.getIncidentPublishers();
    }

    it('the Sentinel publisher when the ingestion endpoint and DCR are set', async () => {
        const publishers = await publishersWith({ ...BASE, ...SENTINEL });
        expect(publishers.map((p) => p.name)).toEqual(['sentinel']);
        expect(publishers[0]!.constructor.name).toBe('SentinelIncidentPublisher');
    });

    it('none when Sentinel delivery is not configured', async () => {
        expect(await publishersWith(BASE)).toEqual([]);
    });
});
