import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoinferError } from '../../../common/errors.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import type { ModelPackage } from '../../../runtime/model/model-package.ts';
import { preprocess } from '../../../runtime/model/preprocess.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { loadSamples } from '../../../runtime/model/samples.ts';
import { SessionCache } from '../../../runtime/model/session-cache.ts';
import { verifySplits } from '../../../runtime/model/split-verify.ts';

let root: string;
let pkg: ModelPackage;
let input: Float32Array;
const batch = 4;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-split-'));
  pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 7, sampleCount: batch });
  input = preprocess(pkg.manifest, (await loadSamples(pkg)).images);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('split exactness on a random-weight package', () => {
  it('prefix∘suffix equals the whole model for every (partition, exit) pair', async () => {
    const cache = new SessionCache(pkg.onnx);
    try {
      const r = await verifySplits({ manifest: pkg.manifest, onnx: pkg.onnx, cache, input, batch });
      expect(r.pairs).toHaveLength(pkg.manifest.exits.reduce((n, e) => n + e.branchStage + 1, 0)); // 41
      expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-5);
      expect(r.maxAbsDiff).toBe(0);
    } finally {
      await cache.close();
    }
  });
});

describe('SessionCache', () => {
  it('creates each (from, to) session once, shared by concurrent first calls', async () => {
    const cache = new SessionCache(pkg.onnx);
    try {
      const runs = await Promise.all([0, 1, 2].map(() => cache.run({ from: 'input', to: 'exit1', input, batch, inputShape: [1, 28, 28] })));
      expect(cache.sessionCount).toBe(1);
      expect(runs[0]).toHaveLength(batch * 10);
      expect(runs[1]).toEqual(runs[0]);
      await cache.warm('input', 'lrn1');
      await cache.warm('input', 'lrn1');
      expect(cache.sessionCount).toBe(2);
      const mid = await cache.run({ from: 'input', to: 'lrn1', input, batch, inputShape: [1, 28, 28] });
      expect(mid).toHaveLength(batch * 32 * 14 * 14);
      const out = await cache.run({ from: 'lrn1', to: 'exit1', input: mid, batch, inputShape: [32, 14, 14] });
      expect(out).toEqual(runs[0]);
    } finally {
      await cache.close();
    }
  });

  it('rejects bad calls: wrong input length, unknown tensors, multi-tensor cuts; failures are not cached', async () => {
    const cache = new SessionCache(pkg.onnx, { intraOpNumThreads: 1 });
    try {
      await expect(cache.run({ from: 'input', to: 'exit1', input: new Float32Array(3), batch: 1, inputShape: [1, 28, 28] })).rejects.toThrow(RangeError);
      const err = await cache.warm('input', 'nope').then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(CoinferError);
      expect((err as CoinferError).code).toBe('ERR_SPLIT_UNKNOWN_TENSOR');
      // the edge part of exits 1..2 from lrn2 also needs lrn1 (exit1's branch): two tensors cross
      const multi = await cache.warm('lrn2', 'exit1').then(() => undefined, (e: unknown) => e);
      expect((multi as CoinferError).code).toBe('ERR_SPLIT_MULTI_TENSOR_CUT');
      expect(cache.sessionCount).toBe(0);
    } finally {
      await cache.close();
    }
    expect(() => new SessionCache(pkg.onnx, { intraOpNumThreads: 0 })).toThrow(RangeError);
  });

  it('close() releases everything, is idempotent, and later calls reject', async () => {
    const cache = new SessionCache(pkg.onnx);
    const pending = cache.warm('input', 'exit2'); // closing while a creation is in flight
    await cache.close();
    await pending;
    await cache.close();
    expect(cache.sessionCount).toBe(0);
    await expect(cache.warm('input', 'exit2')).rejects.toBeInstanceOf(CoinferError);
  });
});
