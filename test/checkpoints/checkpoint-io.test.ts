import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { readWeights } from '../../agent/q-network.ts';
import { loadCheckpoint, readCheckpoint, saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CHECKPOINT_SCHEMA_VERSION } from '../../checkpoints/checkpoint-meta.ts';
import { CoinferError, type ErrorCode } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

let tf: Tf;
let root: string;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-ckpt-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = resolveDqnConfig({ hidden: [8, 4], prioritized: {} });

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(CoinferError);
  await expect(p).rejects.toMatchObject({ code });
}

async function saved(step = 100) {
  const learner = new DqnLearner(tf, { config, observationSize: 5, actionCount: 3 });
  const ck = await saveCheckpoint(tf, {
    root,
    model: learner.onlineNet,
    step,
    dqnConfig: config,
    envConfig: { scenario: { deadlineMs: 100 }, split: 'train' },
    traceSplit: { train: ['a.csv'], test: ['b.csv'] },
    evalMetrics: { 'eval/mean_reward': 0.75 },
    actionLabels: ['local', 'split', 'edge'],
  });
  return { learner, ck };
}

describe('saveCheckpoint → loadCheckpoint', () => {
  it('gives identical Q-values and weights', async () => {
    const { learner, ck } = await saved();
    const { model, meta } = await loadCheckpoint(tf, ck.dir, { observationSize: 5, actionCount: 3 });
    expect(readWeights(model)).toEqual(learner.getWeights());
    const rng = createRng(1);
    const loaded = new DqnLearner(tf, { config: meta.dqnConfig, observationSize: 5, actionCount: 3, initialWeights: readWeights(model) });
    for (let i = 0; i < 10; i++) {
      const obs = new Float32Array(5).map(() => rng.normal());
      expect(Array.from(loaded.qValues(obs))).toEqual(Array.from(learner.qValues(obs)));
      expect(Array.from(tf.tidy(() => (model.predict(tf.tensor2d(obs, [1, 5])) as ReturnType<typeof tf.tensor>).dataSync()))).toEqual(Array.from(learner.qValues(obs)));
    }
    expect(new ActingPolicy(readWeights(model)).actionCount).toBe(3);
    model.dispose();
    loaded.dispose();
    learner.dispose();
  });

  it('writes the layers format and the full metadata, leaving no temp directory', async () => {
    const { learner, ck } = await saved(1234);
    expect((await readdir(ck.dir)).sort()).toEqual(['checkpoint.json', 'model.json', 'weights.bin']);
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
    const modelJson = JSON.parse(await readFile(join(ck.dir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    const meta = await readCheckpoint(ck.dir);
    expect(meta).toMatchObject({
      schemaVersion: CHECKPOINT_SCHEMA_VERSION,
      packageVersion: JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version,
      id: ck.id,
      parentId: null,
      step: 1234,
      dqnConfig: config,
      envConfig: { scenario: { deadlineMs: 100 }, split: 'train' },
      traceSplit: { train: ['a.csv'], test: ['b.csv'] },
      evalMetrics: { 'eval/mean_reward': 0.75 },
      observationSize: 5,
      actionCount: 3,
      actionLabels: ['local', 'split', 'edge'],
    });
    expect(Date.parse(meta.createdAt)).not.toBeNaN();
    learner.dispose();
  });

  it('rejects action labels that do not match the outputs', async () => {
    const learner = new DqnLearner(tf, { config, observationSize: 5, actionCount: 3 });
    await rejectsWith(saveCheckpoint(tf, { root, model: learner.onlineNet, step: 1, dqnConfig: config, actionLabels: ['x'] }), 'ERR_INVALID_ARGUMENT');
    learner.dispose();
  });
});

describe('loadCheckpoint on damaged or foreign directories', () => {
  it('reports bad JSON, missing weights and a wrong byte length as ERR_CHECKPOINT_CORRUPT', async () => {
    const { learner, ck } = await saved();
    learner.dispose();
    const weights = await readFile(join(ck.dir, 'weights.bin'));
    await writeFile(join(ck.dir, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await rejectsWith(loadCheckpoint(tf, ck.dir), 'ERR_CHECKPOINT_CORRUPT');
    await rm(join(ck.dir, 'weights.bin'));
    await rejectsWith(loadCheckpoint(tf, ck.dir), 'ERR_CHECKPOINT_CORRUPT');
    await writeFile(join(ck.dir, 'weights.bin'), weights);
    await writeFile(join(ck.dir, 'model.json'), '{"modelTopology": ');
    await rejectsWith(loadCheckpoint(tf, ck.dir), 'ERR_CHECKPOINT_CORRUPT');
    await writeFile(join(ck.dir, 'checkpoint.json'), 'not json');
    await rejectsWith(readCheckpoint(ck.dir), 'ERR_CHECKPOINT_CORRUPT');
  });

  it('reports a missing field as corrupt and another schema as incompatible', async () => {
    const { learner, ck } = await saved();
    learner.dispose();
    const meta = JSON.parse(await readFile(join(ck.dir, 'checkpoint.json'), 'utf8'));
    await writeFile(join(ck.dir, 'checkpoint.json'), JSON.stringify({ ...meta, actionLabels: undefined }));
    await rejectsWith(readCheckpoint(ck.dir), 'ERR_CHECKPOINT_CORRUPT');
    await writeFile(join(ck.dir, 'checkpoint.json'), JSON.stringify({ ...meta, schemaVersion: 99 }));
    await rejectsWith(readCheckpoint(ck.dir), 'ERR_CHECKPOINT_INCOMPATIBLE');
  });

  it('reports a network that does not fit the caller as ERR_CHECKPOINT_INCOMPATIBLE', async () => {
    const { learner, ck } = await saved();
    learner.dispose();
    await rejectsWith(loadCheckpoint(tf, ck.dir, { observationSize: 6 }), 'ERR_CHECKPOINT_INCOMPATIBLE');
    await rejectsWith(loadCheckpoint(tf, ck.dir, { actionCount: 4 }), 'ERR_CHECKPOINT_INCOMPATIBLE');
    await rejectsWith(loadCheckpoint(tf, ck.dir, { actionLabels: ['local', 'edge', 'split'] }), 'ERR_CHECKPOINT_INCOMPATIBLE');
  });

  it('reports a directory without checkpoint.json as ERR_CHECKPOINT_NOT_FOUND', async () => {
    await rejectsWith(readCheckpoint(join(root, 'nothing-here')), 'ERR_CHECKPOINT_NOT_FOUND');
  });
});
