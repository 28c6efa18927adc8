/**
 * A small evaluator of ARM template expressions (learn.microsoft.com, "Template functions"), enough to check our
 * templates offline: parameters and variables are substituted, resource ids are built the way Resource Manager
 * builds them, and `reference()` answers with simulated runtime properties per resource type (the properties a real
 * deployment returns, e.g. a DCR's `immutableId`). Unknown functions throw, so a template using one fails its test
 * instead of being half-checked.
 */
import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ArmContext {
    subscriptionId: string;
    tenantId: string;
    resourceGroup: string;
    location: string;
    /** Values of the template's parameters (defaults are evaluated for the missing ones). */
    parameters: Record<string, Json>;
    /** Simulated `reference()` answers by resource type (lower case). */
    runtime?: (type: string, name: string) => JsonObject;
}

/** Every call of a function seen while evaluating, with its evaluated arguments (for the reference checks). */
export interface Call {
    name: string;
    args: Json[];
    result: Json;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

type Node =
    | { kind: 'literal'; value: Json }
    | { kind: 'call'; name: string; args: Node[] }
    | { kind: 'member'; target: Node; key: Node };

class Parser {
    private i = 0;
    constructor(private readonly text: string) {}

    parse(): Node {
        const node = this.expression();
        this.space();
        if (this.i !== this.text.length)
            throw new Error(`unexpected ${JSON.stringify(this.text.slice(this.i))} in ${this.text}`);
        return node;
    }

    private space(): void {
        while (/\s/.test(this.text.charAt(this.i))) this.i++;
    }

    private expression(): Node {
        this.space();
        let node = this.primary();
        for (;;) {
            this.space();
            const c = this.text.charAt(this.i);
            if (c === '.') {
                this.i++;
                const name = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.i))?.[0];
                if (!name) throw new Error(`property name expected at ${this.i} in ${this.text}`);
                this.i += name.length;
                node = { kind: 'member', target: node, key: { kind: 'literal', value: name } };
            } else if (c === '[') {
                this.i++;
                const key = this.expression();
                this.space();
                if (this.text.charAt(this.i) !== ']') throw new Error(`] expected in ${this.text}`);
                this.i++;
                node = { kind: 'member', target: node, key };
            } else return node;
        }
    }

    private primary(): Node {
        const c = this.text.charAt(this.i);
        if (c === "'") {
            let value = '';
            this.i++;
            for (;;) {
                if (this.i >= this.text.length) throw new Error(`unterminated string in ${this.text}`);
                const ch = this.text.charAt(this.i++);
                if (ch === "'") {
                    if (this.text.charAt(this.i) === "'") {
                        value += "'";
                        this.i++;
                    } else break;
                } else value += ch;
            }
            return { kind: 'literal', value };
        }
        const number = /^-?\d+/.exec(this.text.slice(this.i))?.[0];
        if (number) {
            this.i += number.length;
            return { kind: 'literal', value: Number(number) };
        }
        const name = /^[A-Za-z_][\w.]*/.exec(this.text.slice(this.i))?.[0];
        if (!name) throw new Error(`expression expected at ${this.i} in ${this.text}`);
        this.i += name.length;
        this.space();
        if (this.text.charAt(this.i) !== '(') throw new Error(`( expected after ${name} in ${this.text}`);
        this.i++;
        const args: Node[] = [];
        this.space();
        if (this.text.charAt(this.i) === ')') this.i++;
        else
            for (;;) {
                args.push(this.expression());
                this.space();
                const next = this.text.charAt(this.i++);
                if (next === ')') break;
                if (next !== ',') throw new Error(`, or ) expected in ${this.text}`);
            }
        return { kind: 'call', name: name.toLowerCase(), args };
    }
}

/** A JSON value that must be a string (or a number or boolean, spelled as JSON does). */
export function str(value: Json | undefined): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return `${value}`;
    throw new Error(`expected a string, got ${JSON.stringify(value)}`);
}

/** Whether a JSON string is an ARM expression (`[...]`, not the `[[` escape). */
export function isExpression(value: string): boolean {
    return value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

export function parseExpression(value: string): Node {
    return new Parser(value.slice(1, -1)).parse();
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------------------

function hex(...parts: string[]): string {
    return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** Deterministic stand-ins with the documented shapes: 13 characters for uniqueString, a GUID for guid. */
function uniqueString(...parts: string[]): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    return [...Buffer.from(hex(...parts), 'hex').subarray(0, 13)].map((b) => alphabet[b % 32]).join('');
}

function guid(...parts: string[]): string {
    const h = hex(...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `/providers/A.B/t1/n1/t2/n2` from a type `A.B/t1/t2` and names `n1, n2`. */
export function resourcePath(type: string, names: string[]): string {
    const [namespace, ...types] = type.split('/');
    if (types.length !== names.length)
        throw new Error(`resource type ${type} needs ${types.length} names, got ${names.length}`);
    return `/providers/${namespace}/${types.map((t, i) => `${t}/${names[i]}`).join('/')}`;
}

export class ArmEvaluator {
    readonly calls: Call[] = [];
    private readonly variableCache = new Map<string, Json>();
    private readonly parameterValues: Record<string, Json> = {};
    private readonly evaluating = new Set<string>();

    constructor(
        private readonly template: JsonObject,
        private readonly context: ArmContext,
    ) {
        const declared = (template.parameters ?? {}) as Record<string, JsonObject>;
        for (const [name, definition] of Object.entries(declared)) {
            if (name in context.parameters) this.parameterValues[name] = context.parameters[name]!;
            else if ('defaultValue' in definition) this.parameterValues[name] = this.value(definition.defaultValue);
            else throw new Error(`parameter ${name} has no value and no default`);
        }
    }

    get resourceGroupId(): string {
        return `/subscriptions/${this.context.subscriptionId}/resourceGroups/${this.context.resourceGroup}`;
    }

    /** Evaluates every expression inside a JSON value. */
    value(input: Json): Json {
        if (typeof input === 'string') {
            if (isExpression(input)) return this.evaluate(parseExpression(input));
            return input.startsWith('[[') ? input.slice(1) : input;
        }
        if (Array.isArray(input)) return input.map((item) => this.value(item));
        if (input !== null && typeof input === 'object')
            return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, this.value(v)]));
        return input;
    }

    variable(name: string): Json {
        const cached = this.variableCache.get(name);
        if (cached !== undefined) return cached;
        const variables = (this.template.variables ?? {}) as JsonObject;
        if (!(name in variables)) throw new Error(`variables('${name}') is not declared`);
        if (this.evaluating.has(name)) throw new Error(`variable ${name} refers to itself`);
        this.evaluating.add(name);
        const result = this.value(variables[name]!);
        this.evaluating.delete(name);
        this.variableCache.set(name, result);
        return result;
    }

    private evaluate(node: Node): Json {
        switch (node.kind) {
            case 'literal':
                return node.value;
            case 'member': {
                const target = this.evaluate(node.target);
                const key = this.evaluate(node.key);
                if (target === null || typeof target !== 'object')
                    throw new Error(`cannot read ${str(key)} of ${JSON.stringify(target)}`);
                const found = Array.isArray(target) ? target[Number(key)] : target[str(key)];
                if (found === undefined) throw new Error(`no property ${str(key)} in ${JSON.stringify(target)}`);
                return found;
            }
            case 'call': {
                const args = node.args.map((a) => this.evaluate(a));
                const result = this.call(node.name, args);
                this.calls.push({ name: node.name, args, result });
                return result;
            }
        }
    }

    private call(name: string, args: Json[]): Json {
        const s = (i: number): string => {
            const v = args[i];
            if (typeof v !== 'string') throw new Error(`${name}: argument ${i} is not a string: ${JSON.stringify(v)}`);
            return v;
        };
        const c = this.context;
        switch (name) {
            case 'parameters':
                if (!(s(0) in this.parameterValues)) throw new Error(`parameters('${s(0)}') is not declared`);
                return this.parameterValues[s(0)]!;
            case 'variables':
                return this.variable(s(0));
            case 'concat':
                if (args.every(Array.isArray)) return (args as Json[][]).flat();
                return args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join('');
            case 'format':
                return s(0).replace(/\{(\d+)\}/g, (_, i: string) => str(args[Number(i) + 1]));
            case 'tolower':
                return s(0).toLowerCase();
            case 'replace':
                return s(0).split(s(1)).join(s(2));
            case 'take':
                return typeof args[0] === 'string'
                    ? s(0).slice(0, Number(args[1]))
                    : (args[0] as Json[]).slice(0, Number(args[1]));
            case 'uniquestring':
                return uniqueString(...args.map(String));
            case 'guid':
                return guid(...args.map(String));
            case 'if':
                return args[0] === true ? args[1]! : args[2]!;
            case 'equals':
                return JSON.stringify(args[0]) === JSON.stringify(args[1]);
            case 'not':
                return args[0] !== true;
            case 'and':
                return args.every((a) => a === true);
            case 'or':
                return args.some((a) => a === true);
            case 'empty':
                return (
                    args[0] === null ||
                    args[0] === '' ||
                    (Array.isArray(args[0]) && args[0].length === 0) ||
                    (typeof args[0] === 'object' && Object.keys(args[0]).length === 0)
                );
            case 'true':
                return true;
            case 'false':
                return false;
            case 'union':
                return Object.assign({}, ...(args as JsonObject[])) as JsonObject;
            case 'createobject': {
                const out: JsonObject = {};
                for (let i = 0; i < args.length; i += 2) out[s(i)] = args[i + 1]!;
                return out;
            }
            case 'createarray':
                return args;
            case 'resourcegroup':
                return { id: this.resourceGroupId, name: c.resourceGroup, location: c.location };
            case 'subscription':
                return {
                    id: `/subscriptions/${c.subscriptionId}`,
                    subscriptionId: c.subscriptionId,
                    tenantId: c.tenantId,
                };
            case 'environment':
                return {
                    name: 'AzureCloud',
                    authentication: { loginEndpoint: 'https://login.microsoftonline.com/' },
                    suffixes: { storage: 'core.windows.net' },
                };
            case 'resourceid':
                return `${this.resourceGroupId}${resourcePath(s(0), args.slice(1).map(String))}`;
            case 'subscriptionresourceid':
                return `/subscriptions/${c.subscriptionId}${resourcePath(s(0), args.slice(1).map(String))}`;
            case 'extensionresourceid':
                return `${s(0)}${resourcePath(s(1), args.slice(2).map(String))}`;
            case 'reference': {
                const id = s(0);
                const match = /\/providers\/(.+)$/.exec(id);
                if (!match || !c.runtime) throw new Error(`reference(${id}): no simulated runtime properties`);
                const parts = match[1]!.split('/');
                const type = [parts[0], ...parts.slice(1).filter((_, i) => i % 2 === 0)].join('/');
                const names = parts.slice(1).filter((_, i) => i % 2 === 1);
                const properties = c.runtime(type.toLowerCase(), names.join('/'));
                return args[2] === 'full'
                    ? properties
                    : ((properties.properties as JsonObject | undefined) ?? properties);
            }
            default:
                throw new Error(`ARM function ${name}() is not supported by the test evaluator`);
        }
    }
}

/** The id Resource Manager gives a resource declared in the template (extension resources included). */
export function declaredResourceId(evaluator: ArmEvaluator, resource: JsonObject): string {
    const type = str(resource.type);
    const name = str(evaluator.value(resource.name!));
    const path = resourcePath(type, name.split('/'));
    if (resource.scope === undefined) return `${evaluator.resourceGroupId}${path}`;
    const scope = str(evaluator.value(resource.scope));
    const base = scope.startsWith('/subscriptions/') ? scope : `${evaluator.resourceGroupId}/providers/${scope}`;
    return `${base}${path}`;
}

/** Every ARM expression string in a JSON value, with its JSON path. */
export function expressionsIn(value: Json, path = '$'): { path: string; text: string }[] {
    if (typeof value === 'string') return isExpression(value) ? [{ path, text: value }] : [];
    if (Array.isArray(value)) return value.flatMap((item, i) => expressionsIn(item, `${path}[${i}]`));
    if (value !== null && typeof value === 'object')
        return Object.entries(value).flatMap(([k, v]) => expressionsIn(v, `${path}.${k}`));
    return [];
}
