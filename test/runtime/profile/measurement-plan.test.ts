import { describe, expect, it } from 'vitest';
import { planMeasurements } from '../../../runtime/profile/measurement-plan.ts';
import { testManifest } from '../../policies/fixtures.ts';

const m = testManifest();
const layerCount = m.stages.reduce((a, s) => a + s.layers.length, 0) + m.exits.reduce((a, e) => a + e.layers.length, 0);

describe('planMeasurements', () => {
  it('cuts every layer between consecutive layer tensors', () => {
    const plan = planMeasurements(m, 'device');
    const layers = plan.compute.filter((c) => c.kind === 'layer');
    expect(layers).toHaveLength(layerCount);
    expect(layers[0]).toMatchObject({ name: 'conv1_conv', from: 'input', to: 'conv1_conv', inputShape: [1, 28, 28] });
    expect(layers[1]).toMatchObject({ name: 'conv1', from: 'conv1_conv', to: 'conv1' });
    // a stage's first layer reads the previous stage's output
    expect(layers.find((l) => l.name === 'pool1')).toMatchObject({ from: 'conv1', inputShape: [32, 28, 28] });
    // an exit head's first layer reads its branch stage's output
    expect(layers.find((l) => l.name === 'exit2_conv')).toMatchObject({ from: 'lrn2', owner: { kind: 'exit', index: 2 } });
    expect(plan.compute.filter((c) => c.kind === 'stage')).toHaveLength(12);
    expect(plan.compute.filter((c) => c.kind === 'exit')).toHaveLength(5);
  });

  it('plans one path per distinct sub-model of the side, covering every (partition, exit)', () => {
    const pairs = (side: 'device' | 'edge') => planMeasurements(m, side).compute.filter((c) => c.kind === 'path').flatMap((p) => p.exits!.map((e) => `p${p.partition}/e${e}`));
    const nonLocal = m.exits.flatMap((e) => Array.from({ length: e.branchStage }, (_, p) => `p${p}/e${e.index}`));
    const device = pairs('device');
    const edge = pairs('edge');
    // device: every non-local (p ≥ 1, e) plus every local (branchStage, e)
    expect(new Set(device)).toEqual(new Set([...nonLocal.filter((k) => !k.startsWith('p0/')), ...m.exits.map((e) => `p${e.branchStage}/e${e.index}`)]));
    expect(new Set(edge)).toEqual(new Set(nonLocal));
    expect(planMeasurements(m, 'device').compute.filter((c) => c.kind === 'path')).toHaveLength(11 + 5);
    expect(edge).toHaveLength(nonLocal.length);
  });

  it('plans prefix and suffix sub-models for model loading', () => {
    const { loading } = planMeasurements(m, 'edge');
    expect(loading.filter((l) => l.kind === 'prefix')).toHaveLength(12);
    expect(loading.filter((l) => l.kind === 'suffix')).toHaveLength(12);
    expect(loading[0]).toMatchObject({ from: 'input', to: 'conv1' });
  });
});
