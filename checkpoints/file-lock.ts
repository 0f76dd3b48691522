/**
 * An advisory lock file for a few milliseconds of read-modify-write on a shared file (the
 * checkpoint registry), safe across processes. The lock is taken by hard-linking a fully
 * written temp file to the lock path (link fails when the lock exists), so a lock file is never
 * seen half-written. A lock is stale when its holder's process is gone (same host) or it is
 * older than `staleMs`; a stale lock is moved aside and removed only if it is still the one
 * judged stale, so two waiters cannot both break and both take it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoinferError } from '../common/errors.ts';

export interface FileLockOptions {
  /** Give up waiting after this long, ms (default 60 000: past staleMs, so a hung holder's lock is broken first). */
  readonly timeoutMs: number;
  /** A lock older than this is stale whoever holds it, ms (default 30 000; the registry's work takes milliseconds). */
  readonly staleMs: number;
  /** Wait between attempts, ms (default 15). */
  readonly pollMs: number;
}

export const DEFAULT_FILE_LOCK_OPTIONS: FileLockOptions = { timeoutMs: 60_000, staleMs: 30_000, pollMs: 15 };

/** What a lock file holds. */
interface LockRecord {
  readonly pid: number;
  readonly host: string;
  readonly acquiredAtMs: number;
  readonly nonce: string;
}

/** True while a process with this id exists (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseRecord(text: string): LockRecord | null {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    return typeof r.pid === 'number' && typeof r.host === 'string' && typeof r.acquiredAtMs === 'number' && typeof r.nonce === 'string' ? (r as LockRecord) : null;
  } catch {
    return null;
  }
}

/** Whether a lock file's content names a holder that cannot still be working. */
export function isStaleLock(text: string, o: { readonly nowMs: number; readonly staleMs: number; readonly host: string; readonly alive: (pid: number) => boolean }): boolean {
  const r = parseRecord(text);
  if (r === null) return true; // never written by withFileLock (which links whole files)
  if (o.nowMs - r.acquiredAtMs > o.staleMs) return true;
  return r.host === o.host && !o.alive(r.pid);
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Moves a stale lock aside; puts it back when it changed hands after we read it. */
async function breakStale(lockPath: string, judged: string): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke or released it
    throw e;
  }
  if ((await readOrNull(aside)) !== judged) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
}

/**
 * Runs `work` while holding the lock at `lockPath`, then releases it (also when work throws).
 * @throws (rejects) CoinferError ERR_REGISTRY_LOCKED after timeoutMs; what `work` rejects with
 */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: Partial<FileLockOptions> = {}): Promise<T> {
  const o = { ...DEFAULT_FILE_LOCK_OPTIONS, ...options };
  const host = hostname();
  const mine: LockRecord = { pid: process.pid, host, acquiredAtMs: 0, nonce: randomBytes(8).toString('hex') };
  const tmp = `${lockPath}.${mine.nonce}.tmp`;
  const t0 = Date.now();
  let text = '';
  try {
    for (;;) {
      text = JSON.stringify({ ...mine, acquiredAtMs: Date.now() });
      await writeFile(tmp, text);
      try {
        await link(tmp, lockPath);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = await readOrNull(lockPath);
      if (held !== null && isStaleLock(held, { nowMs: Date.now(), staleMs: o.staleMs, host, alive: isProcessAlive })) {
        await breakStale(lockPath, held);
        continue;
      }
      if (Date.now() - t0 > o.timeoutMs) {
        throw new CoinferError('ERR_REGISTRY_LOCKED', `${lockPath} has been held by another process for over ${o.timeoutMs} ms (holder: ${held ?? 'released'}); if no coinfer process is writing checkpoints there, delete the lock file`);
      }
      await sleep(o.pollMs + (process.pid % Math.max(1, o.pollMs))); // a per-process offset keeps waiters out of step
    }
  } finally {
    await rm(tmp, { force: true });
  }
  try {
    return await work();
  } finally {
    // Release only our own lock: if we were judged stale and it was broken, it is someone else's now.
    if ((await readOrNull(lockPath)) === text) await rm(lockPath, { force: true });
  }
}
