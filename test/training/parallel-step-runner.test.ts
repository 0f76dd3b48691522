import { describe, it, expect, beforeAll } from 'vitest';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { createRng } from '../../common/rng.ts';
import { alexNetSpec, type ArchitectureSpec } from '../../runtime/model/architecture.ts';
import type { ImageDataset } from '../../training/data/dataset.ts';
import { registerWasmConvGradKernels } from '../../training/wasm-conv-grad.ts';
import { resolveTrainerConfig, trainBranchyNet } from '../../training/trainer.ts';

// Dropout off: with it, each shard draws its own masks and the runs differ by design.
const base = alexNetSpec({ channels: 1, size: 12, classes: 3 });
const spec: ArchitectureSpec = { ...base, stages: base.stages.map((st) => ({ ...st, layers: st.layers.map((l) => (l.type === 'dropout' ? { ...l, rate: 0 } : l)) })) };
const norm = { scale: 1 / 255, mean: [0.5], std: [0.25] };

function dataset(n: number): ImageDataset {
  const r = createRng(3);
  return {
    name: 'fashion-mnist', split: 'train', count: n, channels: 1, height: 12, width: 12,
    images: Uint8Array.from({ length: n * 144 }, () => r.int(256)), labels: Uint8Array.from({ length: n }, () => r.int(3)), classNames: ['a', 'b', 'c'],
  };
}

describe('data-parallel training (ParallelStepRunner)', () => {
  let tf: Tf;
  beforeAll(async () => {
    ({ tf } = await loadTf('wasm'));
    registerWasmConvGradKernels(tf);
  });

  it('reaches the weights of single-thread training (averaged shard gradients = the batch gradient)', async () => {
    const config = resolveTrainerConfig({ epochs: 2, batchSize: 10, seed: 5, augment: { horizontalFlip: true, maxShiftPx: 1 } });
    const train = dataset(30);
    const one = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir: null, resume: false });
    const two = await trainBranchyNet(tf, { spec, train, config, normalization: norm, stateDir: null, resume: false, workers: 2, workerBackend: 'wasm' });
    expect(two.globalStep).toBe(6);
    expect(two.history.map((h) => h.exits.map((e) => e.accuracy))).toEqual(one.history.map((h) => h.exits.map((e) => e.accuracy)));
    const a = one.net.model.getWeights().map((t) => t.dataSync() as Float32Array);
    const b = two.net.model.getWeights().map((t) => t.dataSync() as Float32Array);
    let maxDiff = 0;
    let moved = 0;
    a.forEach((w, i) => w.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i]![j]!)))));
    two.net.model.getWeights().forEach((t) => (moved += t.abs().sum().dataSync()[0]!));
    expect(moved).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(1e-4); // float summation order only
    one.net.model.dispose();
    two.net.model.dispose();
  });

  it('fails with a clear error for a bad worker count', async () => {
    const config = resolveTrainerConfig({ epochs: 1, batchSize: 10, seed: 5 });
    await expect(trainBranchyNet(tf, { spec, train: dataset(10), config, normalization: norm, stateDir: null, resume: false, workers: 100 })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG' });
  });
});
