/**
 * What Sentinel makes of an uploaded incident row: the alert the NRT analytics rule of deploy/azuredeploy.json
 * raises for it (display name, severity, entities, custom details). Reads the rule from the template itself, so the
 * preview `npm run demo` prints cannot drift from what is deployed. The rule's query only keeps the newest version
 * per incident and passes the row's columns through unchanged (a test checks its result columns against the row
 * schema with the Kusto parser), so the row's values are the values the rule's mappings read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TEMPLATE_PATH = join(__dirname, '..', '..', 'deploy', 'azuredeploy.json');

export interface EntityMapping {
    entityType: string;
    fieldMappings: { identifier: string; columnName: string }[];
}

export interface AnalyticsRule {
    displayName: string;
    query: string;
    severity: string;
    tactics: string[];
    techniques: string[];
    subTechniques: string[];
    entityMappings: EntityMapping[];
    customDetails: Record<string, string>;
    alertDetailsOverride: {
        alertDisplayNameFormat: string;
        alertDescriptionFormat?: string;
        alertSeverityColumnName?: string;
        alertTacticsColumnName?: string;
    };
    incidentConfiguration: {
        createIncident: boolean;
        groupingConfiguration: { enabled: boolean; matchingMethod: string; groupByCustomDetails?: string[] };
    };
}

interface Resource {
    type: string;
    kind?: string;
    properties: Record<string, unknown>;
}

/** The NRT rule's properties as the template ships them. */
export function loadAnalyticsRule(templatePath = TEMPLATE_PATH): AnalyticsRule {
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { resources: Resource[] };
    const rule = template.resources.find((r) => r.type.endsWith('/alertRules') && r.kind === 'NRT');
    if (!rule) throw new Error(`${templatePath} has no NRT analytics rule`);
    return rule.properties as unknown as AnalyticsRule;
}

/** Columns a `{{Column}}` format names. */
export function formatColumns(format: string): string[] {
    return [...format.matchAll(/\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g)].map((m) => m[1]!);
}

function text(value: unknown): string {
    if (value === null || value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
}

function fill(format: string, row: Record<string, unknown>): string {
    return format.replace(/\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g, (_, column: string) => text(row[column]));
}

const SEVERITIES = new Set(['High', 'Medium', 'Low', 'Informational']);

export interface AlertPreview {
    displayName: string;
    description: string;
    severity: string;
    tactics: string[];
    entities: { entityType: string; identifiers: Record<string, string> }[];
    customDetails: Record<string, string>;
}

/**
 * The alert for one row. Entities whose identifiers are all empty are left out, as Sentinel leaves them out; the
 * severity falls back to the rule's own when the row's is not a Sentinel severity.
 */
export function previewAlert(rule: AnalyticsRule, row: Record<string, unknown>): AlertPreview {
    const override = rule.alertDetailsOverride;
    const rowSeverity = override.alertSeverityColumnName ? text(row[override.alertSeverityColumnName]) : '';
    const rowTactics = override.alertTacticsColumnName ? text(row[override.alertTacticsColumnName]) : '';
    const entities = rule.entityMappings
        .map((mapping) => ({
            entityType: mapping.entityType,
            identifiers: Object.fromEntries(
                mapping.fieldMappings
                    .map((f) => [f.identifier, text(row[f.columnName])] as const)
                    .filter(([, value]) => value !== ''),
            ),
        }))
        .filter((entity) => Object.keys(entity.identifiers).length > 0);
    return {
        displayName: fill(override.alertDisplayNameFormat, row),
        description: override.alertDescriptionFormat ? fill(override.alertDescriptionFormat, row) : '',
        severity: SEVERITIES.has(rowSeverity) ? rowSeverity : rule.severity,
        tactics: rowTactics ? rowTactics.split(',').map((t) => t.trim()) : rule.tactics,
        entities,
        customDetails: Object.fromEntries(
            Object.entries(rule.customDetails).map(([key, column]) => [key, text(row[column])]),
        ),
    };
}
