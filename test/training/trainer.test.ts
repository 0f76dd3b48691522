import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import type { ImageDataset } from '../../training/data/dataset.ts';
import { registerWasmConvGradKernels } from '../../training/wasm-conv-grad.ts';
import { learningRateAt, resolveTrainerConfig, trainBranchyNet } from '../../training/trainer.ts';
import { checkpointPath, loadTrainState } from '../../training/train-checkpoint.ts';

const spec = alexNetSpec({ channels: 1, size: 12, classes: 3 });
const norm = { scale: 1 / 255, mean: [0.5], std: [0.25] };

function dataset(n: number): ImageDataset {
  const r = createRng(9);
  return {
    name: 'fashion-mnist', split: 'train', count: n, channels: 1, height: 12, width: 12,
    images: Uint8Array.from({ length: n * 144 }, () => r.int(256)), labels: Uint8Array.from({ length: n }, () => r.int(3)), classNames: ['a', 'b', 'c'],
  };
}

describe('trainBranchyNet', () => {
  let tf: Tf;
  let dir = '';
  beforeAll(async () => {
    ({ tf } = await loadTf('wasm'));
    registerWasmConvGradKernels(tf);
    dir = await mkdtemp(join(tmpdir(), 'coinfer-trainer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes to exactly the weights of an uninterrupted run', async () => {
    const config = resolveTrainerConfig({ epochs: 2, batchSize: 8, seed: 4, checkpointEverySteps: 1, augment: { horizontalFlip: true, maxShiftPx: 1 } });
    const train = dataset(24); // 3 steps per epoch, 6 in all
    const full = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir: null, resume: false });
    const want = full.net.model.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
    full.net.model.dispose();

    const stateDir = join(dir, 'resume');
    const first = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir, resume: false, maxSteps: 4, meta: { trainingCommand: 'test' } });
    expect(first.complete).toBe(false);
    first.net.model.dispose();
    const state = await loadTrainState(stateDir);
    expect(state?.header).toMatchObject({ epoch: 1, stepInEpoch: 1, globalStep: 4, complete: false });

    const before = tf.memory().numTensors;
    const second = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir, resume: true });
    expect(second.complete).toBe(true);
    expect(second.globalStep).toBe(6);
    expect(second.meta['trainingCommand']).toBe('test');
    // Same data order, augmentation, dropout masks and Adam state: bit-identical weights.
    const got = second.net.model.getWeights().map((t) => t.dataSync() as Float32Array);
    got.forEach((g, i) => expect(g).toEqual(want[i]));
    second.net.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a corrupt state file and a state of another architecture', async () => {
    const bad = join(dir, 'bad');
    await import('node:fs/promises').then((fs) => fs.mkdir(bad, { recursive: true }));
    await writeFile(checkpointPath(bad), 'not a checkpoint');
    const config = resolveTrainerConfig({ epochs: 1, batchSize: 8 });
    const e = await trainBranchyNet(tf, { spec, train: dataset(8), config, normalization: norm, stateDir: bad, resume: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe('ERR_CHECKPOINT_CORRUPT');

    const other = join(dir, 'other');
    const r = await trainBranchyNet(tf, { spec, train: dataset(8), config, normalization: norm, stateDir: other, resume: false });
    r.net.model.dispose();
    const spec2 = alexNetSpec({ channels: 1, size: 12, classes: 4 });
    const e2 = await trainBranchyNet(tf, { spec: spec2, train: dataset(8), config, normalization: norm, stateDir: other, resume: true }).catch((x: unknown) => x);
    expect((e2 as CoinferError).code).toBe('ERR_CHECKPOINT_INCOMPATIBLE');
  });

  it('reschedules a resumed run to fewer epochs, recomputing the cosine schedule and recording the change', async () => {
    const config = resolveTrainerConfig({ epochs: 4, batchSize: 8, seed: 4, checkpointEverySteps: 1 });
    const train = dataset(16); // 2 steps per epoch
    const stateDir = join(dir, 'reschedule');
    const first = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir, resume: false, maxSteps: 3 });
    first.net.model.dispose(); // epoch 1 done, 1 step into epoch 2
    const tooFew = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir, resume: true, rescheduleEpochs: 1 }).catch((x: unknown) => x);
    expect((tooFew as CoinferError).code).toBe('ERR_INVALID_ARGUMENT');
    const lrs: number[] = [];
    const second = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir, resume: true, rescheduleEpochs: 3, onEpochEnd: (e) => lrs.push(e.learningRate) });
    second.net.model.dispose();
    expect(second.complete).toBe(true);
    expect(second.config.epochs).toBe(3);
    expect(second.globalStep).toBe(6);
    const three = resolveTrainerConfig({ ...config, epochs: 3 });
    expect(lrs).toEqual([learningRateAt(three, 1), learningRateAt(three, 2)]);
    expect(second.meta['reschedules']).toMatchObject([{ atEpoch: 1, atStep: 3, fromEpochs: 4, toEpochs: 3 }]);
    expect((await loadTrainState(stateDir))?.header.meta['reschedules']).toHaveLength(1);
  });
});

describe('resolveTrainerConfig', () => {
  it('validates every field with ERR_INVALID_CONFIG', () => {
    for (const bad of [{ epochs: 0 }, { batchSize: 1.5 }, { learningRate: 0 }, { exitWeights: [0, 0, 0, 0, 0] }, { exitWeights: [-1, 1, 1, 1, 1] }, { checkpointEverySteps: -1 }]) {
      const e = (() => {
        try {
          resolveTrainerConfig(bad);
          return null;
        } catch (x) {
          return x;
        }
      })();
      expect((e as CoinferError).code).toBe('ERR_INVALID_CONFIG');
    }
  });

  it('decays the learning rate with a per-epoch cosine', () => {
    const c = resolveTrainerConfig({ epochs: 4, learningRate: 1e-3 });
    expect(learningRateAt(c, 0)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(c, 2)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(resolveTrainerConfig({ lrSchedule: 'constant' }), 3)).toBe(1e-3);
  });
});
