import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { CoinferError } from '../../../common/errors.ts';
import { createRng } from '../../../common/rng.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import { buildManifest, decodeCorrectness, encodeCorrectness } from '../../../runtime/model/manifest-build.ts';

const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
const onnx = new Uint8Array([1, 2, 3, 4]); // buildManifest only hashes the bytes
const base = {
  spec, onnx, dataset: 'fashion-mnist',
  preprocessing: { scale: 1 / 255, mean: [0.286], std: [0.353] },
  classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
  provenance: { dataset: 'fashion-mnist', trainingCommand: null, gitCommit: null, date: '2026-01-01T00:00:00Z' },
};

describe('correctness bit-vector', () => {
  it('round-trips any length, LSB-first', () => {
    const rng = createRng(3);
    for (const n of [0, 1, 7, 8, 9, 1000]) {
      const bits = Uint8Array.from({ length: n }, () => rng.int(2));
      expect(decodeCorrectness(encodeCorrectness(bits), n)).toEqual(bits);
    }
    expect(Buffer.from(encodeCorrectness(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])), 'base64')).toEqual(Buffer.from([0x01, 0x02]));
  });

  it('rejects a vector of the wrong length with ERR_MODEL_MANIFEST', () => {
    const b64 = encodeCorrectness(new Uint8Array(16));
    expect(() => decodeCorrectness(b64, 17)).toThrow(CoinferError);
    expect(() => decodeCorrectness('!!', 8)).toThrow(CoinferError);
    expect(() => encodeCorrectness(new Uint8Array([2]))).toThrow(RangeError);
  });
});

describe('buildManifest', () => {
  it('fills stages and exits from the spec, with sha256 and f32 output bytes', () => {
    const m = buildManifest(base);
    expect(m.onnxSha256).toBe(createHash('sha256').update(onnx).digest('hex'));
    expect(m.stages.map((s) => s.output)).toEqual(spec.stages.map((s) => s.name));
    expect(m.stages[5]).toMatchObject({ index: 6, name: 'lrn2', outputShape: [64, 7, 7], outputBytes: 64 * 49 * 4 });
    expect(m.stages[0]!.params).toBe(32 * 25 + 32);
    expect(m.exits.map((e) => [e.output, e.branchStage])).toEqual([['exit1', 3], ['exit2', 6], ['exit3', 7], ['exit4', 8], ['exit5', 12]]);
    expect(m.exits.every((e) => e.accuracy === null && e.correct === null && e.evalSamples === 0)).toBe(true);
    expect(m.input).toMatchObject({ name: 'input', shape: [1, 28, 28], dtype: 'float32', dataset: 'fashion-mnist' });
  });

  it('stores exit accuracies and correctness vectors', () => {
    const correct = (k: number) => Uint8Array.from({ length: 20 }, (_, i) => Number(i % k === 0));
    const exitStats = [2, 3, 4, 5, 6].map((k) => ({ accuracy: correct(k).reduce((a, b) => a + b, 0) / 20, correct: correct(k) }));
    const m = buildManifest({ ...base, exitStats });
    expect(m.exits[1]!.accuracy).toBe(7 / 20);
    expect(m.exits[1]!.evalSamples).toBe(20);
    expect(decodeCorrectness(m.exits[1]!.correct!, 20)).toEqual(correct(3));
  });

  it('rejects mismatched class names and exit stats', () => {
    expect(() => buildManifest({ ...base, classNames: ['a'] })).toThrow(RangeError);
    expect(() => buildManifest({ ...base, exitStats: [{ accuracy: 0.5, correct: new Uint8Array(2) }] })).toThrow(RangeError);
  });
});
