/** Small shared fixtures for the policy and latency tests: a real manifest built purely from the spec. */
import type { DecisionContext } from '../../env/decision-context.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { buildManifest } from '../../runtime/model/manifest-build.ts';
import type { ModelManifest } from '../../runtime/model/manifest.ts';
import type { Rng } from '../../common/rng.ts';
import { sideTimesFromRegression, stageProfilesOf } from '../../env/compute-times.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';

/** The Fashion-MNIST BranchyNet-AlexNet manifest (untrained: accuracies null). */
export function testManifest(accuracies?: readonly (number | null)[]): ModelManifest {
  const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
  const m = buildManifest({
    spec, onnx: new Uint8Array([1, 2, 3]), dataset: 'test',
    preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.5] },
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
    provenance: { dataset: 'test', trainingCommand: null, gitCommit: null, date: '2024-01-01T00:00:00.000Z' },
  });
  if (!accuracies) return m;
  return { ...m, exits: m.exits.map((e, i) => ({ ...e, accuracy: accuracies[i] ?? null })) };
}

export function context(partial: Partial<DecisionContext> = {}): DecisionContext {
  return { deadlineMs: 200, bandwidthMbps: 1, bandwidthTrendMbpsPerS: 0, rttMs: 20, deviceLoad: 0, edgeLoad: 0, ...partial };
}

/** A random but plausible request context. */
export function randomContext(rng: Rng): DecisionContext {
  return context({
    deadlineMs: 20 + rng.next() * 1500,
    bandwidthMbps: 10 ** (-2 + rng.next() * 3.3),
    rttMs: rng.next() * 100,
    deviceLoad: rng.next() < 0.5 ? 0 : rng.next() * 0.9,
    edgeLoad: rng.next() < 0.5 ? 0 : rng.next() * 0.9,
  });
}

/** Baseline deps over `manifest`: Edgent's Pi 3b and desktop regressions and their fused stage fits (the stage planners' model). */
export function stagePlannerDeps(manifest: ModelManifest) {
  const stageProfiles = stageProfilesOf(manifest, { device: sideTimesFromRegression(manifest, EDGENT_RPI3B), edge: sideTimesFromRegression(manifest, EDGENT_DESKTOP), source: 'test' });
  return { manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, stageProfiles };
}
