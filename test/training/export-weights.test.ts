import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { createRng } from '../../common/rng.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { architectureWeights } from '../../runtime/model/layer-shapes.ts';
import { buildOnnxModel, ONNX_INPUT_NAME } from '../../runtime/model/onnx-builder.ts';
import { SessionCache } from '../../runtime/model/session-cache.ts';
import { buildTfBranchyNet, type TfBranchyNet } from '../../training/tf-alexnet.ts';
import { exportOnnxWeights, hwioToOihw, permuteFlattenRows } from '../../training/export-weights.ts';

// Small, 3-channel, odd-sized: exercises the OIHW transpose, the CHW flatten permutation
// with C > 1 and TF's asymmetric 'same' pooling pads.
const spec = alexNetSpec({ channels: 3, size: 13, classes: 4 });
const [C, H, W] = [3, 13, 13];
const N = 3;

function input(): { nhwc: Float32Array; nchw: Float32Array } {
  const r = createRng(11);
  const nchw = Float32Array.from({ length: N * C * H * W }, () => r.normal());
  const nhwc = new Float32Array(nchw.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) nhwc[(n * H * W + p) * C + c] = nchw[(n * C + c) * H * W + p]!;
  return { nhwc, nchw };
}

describe('exportOnnxWeights', () => {
  let tf: Tf;
  let net: TfBranchyNet;
  let onnx: Uint8Array;
  beforeAll(async () => {
    ({ tf } = await loadTf('wasm'));
    net = buildTfBranchyNet(tf, spec, { seed: 5 });
    onnx = buildOnnxModel(spec, exportOnnxWeights(net.model, spec));
  });
  afterAll(() => net.model.dispose());

  it('names every tfjs layer after the spec and exports every spec weight with its ONNX shape', () => {
    const names = new Set(net.model.layers.map((l) => l.name));
    for (const st of spec.stages) for (const l of st.layers) expect(names.has(l.name)).toBe(true);
    for (const ex of spec.exits) for (const l of ex.head) expect(names.has(l.name)).toBe(true);
    const w = exportOnnxWeights(net.model, spec);
    const expected = architectureWeights(spec);
    expect([...w.keys()].sort()).toEqual(expected.map((e) => e.name).sort());
    for (const e of expected) expect(w.get(e.name)!.length).toBe(e.shape.reduce((a, b) => a * b, 1));
  });

  it('gives ORT outputs equal to tfjs on every exit (max abs diff ≤ 1e-4)', async () => {
    const { nhwc, nchw } = input();
    const tfOut = tf.tidy(() => (net.model.predict(tf.tensor4d(nhwc, [N, H, W, C])) as import('@tensorflow/tfjs').Tensor[]).map((t) => t.dataSync() as Float32Array));
    const session = await ort.InferenceSession.create(onnx);
    try {
      const names = spec.exits.map((e) => e.name);
      const res = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', nchw, [N, C, H, W]) }, names);
      names.forEach((name, k) => {
        const a = res[name]!.data as Float32Array;
        expect(a.length).toBe(tfOut[k]!.length);
        let max = 0;
        for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - tfOut[k]![i]!));
        expect(max).toBeLessThanOrEqual(1e-4);
      });
    } finally {
      await session.release();
    }
  });

  it('matches tfjs at the partition tensors (lrn2 in NCHW, fc1 after the flatten permutation)', async () => {
    const { nhwc, nchw } = input();
    const cache = new SessionCache(onnx);
    try {
      for (const name of ['lrn2', 'fc1']) {
        const sub = tf.model({ inputs: net.model.inputs, outputs: net.model.getLayer(name).output as import('@tensorflow/tfjs').SymbolicTensor });
        const t = tf.tidy(() => (sub.predict(tf.tensor4d(nhwc, [N, H, W, C])) as import('@tensorflow/tfjs').Tensor));
        const shape = t.shape.slice(1);
        const want = t.dataSync() as Float32Array;
        t.dispose();
        const got = await cache.run({ from: ONNX_INPUT_NAME, to: name, input: nchw, batch: N, inputShape: [C, H, W] });
        let max = 0;
        let scale = 0;
        if (shape.length === 3) {
          const [h, w, c] = shape as [number, number, number];
          for (let n = 0; n < N; n++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
            const a = got[((n * c + ch) * h + y) * w + x]!;
            const b = want[((n * h + y) * w + x) * c + ch]!;
            max = Math.max(max, Math.abs(a - b));
            scale = Math.max(scale, Math.abs(b));
          }
        } else {
          for (let i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(got[i]! - want[i]!));
            scale = Math.max(scale, Math.abs(want[i]!));
          }
        }
        expect(scale).toBeGreaterThan(0);
        expect(max).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
      }
    } finally {
      await cache.close();
    }
  });
});

describe('layout helpers', () => {
  it('hwioToOihw equals tf.transpose(k, [3,2,0,1])', async () => {
    const { tf } = await loadTf('wasm');
    const r = createRng(3);
    const k = Float32Array.from({ length: 2 * 3 * 4 * 5 }, () => r.normal());
    const want = tf.tidy(() => tf.transpose(tf.tensor4d(k, [2, 3, 4, 5]), [3, 2, 0, 1]).dataSync() as Float32Array);
    expect(hwioToOihw(k, { kh: 2, kw: 3, cin: 4, cout: 5 })).toEqual(want);
  });

  it('permuteFlattenRows maps row (h·W+w)·C+c to (c·H+h)·W+w', () => {
    const [c, h, w, units] = [2, 3, 4, 2];
    const k = Float32Array.from({ length: c * h * w * units }, (_, i) => i);
    const out = permuteFlattenRows(k, { c, h, w, units });
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
      const src = ((y * w + x) * c + ch) * units;
      const dst = ((ch * h + y) * w + x) * units;
      expect(Array.from(out.subarray(dst, dst + units))).toEqual(Array.from(k.subarray(src, src + units)));
    }
  });
});
