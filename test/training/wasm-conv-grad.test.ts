import { describe, it, expect, beforeAll } from 'vitest';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { createRng } from '../../common/rng.ts';
import { registerWasmConvGradKernels } from '../../training/wasm-conv-grad.ts';

interface Case {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly k: number;
  readonly cout: number;
  readonly pad: 'same' | 'valid';
}

const CASES: Case[] = [
  { name: "odd-size 7×7 'same' 3×3", x: [2, 7, 7, 3], k: 3, cout: 4, pad: 'same' },
  { name: "8×8 'same' 5×5", x: [3, 8, 8, 4], k: 5, cout: 6, pad: 'same' },
  { name: "even kernel 'same' (asymmetric pad), batch 1", x: [1, 6, 5, 2], k: 2, cout: 3, pad: 'same' },
  { name: "'valid' 3×3", x: [2, 9, 9, 2], k: 3, cout: 5, pad: 'valid' },
  { name: 'single input channel (Fashion-MNIST conv1)', x: [2, 28, 28, 1], k: 5, cout: 8, pad: 'same' },
];

function rand(n: number, seed: number): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** dL/dx and dL/dW of L = Σ conv(x, W) ⊙ R on the current backend. */
function grads(tf: Tf, c: Case): { dx: Float32Array; dw: Float32Array } {
  const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  const wShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.cout];
  return tf.tidy(() => {
    const x = tf.tensor4d(rand(size(c.x), 1), c.x);
    const w = tf.tensor4d(rand(size(wShape), 2), wShape);
    const yShape = tf.conv2d(x, w, 1, c.pad).shape;
    const r = tf.tensor(rand(size(yShape), 3), yShape);
    const g = tf.grads((a: unknown, b: unknown) => tf.sum(tf.mul(tf.conv2d(a as never, b as never, 1, c.pad), r)));
    const [dx, dw] = g([x, w]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-12);
}

describe('wasm conv gradient kernels', () => {
  let tf: Tf;
  beforeAll(async () => {
    ({ tf } = await loadTf('wasm'));
    expect(registerWasmConvGradKernels(tf)).toBe(true);
    expect(registerWasmConvGradKernels(tf)).toBe(true); // idempotent
  });

  for (const c of CASES) {
    it(`matches the cpu backend: ${c.name}`, async () => {
      await tf.setBackend('cpu');
      const ref = grads(tf, c);
      await tf.setBackend('wasm');
      expect(tf.getBackend()).toBe('wasm');
      const before = tf.memory().numTensors;
      const got = grads(tf, c);
      expect(tf.memory().numTensors).toBe(before);
      expect(got.dw.length).toBe(ref.dw.length);
      expect(relDiff(got.dw, ref.dw)).toBeLessThanOrEqual(1e-4);
      expect(relDiff(got.dx, ref.dx)).toBeLessThanOrEqual(1e-4);
    });
  }

  it('rejects strided convolutions with ERR_BACKEND (dW has no fallback)', async () => {
    await tf.setBackend('wasm');
    const run = (): void =>
      tf.tidy(() => {
        const x = tf.ones([1, 6, 6, 1]) as never;
        const w = tf.ones([3, 3, 1, 1]) as never;
        tf.grad((b: unknown) => tf.sum(tf.conv2d(x, b as never, 2, 'same')))(w);
      });
    expect(run).toThrow(expect.objectContaining({ code: 'ERR_BACKEND' }));
  });
});
