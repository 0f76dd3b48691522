/**
 * A throwaway local Redis for `npm run fleet:local`, the distributed benchmark and the tests:
 * Debian's `redis-server` on 127.0.0.1, a free port (the OS's pick for port 0), no persistence
 * (`--save '' --appendonly no`). Stopped with SIGTERM, SIGKILL after 2 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { CoinferError } from '../common/errors.ts';

export const REDIS_BINARY = 'redis-server';

export interface LocalRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Whether `bin` is on the PATH. */
export const hasBinary = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/** A port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number): Promise<boolean> => new Promise((resolve) => {
  const s = connect({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

/**
 * Starts redis-server on a free port (another port when the one picked was taken meanwhile).
 * @throws CoinferError ERR_BROKER when the binary is missing or the server never listens.
 */
export async function startLocalRedis(port?: number): Promise<LocalRedis> {
  if (!hasBinary(REDIS_BINARY)) throw new CoinferError('ERR_BROKER', `Expected ${REDIS_BINARY} on the PATH, actually none: install it (Debian: apt-get install redis-server) or point --broker at a running server`);
  for (let attempt = 0; attempt < 3; attempt++) {
    const p = port ?? (await freePort());
    // Own process group: a terminal's Ctrl-C reaches our process, which stops the server last.
    const child = spawn(REDIS_BINARY, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true });
    const orphan = () => child.kill('SIGKILL');
    process.once('exit', orphan); // never leave a server behind
    let exited = false;
    const done = new Promise<void>((resolve) => child.once('exit', () => { exited = true; process.off('exit', orphan); resolve(); }));
    for (let i = 0; i < 100 && !exited; i++) {
      if (await canConnect(p)) {
        return {
          url: `redis://127.0.0.1:${p}`, port: p,
          stop: async () => {
            if (exited) return;
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 2000);
            await done;
            clearTimeout(t);
          },
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await done;
    if (port !== undefined) break;
  }
  throw new CoinferError('ERR_BROKER', `Expected ${REDIS_BINARY} to listen on 127.0.0.1 within 5 s, actually it did not (port taken?): pick another --port`);
}
