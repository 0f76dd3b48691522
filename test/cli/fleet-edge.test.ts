/** Smoke runs of `coinfer fleet` and `coinfer edge` through the real entry point, with tiny budgets. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-fleet-'));
  await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 4, sampleCount: 4 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('coinfer fleet', () => {
  it('runs one edge and 2 devices and prints the documented fields last', async () => {
    const { stdout } = await run('node', ['bin/coinfer.js', 'fleet', '--devices', '2', '--hosts', '1', '--seconds', '1', '--rate', '20', '--model', join(root, 'pkg'), '--json'], { cwd: repo, timeout: 120_000 });
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    for (const key of ['devices', 'deadlineMs', 'requestsPerSecond', 'p99Ms', 'hitRate', 'misses', 'edgeMisses', 'wastedEdgeShare']) expect(typeof last[key]).toBe('number');
    expect(last).toMatchObject({ devices: 2, deadlineMs: 100 });
    expect(last['requests']).toBeGreaterThan(0);
  }, 130_000);
});

describe('coinfer edge', () => {
  it('refuses an empty token with exit code 2 instead of serving without authentication', async () => {
    for (const [args, env] of [[['--token', ''], {}], [[], { COINFER_TOKEN: '' }]] as const) {
      const e = await run('node', ['bin/coinfer.js', 'edge', '--port', '0', '--model', join(root, 'pkg'), ...args], { cwd: repo, timeout: 60_000, env: { ...process.env, ...env } }).then(() => null, (err: { code?: number; stderr?: string }) => err);
      expect(e?.code).toBe(2);
      expect(e?.stderr).toContain('ERR_INVALID_ARGUMENT');
    }
  }, 130_000);
});
