/** Configuration is read and validated in one place; every problem is reported at once. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/loadConfig';
import { ConfigurationError } from '../../../shared/errors';

const LOCAL = { HOLLOWTRACE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };

describe('loadConfig', () => {
    it('defaults: inline correlation, default table names and limits', () => {
        const config = loadConfig(LOCAL);
        expect(config).toMatchObject({
            storage: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
            deadLetterTable: 'hollowtracedeadletters',
            stateTable: 'hollowtracestate',
            incidentTable: 'hollowtraceincidents',
            forwarding: { mode: 'inline' },
            ingestLimits: { maxMessageBytes: 1048576, maxDepth: 32 },
        });
    });

    it('managed identity storage from an account name, with a user-assigned client id', () => {
        expect(loadConfig({ HOLLOWTRACE_STORAGE_ACCOUNT: 'acct', AZURE_CLIENT_ID: 'id-1' }).storage).toEqual({
            kind: 'managedIdentity',
            tableEndpoint: 'https://acct.table.core.windows.net',
            clientId: 'id-1',
        });
    });

    it('forwarding to Event Hubs by identity', () => {
        const config = loadConfig({
            ...LOCAL,
            HOLLOWTRACE_CORRELATION: 'eventHub',
            CORRELATION_EVENTHUB_NAME: 'byhost',
            CorrelationEventHub__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
        });
        expect(config.forwarding).toEqual({
            mode: 'eventHub',
            eventHubName: 'byhost',
            connection: { kind: 'managedIdentity', fullyQualifiedNamespace: 'ns.servicebus.windows.net' },
        });
    });

    it('pending retention: 60 minutes by default, HOLLOWTRACE_PENDING_RETENTION_MINUTES otherwise, validated', () => {
        expect(loadConfig(LOCAL).pendingRetentionMs).toBe(60 * 60_000);
        expect(loadConfig({ ...LOCAL, HOLLOWTRACE_PENDING_RETENTION_MINUTES: '240' }).pendingRetentionMs).toBe(
            240 * 60_000,
        );
        expect(() => loadConfig({ ...LOCAL, HOLLOWTRACE_PENDING_RETENTION_MINUTES: '0' })).toThrow(
            /HOLLOWTRACE_PENDING_RETENTION_MINUTES must be a positive integer/,
        );
    });

    it('reports every problem in one error', () => {
        const attempt = () =>
            loadConfig({
                HOLLOWTRACE_CORRELATION: 'eventHub',
                HOLLOWTRACE_MAX_NESTING: '-1',
                HOLLOWTRACE_STATE_TABLE: 'bad-name',
                HOLLOWTRACE_TABLE_ENDPOINT: 'http://insecure',
            });
        expect(attempt).toThrow(ConfigurationError);
        try {
            attempt();
        } catch (error) {
            const message = (error as Error).message;
            for (const fragment of [
                'HOLLOWTRACE_MAX_NESTING',
                'HOLLOWTRACE_STATE_TABLE',
                'CORRELATION_EVENTHUB_NAME',
                'CorrelationEventHub',
                'https://',
            ]) {
                expect(message).toContain(fragment);
            }
        }
    });

    it('rejects an unknown correlation mode', () => {
        expect(() => loadConfig({ ...LOCAL, HOLLOWTRACE_CORRELATION: 'kafka' })).toThrow(/HOLLOWTRACE_CORRELATION/);
    });

    describe('Sentinel delivery (Logs Ingestion API)', () => {
        const DCR = 'dcr-0123456789abcdef0123456789abcdef';

        it('is off when neither the endpoint nor the DCR is set', () => {
            expect(loadConfig(LOCAL).sentinel).toBeUndefined();
        });

        it('reads the endpoint, the DCR immutable id, the default stream and the identity', () => {
            expect(
                loadConfig({
                    ...LOCAL,
                    HOLLOWTRACE_LOGS_INGESTION_ENDPOINT: 'https://dce-x.westeurope-1.ingest.monitor.azure.com',
                    HOLLOWTRACE_DCR_IMMUTABLE_ID: DCR,
                    AZURE_CLIENT_ID: 'client-1',
                }).sentinel,
            ).toEqual({
                endpoint: 'https://dce-x.westeurope-1.ingest.monitor.azure.com',
                dcrImmutableId: DCR,
                streamName: 'Custom-HollowtraceIncidents',
                clientId: 'client-1',
            });
        });

        it('refuses half a configuration, http, a resource name instead of the immutable id, and a foreign stream', () => {
            const problems = (env: Record<string, string>): string => {
                try {
                    loadConfig({ ...LOCAL, ...env });
                } catch (error) {
                    expect(error).toBeInstanceOf(ConfigurationError);
                    return (error as Error).message;
                }
                return '';
            };
            expect(problems({ HOLLOWTRACE_DCR_IMMUTABLE_ID: DCR })).toContain(
                'HOLLOWTRACE_LOGS_INGESTION_ENDPOINT is required',
            );
            expect(problems({ HOLLOWTRACE_LOGS_INGESTION_ENDPOINT: 'https://x.ingest.monitor.azure.com' })).toContain(
                'HOLLOWTRACE_DCR_IMMUTABLE_ID is required',
            );
            const message = problems({
                HOLLOWTRACE_LOGS_INGESTION_ENDPOINT: 'http://x.ingest.monitor.azure.com',
                HOLLOWTRACE_DCR_IMMUTABLE_ID: 'dcr-hollowtrace',
                HOLLOWTRACE_DCR_STREAM: 'Microsoft-Event',
                HOLLOWTRACE_LOGS_INGESTION_AUDIENCE: 'monitor.azure.us',
            });
            for (const fragment of [
                'HOLLOWTRACE_LOGS_INGESTION_ENDPOINT must be an https:// URL',
                "HOLLOWTRACE_DCR_IMMUTABLE_ID must be the DCR's immutable id",
                'HOLLOWTRACE_DCR_STREAM must start with "Custom-"',
                'HOLLOWTRACE_LOGS_INGESTION_AUDIENCE must be an https:// URL',
            ])
                expect(message).toContain(fragment);
        });
    });

    it('enrichment: one budget per playbook call, well below the 230 s an HTTP function may take', () => {
        const workspace = { ...LOCAL, HOLLOWTRACE_SENTINEL_WORKSPACE_ID: '11111111-2222-3333-4444-555555555555' };
        expect(loadConfig(workspace).workspace).toMatchObject({ timeoutMs: 20_000, budgetMs: 30_000, concurrency: 5 });
        expect(
            loadConfig({
                ...workspace,
                HOLLOWTRACE_ENRICHMENT_BUDGET_MS: '45000',
                HOLLOWTRACE_ENRICHMENT_CONCURRENCY: '10',
            }).workspace,
        ).toMatchObject({ budgetMs: 45_000, concurrency: 10 });
        expect(() =>
            loadConfig({
                ...workspace,
                HOLLOWTRACE_ENRICHMENT_BUDGET_MS: '230000',
                HOLLOWTRACE_ENRICHMENT_CONCURRENCY: '0',
            }),
        ).toThrow(
            /HOLLOWTRACE_ENRICHMENT_BUDGET_MS must be at most 100000.*HOLLOWTRACE_ENRICHMENT_CONCURRENCY must be a positive integer/,
        );
    });
});
