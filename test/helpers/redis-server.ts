/**
 * A throwaway Redis for tests (cli/local-redis.ts). When `redis-server` is missing and this is a
 * root shell with apt-get (CI), it is installed first, as test/global-setup.ts does for
 * Fashion-MNIST; otherwise `startRedis` resolves with the reason and the tests skip with it.
 */
import { REDIS_BINARY, hasBinary, startLocalRedis, type LocalRedis } from '../../cli/local-redis.ts';
import { aptInstall, canAptInstall } from './apt-install.ts';

export type RedisHandle = LocalRedis;

/** Installs redis-server with apt-get when missing and possible; the reason when not. */
export function ensureRedisBinary(): string | null {
  if (hasBinary(REDIS_BINARY)) return null;
  if (!canAptInstall()) return `${REDIS_BINARY} is not installed and this is not a root shell with apt-get: install Debian's redis-server to run the distributed tests`;
  if (!aptInstall('redis-server')) return 'apt-get could not install redis-server';
  return hasBinary(REDIS_BINARY) ? null : 'redis-server is still missing after apt-get install';
}

/** Starts a server on 127.0.0.1 (free port); resolves with its handle, or with why it cannot. */
export async function startRedis(): Promise<RedisHandle | string> {
  const why = ensureRedisBinary();
  if (why) return why;
  try {
    return await startLocalRedis();
  } catch (e) {
    return (e as Error).message;
  }
}
