import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR_PLANNERS, readServingAnchor, SERVING_ANCHOR_FILE } from '../../checkpoints/serving-anchor.ts';
import { SHIPPED_CHECKPOINT_ROOT } from '../../checkpoints/resolve-checkpoint.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-serving-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readServingAnchor', () => {
  it('is null without a serving file, and reads a valid one', async () => {
    expect(await readServingAnchor(root)).toBeNull();
    await writeFile(join(root, SERVING_ANCHOR_FILE), JSON.stringify({ anchor: 'calibrated', margin: 1.5, selection: 'validation' }));
    expect(await readServingAnchor(root)).toEqual({ anchor: 'calibrated', margin: 1.5, selection: 'validation' });
  });

  it('refuses an unknown planner, a negative margin, extra keys or broken JSON, naming the file', async () => {
    for (const bad of [{ anchor: 'oracle', margin: 1, selection: '' }, { anchor: 'calibrated', margin: -1, selection: '' }, { anchor: 'edgent', margin: 1, selection: '', extra: 1 }, '{not json']) {
      await writeFile(join(root, SERVING_ANCHOR_FILE), typeof bad === 'string' ? bad : JSON.stringify(bad));
      await expect(readServingAnchor(root)).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining(SERVING_ANCHOR_FILE) });
    }
  });

  it('the shipped registry has a serving rule chosen on validation', async () => {
    const shipped = await readServingAnchor(SHIPPED_CHECKPOINT_ROOT);
    expect(ANCHOR_PLANNERS).toContain(shipped?.anchor);
    expect(shipped?.selection).toMatch(/VALIDATION/);
  });
});
