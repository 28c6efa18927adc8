/** The local.settings samples load as they stand: one with connection strings, one identity-based with no secret. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/loadConfig';

function values(file: string): Record<string, string> {
    const settings = JSON.parse(readFileSync(resolve(__dirname, '../../..', file), 'utf8')) as {
        Values: Record<string, string>;
    };
    return settings.Values;
}

describe('local.settings samples', () => {
    it('local.settings.sample.json: connection strings, inline correlation, Azurite', () => {
        const config = loadConfig(values('local.settings.sample.json'));
        expect(config.storage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
        expect(config.forwarding).toEqual({ mode: 'inline' });
    });

    it('local.settings.identity.sample.json: identity-based host storage, Event Hubs and Table Storage, no secret', () => {
        const settings = values('local.settings.identity.sample.json');
        expect(settings).toMatchObject({
            AzureWebJobsStorage__accountName: expect.any(String),
            SourceEventHub__fullyQualifiedNamespace: expect.stringMatching(/\.servicebus\.windows\.net$/),
            CorrelationEventHub__fullyQualifiedNamespace: expect.stringMatching(/\.servicebus\.windows\.net$/),
        });
        expect(settings.AzureWebJobsStorage).toBeUndefined();
        expect(JSON.stringify(settings)).not.toMatch(/SharedAccessKey|AccountKey|UseDevelopmentStorage/);
        const config = loadConfig(settings);
        expect(config.storage).toMatchObject({ kind: 'managedIdentity' });
        expect(config.forwarding).toMatchObject({
            mode: 'eventHub',
            connection: { kind: 'managedIdentity', fullyQualifiedNamespace: '<namespace>.servicebus.windows.net' },
        });
    });
});
