import { describe, it, expect } from 'vitest';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import { buildManifest } from '../../../runtime/model/manifest-build.ts';
import { preprocess } from '../../../runtime/model/preprocess.ts';

const manifest = buildManifest({
  spec: alexNetSpec({ channels: 3, size: 8, classes: 2 }), onnx: new Uint8Array(1), dataset: 'x',
  preprocessing: { scale: 1 / 255, mean: [0.1, 0.5, 0.9], std: [0.2, 0.25, 0.5] }, classNames: ['a', 'b'],
  provenance: { dataset: 'x', trainingCommand: null, gitCommit: null, date: '2026-01-01' },
});

describe('preprocess', () => {
  it('computes (u8·scale − mean[c]) / std[c] per NCHW channel plane, for whole batches', () => {
    const raw = Uint8Array.from({ length: 2 * 3 * 64 }, (_, i) => (i * 37) % 256);
    const out = preprocess(manifest, raw);
    const { mean, std } = manifest.input.preprocessing;
    for (const i of [0, 63, 64, 130, 191, 192, 300, 383]) {
      const c = Math.floor((i % 192) / 64);
      expect(out[i]).toBeCloseTo((raw[i]! / 255 - mean[c]!) / std[c]!, 6);
    }
    const reuse = new Float32Array(raw.length);
    expect(preprocess(manifest, raw, reuse)).toBe(reuse);
    expect(reuse).toEqual(out);
  });

  it('rejects partial samples and a wrong-sized destination', () => {
    expect(() => preprocess(manifest, new Uint8Array(100))).toThrow(RangeError);
    expect(() => preprocess(manifest, new Uint8Array(192), new Float32Array(10))).toThrow(RangeError);
  });
});
