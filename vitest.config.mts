import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects, both run by `npm test`:
// - unit: pure logic, handlers, tooling on fixtures; no Azurite, no recordings (`npx vitest --project unit`).
// - integration: Table Storage on the in-process Azurite the global setup starts, the HTTP API on a local server,
//   Azure Monitor stand-ins, and the team recordings (test/datasets).
export default defineConfig({
    test: {
        // Vitest's default leaves a core to its main process (1 worker on 2 cores), which mostly waits while tests run.
        maxWorkers: availableParallelism(),
        testTimeout: 30_000,
        hookTimeout: 30_000,
        projects: [
            {
                extends: true,
                test: {
                    name: 'unit',
                    include: ['test/unit/**/*.test.ts'],
                    // Files share workers; test/support/unitFileIsolation.ts resets what each file may change.
                    isolate: false,
                    setupFiles: ['test/support/unitFileIsolation.ts'],
                },
            },
            {
                extends: true,
                test: {
                    name: 'integration',
                    include: ['test/integration/**/*.test.ts', 'test/datasets/**/*.test.ts'],
                    globalSetup: ['test/support/azuriteGlobalSetup.ts'],
                },
            },
        ],
    },
});
