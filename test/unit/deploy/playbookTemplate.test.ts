/**
 * The sample playbook (deploy/playbook/azuredeploy.json) is consistent: valid JSON, every runAfter names an action
 * that exists, the trigger is the incident trigger, the HTTP action calls the enrich route with the key from a secure
 * parameter, and the write-back uses the fields the API answers with (openapi.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../shared/api/openapi';

type Json = Record<string, unknown>;
const template = JSON.parse(
    readFileSync(resolve(__dirname, '../../../deploy/playbook/azuredeploy.json'), 'utf8'),
) as Json;
const workflow = (template.resources as Json[]).find((r) => r.type === 'Microsoft.Logic/workflows')!;
const definition = (workflow.properties as Json).definition as Json;

function allActions(actions: Json): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const [name, action] of Object.entries(actions) as [string, Json][]) {
        out[name] = action;
        if (action.actions) Object.assign(out, allActions(action.actions as Json));
        if ((action.else as Json | undefined)?.actions)
            Object.assign(out, allActions((action.else as Json).actions as Json));
    }
    return out;
}

describe('sample playbook ARM template', () => {
    const actions = allActions(definition.actions as Json);

    it('is triggered by the Microsoft Sentinel incident trigger', () => {
        const trigger = (definition.triggers as Record<string, Json>).Microsoft_Sentinel_incident!;
        expect(trigger.type).toBe('ApiConnectionWebhook');
        expect((trigger.inputs as Json).path).toBe('/incident-creation');
    });

    it('every runAfter refers to an action in the same scope', () => {
        for (const [name, action] of Object.entries(actions)) {
            for (const dependency of Object.keys((action.runAfter as Json | undefined) ?? {}))
                expect(actions, `${name} runs after ${dependency}`).toHaveProperty(dependency);
        }
    });

    it('posts the trigger body to the enrich route with the key from a secure parameter, and hides the inputs from run history', () => {
        const call = actions.Call_hollowtrace_enrich!;
        const inputs = call.inputs as Json;
        expect(inputs.uri).toMatch(/\/api\/incidents\/enrich$/);
        expect((inputs.headers as Json)['x-functions-key']).toBe("@{parameters('FunctionKey')}");
        expect(inputs.body).toBe('@triggerBody()');
        expect((template.parameters as Record<string, Json>).FunctionKey!.type).toBe('securestring');
        expect(call.runtimeConfiguration).toEqual({ secureData: { properties: ['inputs'] } });
    });

    it('writes back the comment, tags and severity the API answers with', () => {
        const answer = ((openApiDocument('x').paths as Json)['/incidents/enrich'] as Json).post as Json;
        const fields = Object.keys((((answer.responses as Json)['200'] as Json).schema as Json).properties as Json);
        expect(fields).toEqual(expect.arrayContaining(['matched', 'comment', 'tags', 'severity']));
        expect(((actions['Add_comment_to_incident_(V3)']!.inputs as Json).body as Json).message).toContain(
            "['comment']?['html']",
        );
        expect((actions.Update_incident!.inputs as Json).path).toBe('/Incidents');
        expect(JSON.stringify(actions.Update_incident)).toContain("body('Select_tags')");
    });
});
