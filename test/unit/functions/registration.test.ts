/** What the Functions host would see: every functions/ file registers one function, named as its file and handler. */
import { registered, triggerBinding } from '../../../tools/local/functionsRegistry';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const FUNCTIONS_DIR = resolve(__dirname, '../../../functions');
const functionFiles = readdirSync(FUNCTIONS_DIR).filter((f) => f.endsWith('.ts') && f !== 'composition.ts');

beforeAll(async () => {
    // Stage 2's trigger exists only when correlation runs on its own hub (test/unit/functions/correlationMode.test.ts).
    process.env.HOLLOWTRACE_CORRELATION = 'eventHub';
    for (const file of functionFiles) await import(resolve(FUNCTIONS_DIR, file));
});

describe('function registrations', () => {
    it.each(functionFiles)(
        '%s registers exactly one function named like the file, exporting a handler of that name',
        async (file) => {
            const name = file.replace(/\.ts$/, '');
            expect(registered.filter((r) => r.metadata.name === name)).toHaveLength(1);
            const module = (await import(resolve(FUNCTIONS_DIR, file))) as Record<string, unknown>;
            expect(typeof module[name]).toBe('function');
        },
    );

    it('ingestSysmonEvents: Event Hub trigger, batches, strings, connection by app setting, bounded retry', () => {
        const binding = triggerBinding('ingestSysmonEvents');
        expect(binding).toMatchObject({
            type: 'eventHubTrigger',
            cardinality: 'many',
            dataType: 'string',
            connection: 'SourceEventHub',
            eventHubName: '%SOURCE_EVENTHUB_NAME%',
            consumerGroup: '%SOURCE_EVENTHUB_CONSUMER_GROUP%',
        });
        const fn = registered.find((r) => r.metadata.name === 'ingestSysmonEvents')!;
        expect(fn.metadata.retryOptions).toMatchObject({ strategy: 'exponentialBackoff', maxRetryCount: 5 });
    });

    it('correlateHollowing: Event Hub trigger on the host-keyed hub, batches, bounded retry', () => {
        expect(triggerBinding('correlateHollowing')).toMatchObject({
            type: 'eventHubTrigger',
            cardinality: 'many',
            connection: 'CorrelationEventHub',
            eventHubName: '%CORRELATION_EVENTHUB_NAME%',
            consumerGroup: '%CORRELATION_EVENTHUB_CONSUMER_GROUP%',
        });
        expect(registered.find((r) => r.metadata.name === 'correlateHollowing')!.metadata.retryOptions).toMatchObject({
            strategy: 'exponentialBackoff',
            maxRetryCount: 5,
        });
    });

    it('expireCorrelationState: a timer every 5 minutes', () => {
        expect(triggerBinding('expireCorrelationState')).toMatchObject({
            type: 'timerTrigger',
            schedule: '0 */5 * * * *',
        });
    });

    it.each([
        ['enrichIncident', ['POST'], 'incidents/enrich', 'function'],
        ['listIncidents', ['GET'], 'incidents', 'function'],
        ['getIncident', ['GET'], 'incidents/{id}', 'function'],
        ['listDeadLetters', ['GET'], 'dead-letters', 'function'],
        ['reprocessDeadLetters', ['POST'], 'dead-letters/reprocess', 'function'],
        ['openApi', ['GET'], 'openapi.json', 'function'],
        ['health', ['GET'], 'health', 'anonymous'],
    ])('%s: HTTP %s /api/%s with authLevel %s', (name, methods, route, authLevel) => {
        expect(triggerBinding(name)).toMatchObject({ type: 'httpTrigger', methods, route, authLevel });
    });
});
