/**
 * Starts `coinfer edge` as a real child process on 127.0.0.1:0 and resolves once it reports its
 * address (its first `--json` line), with a stop function that ends it with SIGTERM (SIGKILL
 * after 5 s). Used by the main job and the runtime benchmark.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CoinferError } from '../common/errors.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));

export interface EdgeProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEdgeProcess(opts: { readonly modelDir: string; readonly profile?: 'native' | 'edgent-desktop' }): Promise<EdgeProcess> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'coinfer.js'), 'edge', '--port', '0', '--host', '127.0.0.1', '--profile', opts.profile ?? 'native', '--model', opts.modelDir, '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new CoinferError('ERR_EDGE_UNAVAILABLE', 'The edge process did not report its address within 30 s')), 30_000);
    child.once('exit', (code) => { clearTimeout(timer); fail(new CoinferError('ERR_EDGE_UNAVAILABLE', `The edge process exited early (code ${code})`)); });
    lines.on('line', (line) => {
      try {
        const o = JSON.parse(line) as { url?: string };
        if (o.url) {
          clearTimeout(timer);
          ok(o.url);
        }
      } catch { /* not the address line */ }
    });
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    },
  };
}
