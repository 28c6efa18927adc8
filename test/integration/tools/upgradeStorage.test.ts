/**
 * `hollowtrace upgrade-storage` on Azurite, with the app's own settings: an incident table without index rows and a
 * dead-letter table in the layout before bucketing come out as this version writes them.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TableDeadLetterStore } from '../../../shared/storage/table/TableDeadLetterStore';
import { TableIncidentStore } from '../../../shared/storage/table/TableIncidentStore';
import { createTableClientFromConnectionString } from '../../../shared/storage/table/tableSupport';
import { runUpgradeStorage } from '../../../tools/cli/upgradeStorageCommand';
import { incidentId, sampleIncident } from '../../helpers/incidents';

const connectionString = inject('tablesConnectionString');
const suffix = Date.now().toString(36);
const incidentTable = `upgradeinc${suffix}`;
const deadLetterTable = `upgradedl${suffix}`;
const env = {
    HOLLOWTRACE_STORAGE_CONNECTION_STRING: connectionString,
    HOLLOWTRACE_INCIDENT_TABLE: incidentTable,
    HOLLOWTRACE_DEAD_LETTER_TABLE: deadLetterTable,
};
const incidentClient = createTableClientFromConnectionString(connectionString, incidentTable);
const deadLetterClient = createTableClientFromConnectionString(connectionString, deadLetterTable);
afterAll(async () => {
    await incidentClient.deleteTable();
    await deadLetterClient.deleteTable();
});

describe('hollowtrace upgrade-storage', () => {
    it('indexes the incidents and moves the dead letters of the tables the settings name', async () => {
        const incidents = await TableIncidentStore.create(incidentClient);
        await incidents.upsert([sampleIncident(incidentId(1), { host: 'WS01.contoso.local' })]);
        for await (const row of incidentClient.listEntities())
            if (row.partitionKey?.startsWith('%'))
                await incidentClient.deleteEntity(row.partitionKey, row.rowKey ?? '');
        expect(await incidents.get(incidentId(1))).toBeUndefined();
        const deadLetters = await TableDeadLetterStore.create(deadLetterClient);
        await deadLetterClient.createEntity({
            partitionKey: '2026-11-20',
            rowKey: 'p0-s1-r0',
            id: 'p0-s1-r0',
            reason: 'malformed-json',
            detail: 'd',
            raw: '{',
            rawTruncated: false,
            rawBytes: { value: 1, type: 'Double' },
            messageIndex: { value: 0, type: 'Double' },
            recordIndex: { value: 0, type: 'Double' },
            rejectedAt: '2026-11-20T10:00:00.000Z',
        });
        expect(await deadLetters.list()).toStrictEqual([]);

        const lines: string[] = [];
        const outcome = await runUpgradeStorage({ env, stdout: (text) => lines.push(text) });
        expect(outcome).toStrictEqual({ incidentsIndexed: 1, deadLettersMoved: 1 });
        expect(lines.at(-1)).toBe('upgrade-storage: 1 incidents indexed, 1 dead letters moved\n');
        expect((await incidents.get(incidentId(1)))?.host).toBe('WS01.contoso.local');
        expect((await deadLetters.list()).map((l) => [l.id, l.raw])).toStrictEqual([['p0-s1-r0', '{']]);

        expect(await runUpgradeStorage({ env, stdout: () => undefined })).toStrictEqual({
            incidentsIndexed: 1,
            deadLettersMoved: 0,
        });
    });

    it('fails on a table that does not exist instead of creating an empty one', async () => {
        const missing = { ...env, HOLLOWTRACE_INCIDENT_TABLE: 'nosuchtable' };
        await expect(runUpgradeStorage({ env: missing, stdout: () => undefined })).rejects.toThrow(/nosuchtable/);
    });

    it('names the setting that is wrong', async () => {
        await expect(runUpgradeStorage({ env: {}, stdout: () => undefined })).rejects.toThrow(/HOLLOWTRACE_STORAGE/);
    });
});
