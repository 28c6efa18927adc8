/**
 * Writes the OpenAPI document of the API (shared/api/openapi.ts) into the Logic Apps custom connector
 * (`Microsoft.Web/customApis`) of deploy/azuredeploy.json, so playbook authors get typed actions that match the
 * code. Run after changing the API: `npx tsx tools/deploy/syncConnectorSwagger.ts`; a test fails while they differ.
 */
import { format, resolveConfig } from 'prettier';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../../shared/api/openapi';

export const TEMPLATE_PATH = join(__dirname, '..', '..', 'deploy', 'azuredeploy.json');

/** The function app's host name, known only at deployment: an ARM expression in the template. */
export const CONNECTOR_HOST_EXPRESSION =
    "[reference(resourceId('Microsoft.Web/sites', variables('functionAppName')), '2024-04-01').defaultHostName]";

/** ARM reads a string that starts with '[' as an expression; '[[' keeps it literal (learn.microsoft.com, "Template syntax", escape characters). */
function escapeArm(value: unknown): unknown {
    if (typeof value === 'string') return value.startsWith('[') ? `[${value}` : value;
    if (Array.isArray(value)) return value.map(escapeArm);
    if (value !== null && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeArm(v)]));
    return value;
}

/** The swagger the connector should carry. */
export function connectorSwagger(): Record<string, unknown> {
    const document = escapeArm(openApiDocument('HOST')) as Record<string, unknown>;
    return { ...document, host: CONNECTOR_HOST_EXPRESSION };
}

interface Resource {
    type: string;
    properties: Record<string, unknown>;
}

if (require.main === module) {
    const template = JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as { resources: Resource[] };
    const connector = template.resources.find((r) => r.type === 'Microsoft.Web/customApis');
    if (!connector) throw new Error('deploy/azuredeploy.json has no Microsoft.Web/customApis resource');
    connector.properties.swagger = connectorSwagger();
    // Written as Prettier writes it, so `npm run format:check` passes on the regenerated template.
    void resolveConfig(TEMPLATE_PATH)
        .then((options) => format(JSON.stringify(template), { ...options, filepath: TEMPLATE_PATH }))
        .then((text) => {
            writeFileSync(TEMPLATE_PATH, text);
            process.stdout.write('deploy/azuredeploy.json: connector swagger written from shared/api/openapi.ts\n');
        });
}
