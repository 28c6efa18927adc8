/**
 * The unit project runs its files one after another in shared workers (`isolate: false` in vitest.config.mts):
 * starting a process and loading the SDKs for each file cost more than most files' tests. This setup file, run
 * before each test file, gives every file what a fresh worker gave it, except node_modules, which stay loaded:
 * - the project's own modules evaluated afresh (`vi.resetModules`), so module-level state (caches in
 *   functions/composition, the function registrations) starts empty for each file;
 * - the `@azure/functions-core` stand-in in place before any functions/ module registers (`@azure/functions` looks
 *   its core up once per process, so the first file to register must not put it in test mode for the others), with
 *   an empty list of registrations;
 * - process.env back, after the file, as it was before it, whatever the file set, deleted or replaced.
 * The rest is safe to share because no unit test mocks modules (`vi.mock`), stubs globals or fakes timers, and the
 * few that change process state restore it themselves (`process.stdout.write`, `TZ`, an `unhandledRejection`
 * listener, in `finally` or `afterEach`). A new test that does any of these must undo it, or add it here.
 */
import { afterAll, vi } from 'vitest';
import { registered } from '../../tools/local/functionsRegistry';

vi.resetModules();
registered.length = 0;

const env = process.env;
const saved = { ...env };
afterAll(() => {
    process.env = env;
    for (const name of Object.keys(env)) if (!(name in saved)) delete env[name];
    Object.assign(env, saved);
});
