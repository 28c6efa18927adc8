/**
 * The `hollowtrace` command line: `hollowtrace demo | replay | simulate | upgrade-storage ...`; `<command> --help`
 * prints its usage.
 * Exit codes: 0 done, 1 failed (I/O, storage), 2 usage error; replay adds 3 (incomplete input) and 4 (nothing
 * accepted): see `REPLAY_EXIT`.
 */
import { parseArgs } from 'node:util';
import type * as DemoModuleNs from './demoCommand';
import type * as EnricherModuleNs from '../../shared/api/WorkspaceIncidentEnricher';
import { DEMO_FUNCTION_KEY } from '../local/demoKey';

type DemoModule = typeof DemoModuleNs;
type EnricherModule = typeof EnricherModuleNs;
import { REPLAY_USAGE, parseReplayArgs, runReplay } from './replayCommand';
import { SIMULATE_USAGE, parseSimulateArgs, runSimulate } from './simulateCommand';
import { UPGRADE_STORAGE_USAGE, runUpgradeStorage } from './upgradeStorageCommand';

const USAGE = `usage:
  hollowtrace demo [--port 7071] [--seed N]
      The whole pipeline on this machine: Azurite in-process, a simulated fleet with attacks, both stages with
      Table state, and the playbook API at http://127.0.0.1:<port>/api (function key: ${DEMO_FUNCTION_KEY}).
${REPLAY_USAGE}
${SIMULATE_USAGE}
${UPGRADE_STORAGE_USAGE}`;

/**
 * Outside the Functions host, @azure/functions warns once per registration that it runs in test mode. The local
 * server calls the handlers directly, so registration does not matter here: keep the demo's console readable.
 */
function quietFunctionsTestMode(): void {
    const warn = console.warn.bind(console);
    console.warn = (...args: unknown[]): void => {
        const first = typeof args[0] === 'string' ? args[0] : '';
        if (/^WARNING: (Failed to detect the Azure Functions runtime|Skipping call to register function)/.test(first))
            return;
        warn(...args);
    };
}

/** The exit code of a parse that asked for help (0, usage on stdout) or found a problem (2, on stderr), else none. */
function helpOrProblem(command: string, usage: string, parsed: object): number | undefined {
    if ('help' in parsed) {
        process.stdout.write(`usage:\n${usage}\n`);
        return 0;
    }
    if ('problem' in parsed) {
        process.stderr.write(`hollowtrace ${command}: ${String(parsed.problem)}\nusage:\n${usage}\n`);
        return 2;
    }
    return undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (command === 'replay') {
        const options = parseReplayArgs(rest);
        if ('help' in options || 'problem' in options) return helpOrProblem(command, REPLAY_USAGE, options) as number;
        return runReplay(options);
    }
    if (command === 'simulate') {
        if (rest.includes('--help') || rest.includes('-h')) {
            process.stdout.write(`usage:\n${SIMULATE_USAGE}\n`);
            return 0;
        }
        const options = parseSimulateArgs(rest);
        if (typeof options === 'string') {
            process.stderr.write(`${options}\n`); // the problem and the usage
            return 2;
        }
        return runSimulate(options);
    }
    if (command === 'upgrade-storage') {
        const help = rest.includes('--help') || rest.includes('-h');
        const parsed = help ? { help } : rest.length > 0 ? { problem: 'takes no arguments' } : {};
        const code = helpOrProblem(command, UPGRADE_STORAGE_USAGE, parsed);
        if (code !== undefined) return code;
        await runUpgradeStorage({ env: process.env });
        return 0;
    }
    if (command === 'demo') {
        let parsed;
        try {
            parsed = parseArgs({
                args: [...rest],
                options: { port: { type: 'string', default: '7071' }, seed: { type: 'string', default: '7' } },
            });
        } catch (error) {
            process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
            return 2;
        }
        const port = Number(parsed.values.port);
        const seed = Number(parsed.values.seed);
        if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isSafeInteger(seed)) {
            process.stderr.write(`${USAGE}\n`);
            return 2;
        }
        quietFunctionsTestMode();
        // Loaded only for the demo (it pulls in the functions); require works from source (tsx) and from dist alike.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { runDemo } = require('./demoCommand') as DemoModule;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { WorkspaceIncidentEnricher } = require('../../shared/api/WorkspaceIncidentEnricher') as EnricherModule;
        // No workspace here: enrichment answers say "unavailable: workspace not configured", as they would in Azure.
        await runDemo({
            port,
            seed,
            hosts: 4,
            attacks: 5,
            durationSeconds: 600,
            eventsPerSecond: 15,
            serve: true,
            enricher: new WorkspaceIncidentEnricher(undefined, 20_000),
        });
        return 0;
    }
    process.stderr.write(
        `${command === undefined || command === '--help' || command === 'help' ? '' : `unknown command: ${command}\n`}${USAGE}\n`,
    );
    return command === '--help' || command === 'help' ? 0 : 2;
}

/** Runs the CLI with the process's arguments and sets the exit code (used by bin/hollowtrace.js). */
export function runCli(): void {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (error: unknown) => {
            process.stderr.write(`hollowtrace: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exitCode = 1;
        },
    );
}

if (require.main === module) runCli();
