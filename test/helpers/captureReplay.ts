/** Runs `hollowtrace replay` in process and captures what it prints. */
import { runReplay } from '../../tools/cli/replayCommand';

export async function captureReplay(options: { paths: string[]; json: boolean; store: 'memory' | 'table' }) {
    let stdout = '';
    let stderr = '';
    const code = await runReplay({
        ...options,
        batchSize: 64,
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
    });
    return { code, stdout, stderr };
}
