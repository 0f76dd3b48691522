import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointRegistry } from '../../checkpoints/checkpoint-registry.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const writer = fileURLToPath(new URL('./fixtures/registry-writer.ts', import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-registry-race-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('checkpoint registry with several writers', () => {
  it('two processes adding entries to one registry at once lose none and never see a broken file', async () => {
    const perWriter = 40;
    // plus this process writing too, so three writers interleave
    const here = new CheckpointRegistry(root);
    const local = (async () => {
      for (let i = 0; i < perWriter; i++) await here.add({ id: `c-${i}`, dir: `c-${i}`, parentId: null, step: i, createdAt: new Date(Date.UTC(2025, 0, 2)).toISOString(), evalMetrics: {} });
    })();
    const results = await Promise.all([
      run(process.execPath, ['bin/run-ts.js', writer, root, 'a', String(perWriter)], { cwd: repo, timeout: 90_000 }),
      run(process.execPath, ['bin/run-ts.js', writer, root, 'b', String(perWriter)], { cwd: repo, timeout: 90_000 }),
      local,
    ]);
    expect(results[0].stdout.trim()).toBe('done');
    expect(results[1].stdout.trim()).toBe('done');
    const ids = (await here.list()).map((e) => e.id);
    expect(ids).toHaveLength(3 * perWriter);
    expect(new Set(ids).size).toBe(3 * perWriter);
    for (const p of ['a', 'b', 'c']) for (let i = 0; i < perWriter; i++) expect(ids).toContain(`${p}-${i}`);
    // no lock or lock temp file left behind
    expect((await readdir(root)).filter((n) => n.includes('.lock'))).toEqual([]);
  }, 120_000);
});
