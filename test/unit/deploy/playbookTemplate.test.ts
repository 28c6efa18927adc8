/**
 * The enrichment playbook, as the standalone template (deploy/playbook/azuredeploy.json) and as part of
 * deploy/azuredeploy.json: one workflow definition in both; Azure-Sentinel playbook conventions; it never lowers an
 * incident's severity; it comments when hollowtrace cannot be reached; it calls with its managed identity (Entra ID)
 * when an audience is given, with a function key otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../shared/api/openapi';
import { ArmEvaluator } from '../../support/armTemplate';
import type { Json, JsonObject } from '../../support/armTemplate';

const DEPLOY = resolve(__dirname, '../../../deploy');
const standalone = JSON.parse(readFileSync(resolve(DEPLOY, 'playbook/azuredeploy.json'), 'utf8')) as JsonObject;
const main = JSON.parse(readFileSync(resolve(DEPLOY, 'azuredeploy.json'), 'utf8')) as JsonObject;

function workflowOf(template: JsonObject): JsonObject {
    return (template.resources as JsonObject[]).find((r) => r.type === 'Microsoft.Logic/workflows')!;
}
const workflow = workflowOf(standalone);
const definition = (workflow.properties as JsonObject).definition as JsonObject;

function allActions(actions: JsonObject): Record<string, JsonObject> {
    const out: Record<string, JsonObject> = {};
    for (const [name, action] of Object.entries(actions) as [string, JsonObject][]) {
        out[name] = action;
        if (action.actions) Object.assign(out, allActions(action.actions as JsonObject));
        if ((action.else as JsonObject | undefined)?.actions)
            Object.assign(out, allActions((action.else as JsonObject).actions as JsonObject));
    }
    return out;
}
const actions = allActions(definition.actions as JsonObject);

function evaluator(parameters: Record<string, Json>): ArmEvaluator {
    return new ArmEvaluator(standalone, {
        subscriptionId: '11111111-1111-1111-1111-111111111111',
        tenantId: '22222222-2222-2222-2222-222222222222',
        resourceGroup: 'rg',
        location: 'westeurope',
        parameters: { FunctionAppUrl: 'https://fn.azurewebsites.net', ...parameters },
    });
}

function callInputs(parameters: Record<string, Json>): JsonObject {
    const evaluated = evaluator(parameters).value(workflow) as JsonObject;
    const evaluatedActions = ((evaluated.properties as JsonObject).definition as JsonObject).actions as JsonObject;
    return (evaluatedActions.Call_hollowtrace_enrich as JsonObject).inputs as JsonObject;
}

describe('enrichment playbook', () => {
    it('is the same workflow in the standalone template and in deploy/azuredeploy.json', () => {
        const inMain = (workflowOf(main).properties as JsonObject).definition;
        expect(inMain).toEqual(definition);
        expect(workflowOf(main).tags).toEqual(workflow.tags);
        // The ARM variables the definition uses mean the same in both templates.
        for (const name of ['enrichCall'])
            expect((main.variables as JsonObject)[name]).toEqual((standalone.variables as JsonObject)[name]);
    });

    it('follows the Azure-Sentinel playbook conventions', () => {
        const metadata = standalone.metadata as JsonObject;
        for (const field of [
            'title',
            'description',
            'prerequisites',
            'postDeployment',
            'entities',
            'tags',
            'author',
            'support',
            'lastUpdateTime',
        ])
            expect(metadata, field).toHaveProperty(field);
        expect(JSON.stringify(metadata.postDeployment)).toContain('Microsoft Sentinel Responder');
        expect(workflow.tags).toEqual({
            'hidden-SentinelTemplateName': 'hollowtrace-Enrich-Incident',
            'hidden-SentinelTemplateVersion': '1.1',
        });
        expect((standalone.parameters as JsonObject).location).toEqual(
            expect.objectContaining({ defaultValue: '[resourceGroup().location]' }),
        );
        for (const resource of standalone.resources as JsonObject[])
            expect(resource.location).toBe("[parameters('location')]");
        expect(JSON.stringify(standalone.resources)).not.toContain('resourceGroup().location');
        expect(existsSync(resolve(DEPLOY, 'playbook/readme.md'))).toBe(true);
    });

    it('is triggered by the Microsoft Sentinel incident trigger', () => {
        const trigger = (definition.triggers as Record<string, JsonObject>).Microsoft_Sentinel_incident!;
        expect(trigger.type).toBe('ApiConnectionWebhook');
        expect((trigger.inputs as JsonObject).path).toBe('/incident-creation');
    });

    it('every runAfter refers to an action in the same workflow', () => {
        for (const [name, action] of Object.entries(actions))
            for (const dependency of Object.keys((action.runAfter as JsonObject | undefined) ?? {}))
                expect(actions, `${name} runs after ${dependency}`).toHaveProperty(dependency);
    });

    it('Entra ID: with an audience the call authenticates with the managed identity; without, with the function key', () => {
        const identity = callInputs({ FunctionAppAudience: 'api://hollowtrace' });
        expect(identity.authentication).toEqual({ type: 'ManagedServiceIdentity', audience: 'api://hollowtrace' });
        const keyed = callInputs({ FunctionKey: 'k' });
        expect(keyed.authentication).toBeUndefined();
        expect((keyed.headers as JsonObject)['x-functions-key']).toBe("@{parameters('FunctionKey')}");
        expect(keyed.uri).toBe("@{parameters('FunctionAppUrl')}/api/incidents/enrich");
        expect(keyed.body).toBe('@triggerBody()');
        expect((standalone.parameters as JsonObject).FunctionKey).toMatchObject({ type: 'securestring' });
        expect(actions.Call_hollowtrace_enrich!.runtimeConfiguration).toEqual({
            secureData: { properties: ['inputs'] },
        });
    });

    it('never lowers severity: the only severity write sits under a strict "hollowtrace ranks higher" condition', () => {
        const writers = Object.entries(actions).filter(([, a]) =>
            JSON.stringify((a.inputs as JsonObject | undefined)?.body ?? {}).includes('"severity"'),
        );
        expect(writers.map(([name]) => name)).toEqual(['Raise_incident_severity']);
        const guard = actions.If_hollowtrace_severity_is_higher!;
        expect(Object.keys(guard.actions as JsonObject)).toEqual(['Raise_incident_severity']);
        const [greater] = (guard.expression as { and: { greater?: string[] }[] }).and;
        expect(greater!.greater![0]).toContain("body('Parse_hollowtrace_answer')?['severity']");
        expect(greater!.greater![1]).toContain("triggerBody()?['object']?['properties']?['severity']");
        // The rank table orders Sentinel's severities.
        expect(actions.Severity_rank!.inputs).toEqual({ Informational: 0, Low: 1, Medium: 2, High: 3 });
        // Tags are added without touching severity.
        expect(JSON.stringify(actions.Add_tags_to_incident!.inputs)).not.toContain('severity');
    });

    it('comments with the time and the HTTP status when hollowtrace fails or times out', () => {
        const failure = actions.Comment_enrichment_failed!;
        expect(failure.runAfter).toEqual({ Parse_hollowtrace_answer: ['Failed', 'Skipped', 'TimedOut'] });
        const message = str(((failure.inputs as JsonObject).body as JsonObject).message);
        expect(message).toContain('@{utcNow()}');
        expect(message).toContain("outputs('Call_hollowtrace_enrich')?['statusCode']");
        expect(actions.Call_hollowtrace_enrich!.limit).toEqual({ timeout: 'PT2M' });
    });

    it('writes back the comment and tags the API answers with', () => {
        const answer = ((openApiDocument('x').paths as JsonObject)['/incidents/enrich'] as JsonObject)
            .post as JsonObject;
        const fields = Object.keys(
            (((answer.responses as JsonObject)['200'] as JsonObject).schema as JsonObject).properties as JsonObject,
        );
        expect(fields).toEqual(expect.arrayContaining(['matched', 'comment', 'tags', 'severity']));
        expect(((actions['Add_comment_to_incident_(V3)']!.inputs as JsonObject).body as JsonObject).message).toContain(
            "['comment']?['html']",
        );
        expect(JSON.stringify(actions.Add_tags_to_incident)).toContain("body('Select_tags')");
    });
});

function str(value: Json | undefined): string {
    if (typeof value !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
    return value;
}
