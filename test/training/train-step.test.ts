import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { createRng } from '../../common/rng.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { registerWasmConvGradKernels } from '../../training/wasm-conv-grad.ts';
import { buildTfBranchyNet, type TfBranchyNet } from '../../training/tf-alexnet.ts';
import { trainStep } from '../../training/train-step.ts';
import type { Batch } from '../../training/batches.ts';

const spec = alexNetSpec({ channels: 1, size: 12, classes: 3 });

function batch(n: number, seed: number): Batch {
  const r = createRng(seed);
  return { x: Float32Array.from({ length: n * 144 }, () => r.normal()), labels: Int32Array.from({ length: n }, () => r.int(3)), size: n };
}

describe('trainStep', () => {
  let tf: Tf;
  let net: TfBranchyNet;
  beforeAll(async () => {
    ({ tf } = await loadTf('wasm'));
    registerWasmConvGradKernels(tf);
    net = buildTfBranchyNet(tf, spec, { seed: 3 });
  });
  afterAll(() => net.model.dispose());

  it('leaks no tensors after the warm-up step and updates every weight', () => {
    const opt = tf.train.adam(1e-3);
    const w = [1, 1, 1, 1, 1];
    trainStep(tf, net, { optimizer: opt, batch: batch(8, 1), exitWeights: w, dropoutSeed: 1 }); // Adam allocates its moments here
    const before = tf.memory().numTensors;
    const snapshot = net.model.trainableWeights.map((v) => Float32Array.from(v.read().dataSync() as Float32Array));
    const s = trainStep(tf, net, { optimizer: opt, batch: batch(8, 2), exitWeights: w, dropoutSeed: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(s.exitLoss).toHaveLength(5);
    expect(s.exitCorrect.every((c) => c >= 0 && c <= 8)).toBe(true);
    expect(s.loss).toBeCloseTo(s.exitLoss.reduce((a, b) => a + b, 0), 4);
    const changed = net.model.trainableWeights.map((v, i) => (v.read().dataSync() as Float32Array).some((x, j) => x !== snapshot[i]![j]));
    expect(changed.every(Boolean)).toBe(true);
    opt.dispose();
  });

  it('weights the exits: a zero weight leaves that exit head untouched', () => {
    const opt = tf.train.adam(1e-3);
    const head = net.model.getLayer('exit1_fc');
    const before = Float32Array.from(head.getWeights()[0]!.dataSync() as Float32Array);
    trainStep(tf, net, { optimizer: opt, batch: batch(8, 3), exitWeights: [0, 1, 1, 1, 1], dropoutSeed: 3 });
    expect(Float32Array.from(head.getWeights()[0]!.dataSync() as Float32Array)).toEqual(before);
    opt.dispose();
  });

  it('rejects a wrong number of exit weights', () => {
    const opt = tf.train.adam(1e-3);
    expect(() => trainStep(tf, net, { optimizer: opt, batch: batch(2, 4), exitWeights: [1, 1], dropoutSeed: 0 })).toThrow(RangeError);
    opt.dispose();
  });
});
