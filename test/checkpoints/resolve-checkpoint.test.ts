import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { createQNetwork, type LayersModel } from '../../agent/q-network.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CheckpointRegistry, rebuildRegistry } from '../../checkpoints/checkpoint-registry.ts';
import { resolveCheckpoint, resolveCheckpointIn } from '../../checkpoints/resolve-checkpoint.ts';
import { CoinferError, type ErrorCode } from '../../common/errors.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

let tf: Tf;
let model: LayersModel;
let root: string;
const config = resolveDqnConfig({ hidden: [4] });
const t0 = Date.parse('2025-01-01T00:00:00Z');

beforeAll(async () => {
  tf = (await loadTf()).tf;
  model = createQNetwork(tf, { observationSize: 3, actionCount: 2, hidden: [4], dueling: false });
});
afterAll(() => model.dispose());
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-registry-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function save(step: number, minutes: number, evalMetrics: Record<string, number> = {}, parentId: string | null = null) {
  return saveCheckpoint(tf, { root, model, step, dqnConfig: config, evalMetrics, parentId, now: new Date(t0 + minutes * 60_000) });
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(CoinferError);
  await expect(p).rejects.toMatchObject({ code });
}

describe('CheckpointRegistry', () => {
  it('lists checkpoints in registration order, persisted in registry.json even under NODE_ENV=test', async () => {
    const a = await save(100, 0, { 'eval/mean_reward': 0.5 });
    const b = await save(200, 1, { 'eval/mean_reward': 0.7 }, a.id);
    expect((await stat(join(root, 'registry.json'))).isFile()).toBe(true);
    const list = await new CheckpointRegistry(root).list();
    expect(list.map((e) => [e.id, e.step, e.parentId, e.dir])).toEqual([
      [a.id, 100, null, a.id],
      [b.id, 200, a.id, b.id],
    ]);
    expect(list[1]!.evalMetrics).toEqual({ 'eval/mean_reward': 0.7 });
  });

  it('lists nothing for a root that does not exist yet', async () => {
    expect(await new CheckpointRegistry(join(root, 'missing')).list()).toEqual([]);
  });

  it('reports a damaged registry.json as ERR_CHECKPOINT_CORRUPT, and rebuildRegistry recovers it', async () => {
    const a = await save(100, 0);
    const b = await save(200, 1);
    await writeFile(join(root, 'registry.json'), '{"checkpoints": [');
    await rejectsWith(new CheckpointRegistry(root).list(), 'ERR_CHECKPOINT_CORRUPT');
    await rejectsWith(resolveCheckpoint(root, 'latest'), 'ERR_CHECKPOINT_CORRUPT');
    expect((await rebuildRegistry(root)).map((e) => e.id)).toEqual([a.id, b.id]);
    expect((await resolveCheckpoint(root, 'latest')).id).toBe(b.id);
  });
});

describe('resolveCheckpoint', () => {
  it("resolves 'latest' by creation time", async () => {
    const newer = await save(100, 10);
    await save(200, 5); // registered later, created earlier
    expect((await resolveCheckpoint(root, 'latest')).id).toBe(newer.id);
  });

  it("resolves 'best' by a named eval metric, max or min", async () => {
    const a = await save(100, 0, { 'eval/mean_reward': 0.5, 'eval/miss_rate': 0.1 });
    const b = await save(200, 1, { 'eval/mean_reward': 0.9, 'eval/miss_rate': 0.3 });
    await save(300, 2, {});
    expect((await resolveCheckpoint(root, 'best')).id).toBe(b.id);
    expect((await resolveCheckpoint(root, 'best:eval/miss_rate')).id).toBe(b.id);
    expect((await resolveCheckpoint(root, 'best', { metric: 'eval/miss_rate', mode: 'min' })).id).toBe(a.id);
    await rejectsWith(resolveCheckpoint(root, 'best:eval/unknown'), 'ERR_CHECKPOINT_NOT_FOUND');
  });

  it('resolves ids and paths (absolute and relative)', async () => {
    const a = await save(100, 0);
    const byId = await resolveCheckpoint(root, a.id);
    expect(byId.meta.step).toBe(100);
    expect((await resolveCheckpoint(root, a.dir)).id).toBe(a.id);
    expect((await resolveCheckpoint('/nonexistent-root', `./${relative(process.cwd(), a.dir)}`)).id).toBe(a.id);
  });

  it('reports unknown refs and empty registries as ERR_CHECKPOINT_NOT_FOUND', async () => {
    await rejectsWith(resolveCheckpoint(root, 'latest'), 'ERR_CHECKPOINT_NOT_FOUND');
    await rejectsWith(resolveCheckpoint(root, 'best'), 'ERR_CHECKPOINT_NOT_FOUND');
    await save(100, 0);
    await rejectsWith(resolveCheckpoint(root, 'no-such-id'), 'ERR_CHECKPOINT_NOT_FOUND');
    await rejectsWith(resolveCheckpoint(root, join(root, 'no-such-dir')), 'ERR_CHECKPOINT_NOT_FOUND');
  });

  it('reports a damaged checkpoint as ERR_CHECKPOINT_CORRUPT and a mismatched one as ERR_CHECKPOINT_INCOMPATIBLE', async () => {
    const a = await save(100, 0);
    await rejectsWith(resolveCheckpoint(root, a.id, { expect: { observationSize: 4 } }), 'ERR_CHECKPOINT_INCOMPATIBLE');
    await rejectsWith(resolveCheckpoint(root, 'latest', { expect: { actionCount: 3 } }), 'ERR_CHECKPOINT_INCOMPATIBLE');
    const weights = await readFile(join(a.dir, 'weights.bin'));
    await writeFile(join(a.dir, 'weights.bin'), Buffer.concat([weights, Buffer.alloc(4)]));
    await rejectsWith(resolveCheckpoint(root, 'latest'), 'ERR_CHECKPOINT_CORRUPT');
  });
});

describe('resolveCheckpointIn (the user registry, then the shipped one)', () => {
  let other: string;
  beforeEach(async () => {
    other = await mkdtemp(join(tmpdir(), 'coinfer-registry-shipped-'));
  });
  afterEach(async () => {
    await rm(other, { recursive: true, force: true });
  });
  const saveIn = (dir: string, step: number, minutes: number) =>
    saveCheckpoint(tf, { root: dir, model, step, dqnConfig: config, evalMetrics: { 'eval/mean_reward': step }, parentId: null, now: new Date(t0 + minutes * 60_000) });

  it("resolves 'latest' and 'best' in the next registry when the first is empty or missing (a fresh clone), and says where", async () => {
    const shipped = await saveIn(other, 100, 0);
    const r = await resolveCheckpointIn([join(root, 'runs-missing'), other], 'latest');
    expect([r.id, r.root]).toEqual([shipped.id, other]);
    expect((await resolveCheckpointIn([root, other], 'best')).root).toBe(other);
  });

  it('lets the first registry with checkpoints answer symbolic refs (your runs shadow the shipped ones), and finds ids anywhere', async () => {
    const shipped = await saveIn(other, 900, 5); // newer and better, but in the later registry
    const mine = await saveIn(root, 100, 0);
    expect((await resolveCheckpointIn([root, other], 'latest')).id).toBe(mine.id);
    expect((await resolveCheckpointIn([root, other], 'best')).id).toBe(mine.id);
    const byId = await resolveCheckpointIn([root, other], shipped.id);
    expect([byId.id, byId.root]).toEqual([shipped.id, other]);
    const byPath = await resolveCheckpointIn([root, other], join(other, shipped.id));
    expect([byPath.id, byPath.root]).toEqual([shipped.id, null]);
  });

  it('names every registry searched when nothing answers', async () => {
    const e = await resolveCheckpointIn([root, other], 'latest').then(() => null, (x: unknown) => x);
    expect(e).toMatchObject({ code: 'ERR_CHECKPOINT_NOT_FOUND' });
    expect((e as Error).message).toContain(root);
    expect((e as Error).message).toContain(other);
    await rejectsWith(resolveCheckpointIn([root, other], 'nope'), 'ERR_CHECKPOINT_NOT_FOUND');
  });
});
