import { describe, it, expect } from 'vitest';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { architectureInfo, architectureWeights, samePads } from '../../runtime/model/layer-shapes.ts';

describe('architectureInfo', () => {
  it('infers the 28x28 AlexNet stage shapes', () => {
    const info = architectureInfo(alexNetSpec({ channels: 1, size: 28, classes: 10 }));
    expect(info.stageOutputShapes.map((s) => s.join('x'))).toEqual([
      '32x28x28', '32x14x14', '32x14x14', '64x14x14', '64x7x7', '64x7x7',
      '96x7x7', '96x7x7', '64x7x7', '64x4x4', '256', '128',
    ]);
    expect(info.exits.map((e) => e[e.length - 1]!.outputShape[0])).toEqual([10, 10, 10, 10, 10]);
  });

  it('infers the 32x32 CIFAR variant and conv regression variables', () => {
    const info = architectureInfo(alexNetSpec({ channels: 3, size: 32, classes: 10 }));
    const conv1 = info.stages[0]![0]!;
    expect(conv1.vars).toEqual([3 * 32 * 32, 25 * 32]);
    expect(conv1.params).toBe(32 * 3 * 25 + 32);
    expect(info.stageOutputShapes[9]).toEqual([64, 4, 4]);
  });

  it('lists weights with ONNX layouts', () => {
    const w = architectureWeights(alexNetSpec({ channels: 1, size: 28, classes: 10 }));
    const byName = new Map(w.map((x) => [x.name, x.shape]));
    expect(byName.get('conv1_conv.weight')).toEqual([32, 1, 5, 5]);
    expect(byName.get('fc1_fc.weight')).toEqual([1024, 256]);
    expect(byName.get('exit1_fc.weight')).toEqual([16 * 7 * 7, 10]);
    expect(byName.get('fc3.bias')).toEqual([10]);
  });

  it('rejects bad options', () => {
    expect(() => alexNetSpec({ channels: 0, size: 28, classes: 10 })).toThrow(RangeError);
  });
});

describe('samePads', () => {
  it('matches TensorFlow (extra pad at the end)', () => {
    expect(samePads(28, 3, 2)).toEqual([0, 1]);
    expect(samePads(7, 3, 2)).toEqual([1, 1]);
    expect(samePads(32, 3, 2)).toEqual([0, 1]);
  });
});
