import { describe, expect, it, beforeAll } from 'vitest';
import { resolve } from 'node:path';
import { ReplayEnv } from '../../env/replay-env.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import { loadModelPackage, type ModelPackage } from '../../runtime/model/model-package.ts';
import { encodeCorrectness } from '../../runtime/model/manifest-build.ts';
import { ACTION_ACCURACY_SCHEMA_VERSION, significantlyDifferent, type ActionAccuracyFile } from '../../runtime/model/action-accuracy.ts';
import { actionScores } from '../../policies/model-planner.ts';
import { createPolicy } from '../../policies/registry.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { edgentTimes } from './fixtures.ts';

const MODEL = resolve(import.meta.dirname, '../../models/fmnist-alexnet');

/** Every int8 action measured wrong on every sample (an encoding that destroys the tensor). */
function brokenInt8(pkg: ModelPackage): ActionAccuracyFile {
  const m = pkg.manifest;
  const n = m.exits[0]!.evalSamples;
  const zeros = encodeCorrectness(new Uint8Array(n));
  const entries = m.stages.flatMap((st) => m.exits.filter((e) => e.branchStage > st.index).map((e) => ({ exit: e.index, partition: st.index, encoding: 'int8', accuracy: 0, correct: zeros })));
  return { schemaVersion: ACTION_ACCURACY_SCHEMA_VERSION, onnxSha256: m.onnxSha256, evalSamples: n, exitAccuracy: m.exits.map((e) => e.accuracy!), measuredAt: 'test', machine: 'test', entries, inputEncodings: [] };
}

describe('the true accuracy of each action in the replay env and the planners', () => {
  let pkg: ModelPackage;
  beforeAll(async () => {
    pkg = await loadModelPackage(MODEL);
  });

  it('scores an offloaded int8 action by its own correctness, and a raw-input one by its exit\'s', async () => {
    const env = new ReplayEnv({ manifest: pkg.manifest, actionAccuracy: brokenInt8(pkg), computeTimes: edgentTimes(pkg), traces: [constantTrace(100, 3600)], config: { scenario: { episodeRequests: 100, deviceLoadLevels: [0], otherDevices: 0, deadline: { kind: 'choice', valuesMs: [3000] } } } });
    const int8At1 = env.vec.codec.encode({ exit: 5, partition: 1, encoding: 'int8' });
    const raw = env.vec.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
    await env.reset({ seed: 1 });
    let int8Correct = 0, rawCorrect = 0, served = 0;
    for (let i = 0; i < 40; i++) {
      const a = await env.step(int8At1);
      if (!a.info.outcome!.fallback) { served++; int8Correct += a.info.outcome!.correct ? 1 : 0; }
      const b = await env.step(raw);
      rawCorrect += b.info.outcome!.correct ? 1 : 0;
    }
    expect(served).toBeGreaterThan(30);
    expect(int8Correct).toBe(0);
    expect(rawCorrect).toBeGreaterThan(30); // the final exit is ~90% accurate
    await env.close();
  });

  it('planners prefer the measured-accurate action: Edgent never picks a broken encoding when another fits', () => {
    const file = brokenInt8(pkg);
    const actions = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(1)] }).vec.codec.actions;
    const scores = actionScores(pkg.manifest, actions, file);
    actions.forEach((a, i) => expect(scores[i]).toBe(a.encoding === 'int8' && a.partition > 0 && a.partition < pkg.manifest.exits[a.exit - 1]!.branchStage ? 0 : pkg.manifest.exits[a.exit - 1]!.accuracy));
    const edgent = createPolicy('edgent', { manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, actions, actionAccuracy: file });
    const ctx = { deadlineMs: 1000, bandwidthMbps: 0.5, rttMs: 20, deviceLoad: 0, edgeLoad: 0 } as Parameters<typeof edgent.decide>[1];
    const a = edgent.decide(new Float32Array(0), ctx);
    expect(a.encoding === 'int8' && a.partition > 0).toBe(false);
  });
});

describe('significantlyDifferent (McNemar, 5%)', () => {
  const bits = (n: number, ones: (i: number) => boolean): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (ones(i) ? 1 : 0));
  it('calls a one-sample wobble a tie and a large discordance a difference', () => {
    const base = bits(1000, (i) => i % 10 !== 0); // 90%
    expect(significantlyDifferent(bits(1000, (i) => i % 10 !== 0 || i === 10), base)).toBe(false); // +1 sample
    expect(significantlyDifferent(bits(1000, (i) => i % 10 !== 0 && i % 7 !== 0), base)).toBe(true); // −~13 points of it
    // hand-computed: 12 vs 3 discordant → (|12−3|−1)²/15 = 4.27 > 3.84; 10 vs 4 → 25/14 = 1.79
    const d = (only: number, other: number) => significantlyDifferent(bits(100, (i) => i < only), bits(100, (i) => i >= only && i < only + other));
    expect(d(12, 3)).toBe(true);
    expect(d(10, 4)).toBe(false);
  });
});
