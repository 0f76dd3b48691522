/**
 * A `coinfer` subcommand as a child process speaking JSON lines (the fleet script and the
 * distributed benchmark start learners and actors this way): every stdout line that parses is
 * handed to `onEvent`; stderr is kept (its tail) for error reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface CoinferProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null: killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The last lines of stderr. */
  stderrTail(): string;
  /** Sends a signal (ignored once exited). */
  signal(sig: NodeJS.Signals): void;
}

export function spawnCoinfer(args: readonly string[], onEvent: (e: Record<string, unknown>) => void): CoinferProcess {
  // Own process group: a Ctrl-C in the terminal reaches the parent only, which stops the children in order.
  const child = spawn(process.execPath, ['bin/coinfer.js', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      onEvent(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => { done = true; });
  return { child, exited, stderrTail: () => tail.join('\n'), signal: (sig) => { if (!done) child.kill(sig); } };
}
