import { describe, expect, it } from 'vitest';
import { createRng } from '../../../common/rng.ts';
import type { ProfileMeasurements } from '../../../runtime/profile/profile-measurements.ts';
import { summarizeSamples } from '../../../runtime/profile/sample-stats.ts';
import { evaluateStageHoldout, fitStageProfile } from '../../../runtime/profile/stage-fit.ts';
import { createLatencyTableFromStages, predictFromTable } from '../../../runtime/profile/latency-predictor.ts';
import { testManifest } from '../../policies/fixtures.ts';

const m = testManifest();
const nS = m.stages.length;
// A fused truth: stage s costs 0.3·s ms, head e 0.05·e ms, each sub-model run 0.2 ms of overhead.
const truth = { stageMs: m.stages.map((_, i) => 0.3 * (i + 1)), headMs: m.exits.map((_, j) => 0.05 * (j + 1)), callMs: 0.2 };

function measurements(reps: number, noise: number): ProfileMeasurements {
  const rng = createRng(3);
  const item = (name: string, ms: number) => {
    const samplesMs = Array.from({ length: reps }, () => ms * (1 + noise * rng.normal()));
    return { name, samplesMs, summary: summarizeSamples(samplesMs) };
  };
  const stageNames = (from: number, to: number): string[] => m.stages.slice(from, to).flatMap((s) => s.layers.map((l) => l.name));
  const sum = (from: number, to: number): number => truth.stageMs.slice(from, to).reduce((a, b) => a + b, 0);
  const prefixes = Array.from({ length: nS }, (_, k) => ({ ...item(`prefix${k + 1}`, truth.callMs + sum(0, k + 1)), partition: k + 1, exits: [5], layerNames: stageNames(0, k + 1) }));
  const locals = m.exits.map((e, j) => ({ ...item(`local${j}`, truth.callMs + sum(0, e.branchStage) + truth.headMs[j]!), partition: e.branchStage, exits: [j + 1], layerNames: [...stageNames(0, e.branchStage), ...e.layers.map((l) => l.name)] }));
  return {
    side: 'device', profile: 'native', emulated: false, modelName: m.name, modelSha256: m.onnxSha256,
    machine: { cpuModel: 'test', cores: 1, platform: 'linux', arch: 'x64', totalMemBytes: 0 },
    settings: { reps, warmup: 0, loadReps: 2, intraOpThreads: 1, rounds: 1, seed: 0, processWarmupMs: 0 }, date: '2024-01-01',
    layers: [],
    stages: m.stages.map((s, i) => item(s.name, truth.callMs + truth.stageMs[i]!)),
    exits: m.exits.map((e, j) => item(e.name, truth.callMs + truth.headMs[j]!)),
    paths: [...prefixes, ...locals], loading: [],
  };
}

describe('fitStageProfile', () => {
  it('recovers fused stage, head and call times exactly from noiseless measurements', () => {
    const p = fitStageProfile(m, measurements(4, 0));
    p.stageMs.forEach((v, i) => expect(v).toBeCloseTo(truth.stageMs[i]!, 9));
    p.headMs.forEach((v, j) => expect(v).toBeCloseTo(truth.headMs[j]!, 9));
    expect(p.callOverheadMs).toBeCloseTo(truth.callMs, 9);
    expect(p.kind).toBe('stage-fit');
  });

  it('scores held-out paths within the noise, and the latency table predicts every local exit from it', () => {
    const meas = measurements(40, 0.02);
    const { profile, evaluation } = evaluateStageHoldout(m, meas, { trainFraction: 0.5, seed: 2 });
    expect(Object.keys(evaluation.perPath).length).toBeGreaterThanOrEqual(nS);
    expect(evaluation.endToEndMape).toBeLessThan(0.02);
    const table = createLatencyTableFromStages(m, profile, profile);
    for (const e of m.exits) {
      const pred = predictFromTable(table, { action: { exit: e.index, partition: e.branchStage, encoding: 'f32' }, bandwidthMbps: 1, rttMs: 0 });
      const want = truth.callMs + truth.stageMs.slice(0, e.branchStage).reduce((a, b) => a + b, 0) + truth.headMs[e.index - 1]!;
      expect(Math.abs(pred.totalMs - want) / want).toBeLessThan(0.02);
    }
  });

  it('fails clearly with nothing measured', () => {
    const empty = { ...measurements(2, 0), stages: [], exits: [], paths: [] };
    expect(() => fitStageProfile(m, empty)).toThrow(/No stage, head or path/);
  });
});
