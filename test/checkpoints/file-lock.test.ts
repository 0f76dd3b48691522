import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive, isStaleLock, withFileLock } from '../../checkpoints/file-lock.ts';
import { CoinferError } from '../../common/errors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coinfer-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The id of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;
const record = (pid: number, acquiredAtMs: number, host = hostname()) => JSON.stringify({ pid, host, acquiredAtMs, nonce: 'n' });

describe('isStaleLock', () => {
  const base = { nowMs: 100_000, staleMs: 30_000, host: 'h', alive: (pid: number) => pid === 1 };
  it('is stale when the holder is gone on this host, too old, or unreadable; fresh otherwise', () => {
    expect(isStaleLock(record(1, 99_000, 'h'), base)).toBe(false);
    expect(isStaleLock(record(2, 99_000, 'h'), base)).toBe(true); // dead holder
    expect(isStaleLock(record(2, 99_000, 'other'), base)).toBe(false); // cannot see other hosts' processes
    expect(isStaleLock(record(1, 60_000, 'h'), base)).toBe(true); // too old
    expect(isStaleLock('{"pid":', base)).toBe(true);
  });
  it('isProcessAlive tells this process from an exited one', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(deadPid())).toBe(false);
  });
});

describe('withFileLock', () => {
  it('serialises work in one process and removes the lock afterwards, also when work throws', async () => {
    const lock = join(dir, 'a.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 8 }, () => withFileLock(lock, async () => {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 2));
      inside--;
    })));
    expect(most).toBe(1);
    await expect(withFileLock(lock, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect((await readdir(dir)).filter((n) => n.startsWith('a.lock'))).toEqual([]);
  });

  it('breaks a lock left by a killed process', async () => {
    const lock = join(dir, 'b.lock');
    await writeFile(lock, record(deadPid(), Date.now()));
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2000 })).toBe('ran');
  });

  it('waits for a live holder and gives up with ERR_REGISTRY_LOCKED', async () => {
    const lock = join(dir, 'c.lock');
    await writeFile(lock, record(process.pid, Date.now())); // held by a live process (this one)
    const e = await withFileLock(lock, async () => 'ran', { timeoutMs: 100, staleMs: 60_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe('ERR_REGISTRY_LOCKED');
  });

  it('breaks a live holder\'s lock once it is older than staleMs', async () => {
    const lock = join(dir, 'd.lock');
    await writeFile(lock, record(process.pid, Date.now() - 10_000));
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2000, staleMs: 5_000 })).toBe('ran');
  });
});
