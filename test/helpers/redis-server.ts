/**
 * A throwaway Redis for tests and benchmarks: Debian's `redis-server` on 127.0.0.1, a free port
 * (found by binding port 0), no persistence. When the binary is missing and this is a root shell
 * with apt-get (CI), it is installed first (as test/global-setup.ts does for Fashion-MNIST);
 * otherwise `startRedis` resolves with the reason, and the tests skip with it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

export const REDIS_BINARY = 'redis-server';

export interface RedisHandle {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL after 2 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/** Installs redis-server with apt-get when missing and possible; the reason when not. */
export function ensureRedisBinary(): string | null {
  if (has(REDIS_BINARY)) return null;
  const root = process.getuid?.() === 0;
  if (!root || !has('apt-get')) return `${REDIS_BINARY} is not installed and this is not a root shell with apt-get: install Debian's redis-server to run the distributed tests`;
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', 'redis-server'], { stdio: 'ignore', timeout: 300_000 }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300_000 });
    if (!install()) return 'apt-get could not install redis-server';
  }
  return has(REDIS_BINARY) ? null : 'redis-server is still missing after apt-get install';
}

/** A port free right now on 127.0.0.1 (the OS's pick for port 0). */
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

/** Starts a server; resolves with its handle, or with a string saying why it cannot. */
export async function startRedis(): Promise<RedisHandle | string> {
  const why = ensureRedisBinary();
  if (why) return why;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
    let exited = false;
    const done = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
    for (let i = 0; i < 100 && !exited; i++) {
      if (await canConnect(port)) {
        return {
          url: `redis://127.0.0.1:${port}`, port,
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
    await done; // the port was taken meanwhile: try another
  }
  return 'redis-server did not start listening within 5 s (3 attempts)';
}
