/**
 * deploy/azuredeploy.json, checked offline: it parses; its parameters and variables are all declared and all used;
 * every dependsOn, resourceId and reference names a resource of the template (or the existing workspace, a role
 * definition, a managed API); the role definition ids are the documented built-in ones; the app settings it writes
 * pass the project's own loadConfig; the DCR stream, the custom table and the publisher's row have the same columns.
 * The expressions are evaluated with the sample parameters (test/support/armTemplate.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/loadConfig';
import {
    INCIDENT_ROW_COLUMNS,
    INCIDENT_STREAM,
    INCIDENT_TABLE,
    tableColumnType,
} from '../../../shared/delivery/incidentRow';
import { connectorSwagger } from '../../../tools/deploy/syncConnectorSwagger';
import { ArmEvaluator, declaredResourceId, expressionsIn, str } from '../../support/armTemplate';
import type { Json, JsonObject } from '../../support/armTemplate';
import { registered } from '../../../tools/local/functionsRegistry';

const DEPLOY = resolve(__dirname, '../../../deploy');
const template = JSON.parse(readFileSync(resolve(DEPLOY, 'azuredeploy.json'), 'utf8')) as JsonObject;
const sample = JSON.parse(readFileSync(resolve(DEPLOY, 'azuredeploy.parameters.sample.json'), 'utf8')) as {
    parameters: Record<string, { value: Json }>;
};
const resources = template.resources as JsonObject[];

/**
 * Built-in role definition ids, from learn.microsoft.com/azure/role-based-access-control/built-in-roles (the same
 * GUIDs in every tenant).
 */
const BUILT_IN_ROLES: Record<string, string> = {
    'Azure Event Hubs Data Receiver': 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
    'Azure Event Hubs Data Sender': '2b629674-e913-4c01-ae53-ef4638d8f975',
    'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
    'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893',
    'Microsoft Sentinel Responder': '3e150937-b8fe-4cfb-8069-0eaf05ecd056',
    'Microsoft Sentinel Automation Contributor': 'f4c81013-99ee-4d62-a7ee-b3f1f648599a',
};

const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const TENANT = '22222222-2222-2222-2222-222222222222';
const RG = 'rg-sentinel';

function fakeGuid(seed: string): string {
    const h = [...seed]
        .reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7)
        .toString(16)
        .padStart(8, '0');
    return `${h}-0000-4000-8000-${h}${h.slice(0, 4)}`;
}

/**
 * What `reference()` returns after a real deployment, per resource type (shapes from the resource providers' REST
 * references: a DCR's immutableId is `dcr-` and 32 hex digits, a DCE's logs ingestion endpoint is
 * https://<name>-<id>.<region>-1.ingest.monitor.azure.com, an Event Hubs namespace's serviceBusEndpoint is
 * https://<name>.servicebus.windows.net:443/).
 */
function runtime(type: string, name: string): JsonObject {
    switch (type) {
        case 'microsoft.managedidentity/userassignedidentities':
            return {
                properties: {
                    clientId: fakeGuid(`client ${name}`),
                    principalId: fakeGuid(`principal ${name}`),
                    tenantId: TENANT,
                },
            };
        case 'microsoft.storage/storageaccounts':
            return {
                properties: {
                    primaryEndpoints: {
                        blob: `https://${name}.blob.core.windows.net/`,
                        queue: `https://${name}.queue.core.windows.net/`,
                        table: `https://${name}.table.core.windows.net/`,
                    },
                },
            };
        case 'microsoft.insights/components':
            return {
                properties: {
                    ConnectionString: `InstrumentationKey=${fakeGuid(name)};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/`,
                },
            };
        case 'microsoft.eventhub/namespaces':
            return { properties: { serviceBusEndpoint: `https://${name}.servicebus.windows.net:443/` } };
        case 'microsoft.operationalinsights/workspaces':
            return { properties: { customerId: fakeGuid(`workspace ${name}`) } };
        case 'microsoft.insights/datacollectionendpoints':
            return {
                properties: {
                    logsIngestion: { endpoint: `https://${name}-a1b2.westeurope-1.ingest.monitor.azure.com` },
                },
            };
        case 'microsoft.insights/datacollectionrules':
            return { properties: { immutableId: 'dcr-0123456789abcdef0123456789abcdef' } };
        case 'microsoft.web/sites':
            return { properties: { defaultHostName: `${name}.azurewebsites.net` } };
        case 'microsoft.logic/workflows':
            return {
                identity: { type: 'SystemAssigned', principalId: fakeGuid(`logic ${name}`), tenantId: TENANT },
                properties: {},
            };
        default:
            throw new Error(`no simulated runtime properties for ${type}`);
    }
}

function newEvaluator(parameters: Record<string, Json> = {}, candidate: JsonObject = template): ArmEvaluator {
    const values = Object.fromEntries(Object.entries(sample.parameters).map(([k, v]) => [k, v.value]));
    return new ArmEvaluator(candidate, {
        subscriptionId: SUBSCRIPTION,
        tenantId: TENANT,
        resourceGroup: RG,
        location: 'westeurope',
        parameters: { ...values, ...parameters },
        runtime,
    });
}

function ofType(type: string): JsonObject[] {
    return resources.filter((r) => r.type === type);
}

/** Resources the template uses but does not declare: the existing workspace and platform-owned ids. */
function isExternal(id: string): boolean {
    return (
        id ===
            `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.OperationalInsights/workspaces/${str(sample.parameters.workspaceName!.value)}` ||
        id.startsWith(`/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/`) ||
        id.startsWith(`/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Web/locations/`)
    );
}

/** Every dependsOn, resource id and reference target of a template that is neither declared in it nor external. */
function unresolvedReferences(candidate: JsonObject): string[] {
    const check = newEvaluator({}, candidate);
    const candidates = candidate.resources as JsonObject[];
    const ids = new Set(candidates.map((r) => declaredResourceId(check, r)));
    const problems: string[] = [];
    for (const resource of candidates) {
        check.value(resource);
        for (const dependency of (resource.dependsOn as string[] | undefined) ?? []) {
            const id = str(check.value(dependency));
            if (!ids.has(id)) problems.push(`${str(resource.type)} dependsOn ${id}`);
        }
    }
    check.value(candidate.outputs!);
    for (const call of check.calls) {
        const id =
            call.name === 'reference'
                ? str(call.args[0])
                : call.name.endsWith('resourceid')
                  ? str(call.result)
                  : undefined;
        if (id !== undefined && !ids.has(id) && !isExternal(id) && !problems.some((p) => p.endsWith(id)))
            problems.push(`${call.name}: ${id}`);
    }
    return problems;
}

describe('deploy/azuredeploy.json', () => {
    let evaluator: ArmEvaluator;
    let declared: Set<string>;
    let evaluated: JsonObject[];

    beforeAll(() => {
        evaluator = newEvaluator();
        declared = new Set(resources.map((r) => declaredResourceId(evaluator, r)));
        evaluated = resources.map((r) => evaluator.value(r) as JsonObject);
        evaluator.value(template.outputs!);
    });

    it('is an ARM deployment template', () => {
        expect(template.$schema).toBe(
            'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
        );
        expect(template.contentVersion).toBe('1.0.0.0');
        expect(declared.size).toBe(resources.length);
    });

    it('every parameter and variable referenced is declared, and every declared one is used', () => {
        const texts = expressionsIn(template).map((e) => e.text);
        const used = (kind: string) =>
            new Set(texts.flatMap((t) => [...t.matchAll(new RegExp(`${kind}\\('([^']+)'\\)`, 'g'))].map((m) => m[1]!)));
        const parameters = Object.keys(template.parameters as object);
        const variables = Object.keys(template.variables as object);
        expect([...used('parameters')].sort()).toEqual([...parameters].sort());
        expect([...used('variables')].sort()).toEqual([...variables].sort());
        for (const [name, definition] of Object.entries(template.parameters as Record<string, JsonObject>))
            expect((definition.metadata as JsonObject | undefined)?.description, `${name} is explained`).toBeTruthy();
    });

    it('the sample parameters are declared, and give every parameter without a default', () => {
        const declaredNames = Object.keys(template.parameters as object);
        for (const name of Object.keys(sample.parameters)) expect(declaredNames).toContain(name);
        for (const [name, definition] of Object.entries(template.parameters as Record<string, JsonObject>))
            if (!('defaultValue' in definition)) expect(sample.parameters, name).toHaveProperty(name);
    });

    it('every dependsOn, resourceId, extensionResourceId and reference names a resource of the template or a known external one', () => {
        expect(evaluator.calls.filter((c) => c.name.endsWith('resourceid')).length).toBeGreaterThan(20);
        expect(unresolvedReferences(template)).toEqual([]);
    });

    it('the reference check catches a dependsOn and a resourceId naming a resource the template does not declare', () => {
        const broken = JSON.parse(JSON.stringify(template)) as JsonObject;
        const site = (broken.resources as JsonObject[]).find((r) => r.type === 'Microsoft.Web/sites')!;
        (site.dependsOn as string[]).push("[resourceId('Microsoft.Web/serverfarms', 'no-such-plan')]");
        (site.properties as JsonObject).serverFarmId =
            "[resourceId('Microsoft.Web/serverFarms', concat(variables('planName'), 'x'))]";
        expect(unresolvedReferences(broken)).toEqual([
            expect.stringContaining('dependsOn'),
            expect.stringContaining(`/providers/Microsoft.Web/serverFarms/`),
        ]);
    });

    it('the location parameter places every regional resource (no hard-coded region)', () => {
        for (const resource of resources.filter((r) => 'location' in r))
            expect(resource.location, str(resource.type)).toBe("[parameters('location')]");
    });

    it('role assignments use the documented built-in role ids and give each principal what the issue lists', () => {
        const documented = new Map(Object.entries(BUILT_IN_ROLES).map(([name, id]) => [id, name]));
        const grants: string[] = [];
        const assignments = evaluated.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
        for (const assignment of assignments) {
            const properties = assignment.properties as JsonObject;
            const roleId = str(properties.roleDefinitionId).split('/').pop()!;
            expect(documented.has(roleId), `${roleId} is a documented built-in role`).toBe(true);
            expect(properties.principalType).toBe('ServicePrincipal');
            // 'Microsoft.X/a/name/b/name' -> 'Microsoft.X/a/b'; resourceGroup().id -> 'resourceGroup'
            const scope = str(assignment.scope);
            const parts = scope.split('/');
            const scopeType = scope.startsWith('/subscriptions/')
                ? 'resourceGroup'
                : [parts[0], ...parts.filter((_, i) => i % 2 === 1)].join('/');
            grants.push(`${documented.get(roleId)!} on ${scopeType}`);
        }
        expect(grants.sort()).toEqual(
            [
                'Storage Blob Data Owner on Microsoft.Storage/storageAccounts',
                'Storage Queue Data Contributor on Microsoft.Storage/storageAccounts',
                'Storage Table Data Contributor on Microsoft.Storage/storageAccounts',
                'Azure Event Hubs Data Receiver on Microsoft.EventHub/namespaces',
                'Azure Event Hubs Data Sender on Microsoft.EventHub/namespaces/eventhubs',
                'Monitoring Metrics Publisher on Microsoft.Insights/dataCollectionRules',
                'Monitoring Metrics Publisher on Microsoft.Insights/components',
                'Log Analytics Reader on Microsoft.OperationalInsights/workspaces',
                'Microsoft Sentinel Responder on Microsoft.OperationalInsights/workspaces',
                'Microsoft Sentinel Automation Contributor on resourceGroup',
            ].sort(),
        );
        // Names are deterministic per (scope, principal, role), so a redeployment updates instead of duplicating.
        for (const assignment of ofType('Microsoft.Authorization/roleAssignments'))
            expect(str(assignment.name)).toMatch(/^\[guid\(/);
    });

    describe('app settings of the function app', () => {
        function settings(evaluatorFor: ArmEvaluator): Record<string, string> {
            const site = resources.find((r) => r.type === 'Microsoft.Web/sites')!;
            const value = evaluatorFor.value(
                ((site.properties as JsonObject).siteConfig as JsonObject).appSettings!,
            ) as {
                name: string;
                value: Json;
            }[];
            return Object.fromEntries(value.map((s) => [s.name, str(s.value)]));
        }

        it('pass loadConfig: identity-based storage, Event Hubs forwarding, workspace queries and Sentinel delivery', () => {
            const env = settings(evaluator);
            const config = loadConfig(env);
            expect(config.storage).toMatchObject({
                kind: 'managedIdentity',
                tableEndpoint: expect.stringMatching(/^https:\/\/.+\.table\.core\.windows\.net\/?$/),
            });
            expect(config.forwarding).toMatchObject({
                mode: 'eventHub',
                eventHubName: 'sysmon-by-host',
                connection: {
                    kind: 'managedIdentity',
                    fullyQualifiedNamespace: expect.stringMatching(/^[\w-]+\.servicebus\.windows\.net$/),
                },
            });
            expect(config.workspace?.workspaceId).toMatch(/^[0-9a-f-]{36}$/);
            expect(config.sentinel).toMatchObject({
                dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef',
                streamName: INCIDENT_STREAM,
            });
            expect(config.sentinel?.endpoint).toMatch(/^https:\/\/.+\.ingest\.monitor\.azure\.com$/);
            expect(config.sentinel?.clientId).toBe(env.AZURE_CLIENT_ID);
        });

        it('with and without Entra ID, the HTTP authentication setting is valid', () => {
            expect(settings(evaluator).HOLLOWTRACE_HTTP_AUTH).toBe('entraId');
            const withKeys = newEvaluator({ entraAppClientId: '' });
            expect(settings(withKeys).HOLLOWTRACE_HTTP_AUTH).toBe('functionKey');
            expect(() => loadConfig(settings(withKeys))).not.toThrow();
        });

        it('name every connection and setting the triggers use, identity-based, and no secret', async () => {
            const env = settings(evaluator);
            // Register the triggers the way the host does with these settings (stage 2 registers only in eventHub mode).
            const saved = { ...process.env };
            Object.assign(process.env, env);
            try {
                for (const file of ['ingestSysmonEvents', 'correlateHollowing'])
                    await import(`../../../functions/${file}`);
            } finally {
                process.env = saved;
            }
            const eventHubTriggers = registered
                .flatMap((r) => Object.values(r.metadata.bindings))
                .filter((b) => b.type === 'eventHubTrigger') as Record<string, string>[];
            expect(eventHubTriggers.length).toBeGreaterThanOrEqual(2);
            for (const trigger of eventHubTriggers) {
                expect(env[`${trigger.connection}__fullyQualifiedNamespace`]).toMatch(/\.servicebus\.windows\.net$/);
                expect(env[`${trigger.connection}__credential`]).toBe('managedidentity');
                for (const placeholder of [trigger.eventHubName, trigger.consumerGroup])
                    expect(env[/^%(.+)%$/.exec(placeholder!)![1]!], placeholder).toBeTruthy();
            }
            expect(env.AzureWebJobsStorage__credential).toBe('managedidentity');
            for (const [name, value] of Object.entries(env)) {
                expect(value, name).not.toMatch(/AccountKey=|SharedAccessKey=|UseDevelopmentStorage/);
                expect(name, 'Flex Consumption sets the runtime in functionAppConfig').not.toMatch(
                    /^FUNCTIONS_(WORKER_RUNTIME|EXTENSION_VERSION)$/,
                );
            }
        });
    });

    it('the function app: Flex Consumption, Node 20, user-assigned identity, deployment storage by identity; storage without shared keys', () => {
        const plan = ofType('Microsoft.Web/serverfarms')[0]!;
        expect(plan.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
        const site = evaluated.find((r) => r.type === 'Microsoft.Web/sites')!;
        expect(site.kind).toBe('functionapp,linux');
        expect((site.identity as JsonObject).type).toBe('UserAssigned');
        const config = (site.properties as JsonObject).functionAppConfig as JsonObject;
        expect(config.runtime).toEqual({ name: 'node', version: '20' });
        expect(((config.deployment as JsonObject).storage as JsonObject).authentication).toMatchObject({
            type: 'UserAssignedIdentity',
        });
        const storage = ofType('Microsoft.Storage/storageAccounts')[0]!;
        expect((storage.properties as JsonObject).allowSharedKeyAccess).toBe(false);
        expect((ofType('Microsoft.EventHub/namespaces')[0]!.properties as JsonObject).disableLocalAuth).toBe(true);
        expect((ofType('Microsoft.Insights/components')[0]!.properties as JsonObject).WorkspaceResourceId).toBe(
            "[variables('workspaceResourceId')]",
        );
        expect(ofType('Microsoft.EventHub/namespaces/eventhubs')).toHaveLength(2);
        expect(ofType('Microsoft.EventHub/namespaces/eventhubs/consumergroups')).toHaveLength(2);
    });

    it('the DCR stream, the custom table and the publisher row have the same columns and types', () => {
        const row = INCIDENT_ROW_COLUMNS.map((c) => `${c.name}:${c.type}`);
        const dcr = evaluated.find((r) => r.type === 'Microsoft.Insights/dataCollectionRules')!
            .properties as JsonObject;
        const stream = (dcr.streamDeclarations as Record<string, { columns: { name: string; type: string }[] }>)[
            INCIDENT_STREAM
        ]!;
        expect(stream.columns.map((c) => `${c.name}:${c.type}`)).toEqual(row);
        const flow = (dcr.dataFlows as JsonObject[])[0]!;
        expect(flow).toMatchObject({
            streams: [INCIDENT_STREAM],
            outputStream: `Custom-${INCIDENT_TABLE}`,
            transformKql: 'source',
        });

        const table = evaluated.find((r) => r.type === 'Microsoft.OperationalInsights/workspaces/tables')!;
        expect(str(table.name)).toBe(`${str(sample.parameters.workspaceName!.value)}/${INCIDENT_TABLE}`);
        const schema = (table.properties as JsonObject).schema as {
            name: string;
            columns: { name: string; type: string; description: string }[];
        };
        expect(schema.name).toBe(INCIDENT_TABLE);
        expect(schema.columns).toEqual(
            INCIDENT_ROW_COLUMNS.map((c) => ({
                name: c.name,
                type: tableColumnType(c.type),
                description: c.description,
            })),
        );
    });

    it("the custom connector carries the API's OpenAPI document (regenerate: npx tsx tools/deploy/syncConnectorSwagger.ts)", () => {
        const connector = ofType('Microsoft.Web/customApis')[0]!;
        expect((connector.properties as JsonObject).swagger).toEqual(connectorSwagger());
        const evaluatedSwagger = (
            evaluated.find((r) => r.type === 'Microsoft.Web/customApis')!.properties as JsonObject
        ).swagger as JsonObject;
        expect(evaluatedSwagger.host).toMatch(/\.azurewebsites\.net$/);
        expect(Object.keys(evaluatedSwagger.paths as object)).toContain('/incidents/enrich');
    });

    it('Easy Auth (Entra ID) admits only the playbook identity and keeps /api/health open', () => {
        const auth = evaluated.find((r) => r.type === 'Microsoft.Web/sites/config')!;
        const properties = auth.properties as JsonObject;
        expect(properties.globalValidation).toMatchObject({
            requireAuthentication: true,
            unauthenticatedClientAction: 'Return401',
            excludedPaths: ['/api/health'],
        });
        const aad = (properties.identityProviders as JsonObject).azureActiveDirectory as JsonObject;
        const playbook = runtime('microsoft.logic/workflows', 'hollowtrace-Enrich-Incident').identity as JsonObject;
        expect(((aad.validation as JsonObject).defaultAuthorizationPolicy as JsonObject).allowedPrincipals).toEqual({
            identities: [playbook.principalId],
        });
        expect(str((aad.registration as JsonObject).openIdIssuer)).toBe(
            `https://login.microsoftonline.com/${TENANT}/v2.0`,
        );
    });
});
