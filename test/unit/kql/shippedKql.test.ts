/**
 * Every KQL text hollowtrace ships is parsed and analysed by Microsoft's Kusto parser against declared table
 * schemas (test/support/kqlChecker.ts): the NRT analytics rule of deploy/azuredeploy.json and the enrichment queries
 * of shared/enrich/kql.ts. Zero diagnostics allowed; a negative case proves the checker catches an unknown column.
 */
import { describe, expect, it } from 'vitest';
import { INCIDENT_ROW_COLUMNS } from '../../../shared/delivery/incidentRow';
import { buildEnrichmentQueries } from '../../../shared/enrich/kql';
import { formatColumns, loadAnalyticsRule } from '../../../tools/deploy/sentinelAlertPreview';
import { MAVINJECT_ENRICHMENT_INPUT } from '../../helpers/enrichmentInput';
import { analyzeKql, describeDiagnostics } from '../../support/kqlChecker';

function expectClean(query: string): string[] {
    const analysis = analyzeKql(query);
    expect(describeDiagnostics(query, analysis.diagnostics)).toEqual([]);
    return analysis.resultColumns;
}

describe('shipped KQL', () => {
    it('the checker catches an unknown column, a syntax error and an unknown table', () => {
        const unknownColumn = analyzeKql('HollowtraceIncidents_CL | where InjectorSha256 == "x"');
        expect(unknownColumn.diagnostics.map((d) => d.code)).toEqual(['KS142']);
        expect(unknownColumn.diagnostics[0]!.message).toContain('InjectorSha256');
        expect(analyzeKql('HollowtraceIncidents_CL | project Host,').diagnostics.length).toBeGreaterThan(0);
        expect(analyzeKql('HollowtraceIncident_CL | take 1').diagnostics.length).toBeGreaterThan(0);
        expect(analyzeKql('SecurityAlert | where NoSuchColumn == 1').diagnostics.length).toBeGreaterThan(0);
    });

    it.each([
        ['with the injector hash', MAVINJECT_ENRICHMENT_INPUT],
        [
            'without images or hash',
            { ...MAVINJECT_ENRICHMENT_INPUT, injectorImage: undefined, injectorSha256: undefined },
        ],
        [
            'with hostile names',
            { ...MAVINJECT_ENRICHMENT_INPUT, host: 'ws"01\\x\n.contoso.local', injectorImage: 'C:\\a\'b|c\\ev"il.exe' },
        ],
    ])('enrichment queries parse cleanly against Event, WindowsEvent and SecurityAlert (%s)', (_, input) => {
        const queries = buildEnrichmentQueries(input);
        expect(queries.length).toBeGreaterThanOrEqual(2);
        for (const query of queries) expectClean(query.kql);
    });

    describe('the NRT analytics rule', () => {
        const rule = loadAnalyticsRule();

        it('parses cleanly and keeps exactly the row columns (the demo preview reads rows through it)', () => {
            const result = expectClean(rule.query);
            expect([...result].sort()).toEqual(
                INCIDENT_ROW_COLUMNS.map((c) => `${c.name}:${c.type === 'boolean' ? 'bool' : c.type}`).sort(),
            );
            expect(rule.query).toMatch(/summarize\s+arg_max\(Version,\s*\*\)\s+by\s+IncidentId/);
        });

        it('maps only columns the query returns', () => {
            const columns = new Set(expectClean(rule.query).map((c) => c.split(':')[0]));
            const used = [
                ...rule.entityMappings.flatMap((m) => m.fieldMappings.map((f) => f.columnName)),
                ...Object.values(rule.customDetails),
                ...formatColumns(rule.alertDetailsOverride.alertDisplayNameFormat),
                ...formatColumns(rule.alertDetailsOverride.alertDescriptionFormat ?? ''),
                rule.alertDetailsOverride.alertSeverityColumnName!,
                rule.alertDetailsOverride.alertTacticsColumnName!,
            ];
            for (const column of used) expect(columns, column).toContain(column);
        });

        it('has the entities, techniques, details and grouping the issue asks for', () => {
            expect(rule.alertDetailsOverride.alertDisplayNameFormat).toBe(
                'Process injection: {{InjectorImage}} → {{TargetImage}} on {{Host}}',
            );
            expect(formatColumns(rule.alertDetailsOverride.alertDisplayNameFormat).length).toBeLessThanOrEqual(3);
            expect(
                rule.entityMappings.map((m) => `${m.entityType}:${m.fieldMappings.map((f) => f.identifier).join('+')}`),
            ).toEqual([
                'Host:HostName+DnsDomain',
                'Process:ProcessId+CommandLine+CreationTimeUtc',
                'Process:ProcessId+CommandLine+CreationTimeUtc',
                'File:Name+Directory',
                'File:Name+Directory',
            ]);
            for (const mapping of rule.entityMappings) expect(mapping.fieldMappings.length).toBeLessThanOrEqual(3);
            expect(rule.techniques).toEqual(['T1055', 'T1620']);
            expect(rule.subTechniques).toEqual(['T1055.001', 'T1055.002', 'T1055.003', 'T1055.012']);
            expect(rule.tactics).toEqual(['DefenseEvasion', 'PrivilegeEscalation']);
            expect(Object.keys(rule.customDetails)).toEqual(expect.arrayContaining(['Score', 'Signals', 'Version']));
            const grouping = rule.incidentConfiguration.groupingConfiguration;
            expect(grouping).toMatchObject({ enabled: true, matchingMethod: 'Selected' });
            for (const key of grouping.groupByCustomDetails ?? []) expect(rule.customDetails).toHaveProperty(key);
            expect(rule.customDetails[grouping.groupByCustomDetails![0]!]).toBe('IncidentId');
        });
    });
});
