/**
 * Installing a Debian package the tests need (a dataset, a server) when it is missing: only in a
 * root shell with apt-get (CI); elsewhere the callers skip their tests with the reason.
 */
import { spawnSync } from 'node:child_process';
import { hasBinary } from '../../cli/local-redis.ts';

/** Whether this shell may install packages (root, apt-get on the PATH). */
export const canAptInstall = (): boolean => process.getuid?.() === 0 && hasBinary('apt-get');

/** `apt-get install -y pkg`, after an `apt-get update` when the first try fails; whether it succeeded. */
export function aptInstall(pkg: string): boolean {
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', pkg], { stdio: 'ignore', timeout: 300_000 }).status === 0;
  if (install()) return true;
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300_000 });
  return install();
}
