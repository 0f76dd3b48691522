import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-split-'));
  await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 5, sampleCount: 3 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('coinfer split-check', () => {
  it('checks all 41 pairs of a random package and prints one JSON document', async () => {
    const { stdout } = await run('node', ['bin/coinfer.js', 'split-check', '--model', join(root, 'pkg'), '--samples', '2', '--json'], { cwd: repo, timeout: 60_000 });
    const doc = JSON.parse(stdout) as { pairs: number; maxAbsDiff: number; samples: number };
    expect(doc.pairs).toBe(41);
    expect(doc.maxAbsDiff).toBe(0);
    expect(doc.samples).toBe(2);
  });

  it('fails with ERR_MODEL_NOT_FOUND on a missing package', async () => {
    const err = await run('node', ['bin/coinfer.js', 'split-check', '--model', join(root, 'missing'), '--json'], { cwd: repo, timeout: 60_000 })
      .then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/ERR_MODEL_NOT_FOUND/);
  });
});
