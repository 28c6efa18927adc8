/**
 * Captures `app.*` registrations with their full binding metadata, the way the Functions host would see them, by
 * standing in for `@azure/functions-core` (which only exists inside the host). `@azure/functions` looks that module
 * up once, at the first registration, and from then on registers through it or, when it is missing, skips every
 * registration with a warning (its "test mode"); so import this before any functions/ module. The local server
 * builds its routes from these registrations, and the tests check them.
 */
import Module from 'node:module';
import type { HttpHandler } from '@azure/functions';

export interface RegisteredFunction {
    metadata: {
        name: string;
        bindings: Record<string, Record<string, unknown>>;
        retryOptions?: Record<string, unknown>;
    };
    callback: (...args: unknown[]) => unknown;
}

const FAKE_ID = '/__fake__/@azure/functions-core.js';

interface ModuleInternals {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, { exports: unknown } | undefined>;
    new (id: string): { filename: string; loaded: boolean; exports: unknown };
}
const internals = Module as unknown as ModuleInternals;
const installed = internals._cache[FAKE_ID]?.exports as { registered?: RegisteredFunction[] } | undefined;

/**
 * `@azure/functions` keeps the first core it found for the life of the process, so when this file is evaluated again
 * (a test runner resetting its module registry) it keeps the stand-in already installed and its list.
 */
export const registered: RegisteredFunction[] = installed?.registered ?? [];

if (!installed) {
    const fakeCore = {
        registered,
        setProgrammingModel(): void {},
        registerFunction(metadata: RegisteredFunction['metadata'], callback: RegisteredFunction['callback']) {
            registered.push({ metadata, callback });
            return { dispose(): void {} };
        },
        registerHook() {
            return { dispose(): void {} };
        },
        log(): void {},
    };
    const originalResolve = internals._resolveFilename;
    internals._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
        return request === '@azure/functions-core' ? FAKE_ID : originalResolve.call(this, request, ...rest);
    };
    const fake = new internals(FAKE_ID);
    fake.filename = FAKE_ID;
    fake.loaded = true;
    fake.exports = fakeCore;
    internals._cache[FAKE_ID] = fake;
}

/** The trigger binding (the one with direction `in` and a `*Trigger` type) of a registered function. */
export function triggerBinding(name: string): Record<string, unknown> {
    const fn = registered.find((r) => r.metadata.name === name);
    if (!fn)
        throw new Error(
            `function ${name} was not registered; registered: ${registered.map((r) => r.metadata.name).join(', ')}`,
        );
    const binding = Object.values(fn.metadata.bindings).find((b) => String(b.type).endsWith('Trigger'));
    if (!binding) throw new Error(`function ${name} has no trigger binding`);
    return binding;
}

/** An HTTP function as registered: its name, methods, route (without the `api/` prefix), auth level and handler. */
export interface RegisteredHttpFunction {
    name: string;
    methods: string[];
    route: string;
    authLevel: string;
    handler: HttpHandler;
}

/** The registered HTTP-triggered functions, in registration order. */
export function registeredHttpFunctions(): RegisteredHttpFunction[] {
    return registered.flatMap((fn) => {
        const trigger = Object.values(fn.metadata.bindings).find((b) => b.type === 'httpTrigger');
        if (!trigger) return [];
        const name = fn.metadata.name;
        return [
            {
                name,
                methods: (trigger.methods as string[] | undefined) ?? ['GET', 'POST'],
                route: typeof trigger.route === 'string' ? trigger.route : name,
                authLevel: typeof trigger.authLevel === 'string' ? trigger.authLevel : 'anonymous',
                handler: fn.callback as HttpHandler,
            },
        ];
    });
}
