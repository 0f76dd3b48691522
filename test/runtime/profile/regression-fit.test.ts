import { describe, expect, it } from 'vitest';
import { createRng } from '../../../common/rng.ts';
import { EDGENT_RPI3B } from '../../../runtime/profile/edgent-profiles.ts';
import { predictLayerMs } from '../../../runtime/profile/layer-regression.ts';
import type { ProfileMeasurements } from '../../../runtime/profile/profile-measurements.ts';
import { evaluateHoldout, fitLayerRegression, fitLinearGroup, splitRepetitions } from '../../../runtime/profile/regression-fit.ts';
import { summarizeSamples } from '../../../runtime/profile/sample-stats.ts';
import { testManifest } from '../../policies/fixtures.ts';

const rng = createRng(7);
const noisy = (ms: number, reps: number, sd: number): number[] => Array.from({ length: reps }, () => ms + sd * rng.normal());

describe('fitLinearGroup', () => {
  it('recovers Edgent conv coefficients from noisy synthetic layers', () => {
    const conv = EDGENT_RPI3B.layers.conv;
    const points = Array.from({ length: 8 }, () => {
      const vars = [5e3 + rng.next() * 1e5, 100 + rng.next() * 5e3];
      return { vars, samplesMs: noisy(conv.coef[0]! * vars[0]! + conv.coef[1]! * vars[1]! + conv.intercept, 60, 0.5) };
    });
    const { model, report } = fitLinearGroup(points, 2, { trimK: 0 });
    expect(report.droppedTerms).toEqual([]);
    expect(model.coef[0]! / conv.coef[0]!).toBeGreaterThan(0.98);
    expect(model.coef[0]! / conv.coef[0]!).toBeLessThan(1.02);
    expect(model.coef[1]! / conv.coef[1]!).toBeGreaterThan(0.98);
    expect(model.coef[1]! / conv.coef[1]!).toBeLessThan(1.02);
    expect(Math.abs(model.intercept - conv.intercept)).toBeLessThan(0.5);
  });

  it('drops x1 for a type with a single x-point (one dropout layer) and fits the mean', () => {
    const { model, report } = fitLinearGroup([{ vars: [256], samplesMs: [1, 2, 3] }], 1, { trimK: 0 });
    expect(report.droppedTerms).toEqual(['x1']);
    expect(report.distinctPoints).toBe(1);
    expect(model.coef).toEqual([0]);
    expect(model.intercept).toBeCloseTo(2, 12);
  });

  it('drops x2 when the x-points are collinear, and records it', () => {
    // pooling with out = in / 4 everywhere: x2 is not identifiable beside x1
    const points = [1e3, 2e3, 4e3, 8e3].map((x) => ({ vars: [x, x / 4], samplesMs: noisy(1e-3 * x + 0.2, 20, 0.01) }));
    const { model, report } = fitLinearGroup(points, 2, { trimK: 0 });
    expect(report.droppedTerms).toEqual(['x2']);
    expect(report.note).toMatch(/dropped x2/);
    expect(model.coef[1]).toBe(0);
    expect(model.coef[0]).toBeCloseTo(1e-3, 4);
  });

  it('drops x2 when there are fewer distinct x-points than unknowns', () => {
    const points = [{ vars: [100, 10], samplesMs: [1, 1.1] }, { vars: [200, 30], samplesMs: [2, 2.1] }];
    const { report } = fitLinearGroup(points, 2);
    expect(report.distinctPoints).toBe(2);
    expect(report.droppedTerms).toEqual(['x2']);
  });

  it('predicts 0 and says so for a type without measurements', () => {
    const { model, report } = fitLinearGroup([], 2);
    expect(model).toEqual({ coef: [0, 0], intercept: 0 });
    expect(report.samples).toBe(0);
  });
});

describe('splitRepetitions', () => {
  it('splits into disjoint, covering, seeded subsets', () => {
    const a = splitRepetitions(20, 0.5, 3);
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a.train).toHaveLength(10);
    expect(splitRepetitions(20, 0.5, 3)).toEqual(a);
    expect(() => splitRepetitions(1, 0.5, 0)).toThrow(RangeError);
  });
});

/** Synthetic measurements drawn from a known profile on the real manifest (device side). */
function syntheticMeasurements(reps: number): ProfileMeasurements {
  const m = testManifest();
  const item = (name: string, ms: number) => {
    const samplesMs = noisy(ms, reps, ms * 0.02).map((x) => Math.max(x, 1e-6));
    return { name, samplesMs, summary: summarizeSamples(samplesMs) };
  };
  const layers = [...m.stages.map((s) => ({ s, kind: 'stage' as const })), ...m.exits.map((s) => ({ s, kind: 'exit' as const }))]
    .flatMap(({ s, kind }) => s.layers.map((l) => ({ ...item(l.name, Math.max(predictLayerMs(EDGENT_RPI3B, l), 0.05)), type: l.type, vars: l.vars, owner: { kind, index: s.index } })));
  const byName = new Map(layers.map((l) => [l.name, l]));
  const paths = [3, 6, 12].map((p) => {
    const layerNames = m.stages.slice(0, p).flatMap((s) => s.layers.map((l) => l.name));
    const ms = layerNames.reduce((a, n) => a + byName.get(n)!.summary.medianMs, 0);
    return { ...item(`p${p}`, ms), partition: p, exits: [5], layerNames };
  });
  const loading = [1e4, 1e5, 1e6, 2e6].map((bytes) => ({ ...item(`load${bytes}`, 4.49e-6 * bytes + 842), bytes, kind: 'prefix' as const }));
  return {
    side: 'device', profile: 'native', emulated: false, modelName: m.name, modelSha256: m.onnxSha256,
    machine: { cpuModel: 'test', cores: 1, platform: 'linux', arch: 'x64', totalMemBytes: 0 },
    settings: { reps, warmup: 0, loadReps: reps, intraOpThreads: 1, rounds: 1, seed: 0, processWarmupMs: 0 }, date: '2024-01-01',
    layers, stages: [], exits: [], paths, loading,
  };
}

describe('fitLayerRegression / evaluateHoldout', () => {
  it('fits every type with origin fitted and scores well on held-out repetitions of a linear truth', () => {
    const meas = syntheticMeasurements(40);
    const res = evaluateHoldout(meas, { trainFraction: 0.5, seed: 1 });
    expect(res.profile.origin).toBe('fitted');
    expect(Object.keys(res.report).sort()).toEqual(['conv', 'dropout', 'fc', 'lrn', 'modelLoading', 'pool', 'relu']);
    expect(res.report.dropout.droppedTerms).toEqual(['x1']); // one dropout layer in the model
    expect(res.evaluation.loadingMape).toBeLessThan(3);
    expect(Object.keys(res.evaluation.perPath).sort()).toEqual(['p12/e5', 'p3/e5', 'p6/e5']);
    expect(res.evaluation.endToEndMape).toBeLessThan(15);
    expect(Number.isFinite(res.evaluation.layerMape)).toBe(true);
  });

  it('fitLayerRegression keeps the manifest variable count per type', () => {
    const fit = fitLayerRegression({ name: 'x', side: 'edge', description: 'd', layers: [], loading: [] });
    expect(fit.profile.layers.conv.coef).toHaveLength(2);
    expect(fit.profile.layers.relu.coef).toHaveLength(1);
    expect(fit.profile.side).toBe('edge');
  });
});
