import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { createRng } from '../../../common/rng.ts';
import { alexNetSpec, type ArchitectureSpec } from '../../../runtime/model/architecture.ts';
import { architectureInfo, architectureWeights, samePads } from '../../../runtime/model/layer-shapes.ts';
import { buildOnnxModel } from '../../../runtime/model/onnx-builder.ts';
import { randomWeights } from '../../../runtime/model/random-weights.ts';
import { decodeOnnx } from '../../../runtime/onnx/onnx-proto.ts';

/** A tiny spec that exercises every layer type; 8×8 makes the 3×3/2 pooling pads asymmetric. */
const tiny: ArchitectureSpec = {
  name: 'tiny',
  input: { channels: 2, height: 8, width: 8 },
  classes: 4,
  stages: [
    { name: 's1', layers: [{ type: 'conv', name: 's1_conv', filters: 3, kernel: 3, stride: 1 }, { type: 'relu', name: 's1' }] },
    { name: 's2', layers: [{ type: 'pool', name: 's2', kernel: 3, stride: 2 }] },
    { name: 's3', layers: [{ type: 'lrn', name: 's3', size: 3, bias: 1, alpha: 0.5, beta: 0.75 }] },
    {
      name: 's4',
      layers: [
        { type: 'flatten', name: 's4_flat' }, { type: 'fc', name: 's4_fc', units: 6 },
        { type: 'relu', name: 's4_relu' }, { type: 'dropout', name: 's4', rate: 0.5 },
      ],
    },
  ],
  exits: [
    { name: 'e1', branchStage: 2, head: [{ type: 'flatten', name: 'e1_flat' }, { type: 'fc', name: 'e1_fc', units: 4 }, { type: 'softmax', name: 'e1' }] },
    { name: 'e2', branchStage: 4, head: [{ type: 'fc', name: 'e2_fc', units: 4 }, { type: 'softmax', name: 'e2' }] },
  ],
};

// --- a naive reference forward pass (per sample, CHW), written from the ONNX op definitions ---
type Chw = { c: number; h: number; w: number; d: Float64Array };
function conv(x: Chw, wt: Float32Array, b: Float32Array, o: number, k: number): Chw {
  const [pt] = samePads(x.h, k, 1);
  const [pl] = samePads(x.w, k, 1);
  const d = new Float64Array(o * x.h * x.w);
  for (let f = 0; f < o; f++) for (let y = 0; y < x.h; y++) for (let xx = 0; xx < x.w; xx++) {
    let s = b[f]!;
    for (let c = 0; c < x.c; c++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const iy = y + ky - pt, ix = xx + kx - pl;
      if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) s += wt[((f * x.c + c) * k + ky) * k + kx]! * x.d[(c * x.h + iy) * x.w + ix]!;
    }
    d[(f * x.h + y) * x.w + xx] = s;
  }
  return { c: o, h: x.h, w: x.w, d };
}
function maxPool(x: Chw, k: number, s: number): Chw {
  const [pt] = samePads(x.h, k, s);
  const [pl] = samePads(x.w, k, s);
  const h = Math.ceil(x.h / s), w = Math.ceil(x.w / s);
  const d = new Float64Array(x.c * h * w).fill(-Infinity);
  for (let c = 0; c < x.c; c++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
    for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const iy = y * s + ky - pt, ix = xx * s + kx - pl;
      if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) d[(c * h + y) * w + xx] = Math.max(d[(c * h + y) * w + xx]!, x.d[(c * x.h + iy) * x.w + ix]!);
    }
  }
  return { c: x.c, h, w, d };
}
function lrn(x: Chw, size: number, bias: number, alpha: number, beta: number): Chw {
  const d = new Float64Array(x.d.length);
  const plane = x.h * x.w;
  for (let c = 0; c < x.c; c++) for (let i = 0; i < plane; i++) {
    let sq = 0;
    for (let j = Math.max(0, c - Math.floor((size - 1) / 2)); j <= Math.min(x.c - 1, c + Math.ceil((size - 1) / 2)); j++) sq += x.d[j * plane + i]! ** 2;
    d[c * plane + i] = x.d[c * plane + i]! / (bias + (alpha / size) * sq) ** beta;
  }
  return { ...x, d };
}
const relu = (v: Float64Array): Float64Array => v.map((a) => Math.max(0, a));
function gemm(x: Float64Array, wt: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(b.length);
  for (let j = 0; j < b.length; j++) {
    let s = b[j]!;
    for (let i = 0; i < x.length; i++) s += x[i]! * wt[i * b.length + j]!;
    out[j] = s;
  }
  return out;
}
function softmax(v: Float64Array): Float64Array {
  const m = Math.max(...v);
  const e = v.map((a) => Math.exp(a - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((a) => a / z);
}

describe('buildOnnxModel', () => {
  it('matches a naive reference of every layer type (conv, asymmetric maxpool, LRN, flatten, gemm, softmax)', async () => {
    const w = randomWeights(tiny, createRng(5));
    // non-zero biases, so their layout is checked too
    for (const [name, t] of w) if (name.endsWith('.bias')) t.forEach((_, i) => { t[i] = 0.1 * (i + 1); });
    expect(samePads(8, 3, 2)).toEqual([0, 1]);
    const onnx = buildOnnxModel(tiny, w);
    const batch = 2;
    const rng = createRng(9);
    const x = Float32Array.from({ length: batch * 2 * 64 }, () => rng.normal());
    const s = await ort.InferenceSession.create(onnx);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await s.run({ input: new ort.Tensor('float32', x, [batch, 2, 8, 8]) });
    } finally {
      await s.release();
    }
    for (let n = 0; n < batch; n++) {
      const inp: Chw = { c: 2, h: 8, w: 8, d: Float64Array.from(x.subarray(n * 128, (n + 1) * 128)) };
      const c1 = conv(inp, w.get('s1_conv.weight')!, w.get('s1_conv.bias')!, 3, 3);
      const s1: Chw = { ...c1, d: relu(c1.d) };
      const s2 = maxPool(s1, 3, 2);
      const s3 = lrn(s2, 3, 1, 0.5, 0.75);
      const s4 = relu(gemm(s3.d, w.get('s4_fc.weight')!, w.get('s4_fc.bias')!));
      const e1 = softmax(gemm(s2.d, w.get('e1_fc.weight')!, w.get('e1_fc.bias')!));
      const e2 = softmax(gemm(s4, w.get('e2_fc.weight')!, w.get('e2_fc.bias')!));
      for (const [name, ref] of [['e1', e1], ['e2', e2]] as const) {
        const got = (out[name]!.data as Float32Array).subarray(n * 4, (n + 1) * 4);
        got.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 5));
      }
    }
  });

  it('builds the 28×28 AlexNet: runs in ORT with five [N,10] probability outputs and a shaped tensor per layer', async () => {
    const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
    const onnx = buildOnnxModel(spec, randomWeights(spec, createRng(1)));
    const g = decodeOnnx(onnx).graph;
    expect(g.output.map((o) => o.name)).toEqual(['exit1', 'exit2', 'exit3', 'exit4', 'exit5']);
    const info = architectureInfo(spec);
    const shapes = new Map(g.value_info.map((v) => [v.name, v.type!.tensor_type!.shape!.dim.map((d) => d.dim_value ?? d.dim_param)]));
    spec.stages.forEach((st, i) => expect(shapes.get(st.name)).toEqual(['N', ...info.stageOutputShapes[i]!]));
    expect(shapes.get('exit3_pool')).toEqual(['N', 16, 4, 4]);
    expect(g.node.find((n) => n.name === 'pool2')!.attribute!.find((a) => a.name === 'pads')!.ints).toEqual([0, 0, 1, 1]);

    const s = await ort.InferenceSession.create(onnx);
    try {
      const batch = 3;
      const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(batch * 784).map((_, i) => Math.cos(i)), [batch, 1, 28, 28]) });
      for (const e of spec.exits) {
        const t = out[e.name]!;
        expect(t.dims).toEqual([batch, 10]);
        const p = t.data as Float32Array;
        for (let n = 0; n < batch; n++) expect(p.subarray(n * 10, n * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    } finally {
      await s.release();
    }
  });

  it('throws RangeError naming a missing or wrong-sized weight', () => {
    const w = randomWeights(tiny, createRng(2));
    w.delete('e2_fc.bias');
    expect(() => buildOnnxModel(tiny, w)).toThrow(RangeError);
    expect(() => buildOnnxModel(tiny, w)).toThrow(/e2_fc\.bias/);
    const w2 = randomWeights(tiny, createRng(2));
    w2.set('s1_conv.weight', new Float32Array(3));
    expect(() => buildOnnxModel(tiny, w2)).toThrow(/s1_conv\.weight/);
  });
});

describe('randomWeights', () => {
  it('is seeded, He-normal for kernels and zero for biases', () => {
    const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
    const a = randomWeights(spec, createRng(4));
    const b = randomWeights(spec, createRng(4));
    expect([...a.keys()]).toEqual(architectureWeights(spec).map((x) => x.name));
    expect(a.get('conv2_conv.weight')).toEqual(b.get('conv2_conv.weight'));
    expect(a.get('conv2_conv.weight')).not.toEqual(randomWeights(spec, createRng(5)).get('conv2_conv.weight'));
    expect(a.get('fc1_fc.bias')!.every((v) => v === 0)).toBe(true);
    const k = a.get('fc1_fc.weight')!; // fan-in 1024: std √(2/1024)
    const std = Math.sqrt(k.reduce((s, v) => s + v * v, 0) / k.length);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 1024) * 0.97);
    expect(std).toBeLessThan(Math.sqrt(2 / 1024) * 1.03);
  });
});
