/**
 * The calibrated latency model: what ONNX Runtime really executes, per backbone stage and per
 * exit head, fused. Edgent's per-layer regressions sum layers that ORT fuses (Conv+ReLU) and
 * pay a layout reorder per graph, not per layer, so their sums over-predict whole paths. Here
 * every stage and head gets one time, and every sub-model run pays one call overhead:
 *
 *   time(path) = callOverheadMs + Σ stageMs[s] over the path's stages (+ headMs[e] if it ends in exit e)
 *
 * fitted by least squares on everything the profiler measured as one sub-model (each stage,
 * each head, every compute path of the side), each row weighted by 1/median so the fit
 * minimises relative error (what MAPE scores). Pure; the profiler supplies the measurements.
 */
import { CoinferError } from '../../common/errors.ts';
import type { ModelManifest } from '../model/manifest.ts';
import { solveLeastSquares } from './least-squares.ts';
import type { ProfileMeasurements, ProfileSide } from './profile-measurements.ts';
import { median } from './sample-stats.ts';
import { splitRepetitions } from './regression-fit.ts';

/** Per-stage and per-head fused times of one side on one machine/profile. */
export interface StageLatencyProfile {
  readonly kind: 'stage-fit';
  readonly name: string;
  readonly side: ProfileSide;
  readonly description: string;
  /** sha256 of the model the times belong to (they are per model, unlike layer regressions). */
  readonly modelSha256: string;
  /** stageMs[i] = backbone stage i+1, ms. */
  readonly stageMs: readonly number[];
  /** headMs[j] = exit j+1's head, ms. */
  readonly headMs: readonly number[];
  /** Fixed cost of one inference call, ms. */
  readonly callOverheadMs: number;
}

/** Which stages and head a measured sub-model runs, from its layer names. */
interface Row {
  readonly stages: readonly number[];
  readonly head: number | null;
  readonly samplesMs: readonly number[];
  readonly key: string;
}

function rowsOf(manifest: ModelManifest, m: ProfileMeasurements): { rows: Row[]; paths: Row[] } {
  const stageOf = new Map<string, number>();
  manifest.stages.forEach((s, i) => s.layers.forEach((l) => stageOf.set(l.name, i)));
  const headOf = new Map<string, number>();
  manifest.exits.forEach((e, j) => e.layers.forEach((l) => headOf.set(l.name, j)));
  const describe = (names: readonly string[], samplesMs: readonly number[], key: string): Row => {
    const stages = [...new Set(names.flatMap((n) => (stageOf.has(n) ? [stageOf.get(n)!] : [])))].sort((a, b) => a - b);
    const heads = [...new Set(names.flatMap((n) => (headOf.has(n) ? [headOf.get(n)!] : [])))];
    return { stages, head: heads[0] ?? null, samplesMs, key };
  };
  const stageRows = m.stages.map((s) => {
    const i = manifest.stages.findIndex((x) => x.name === s.name);
    return { stages: [i], head: null, samplesMs: s.samplesMs, key: s.name };
  });
  const headRows = m.exits.map((e) => ({ stages: [], head: manifest.exits.findIndex((x) => x.name === e.name), samplesMs: e.samplesMs, key: e.name }));
  const paths = m.paths.map((p) => describe(p.layerNames, p.samplesMs, `p${p.partition}/e${p.exits.join(',')}`));
  return { rows: [...stageRows, ...headRows, ...paths].filter((r) => r.samplesMs.length > 0 && r.stages.every((s) => s >= 0) && (r.head ?? 0) >= 0), paths };
}

const pick = (samples: readonly number[], idx: readonly number[] | null): number[] => (idx ? idx.filter((i) => i < samples.length).map((i) => samples[i]!) : [...samples]);

/**
 * Fits the stage model on the repetitions `reps` (default all).
 * @throws CoinferError ERR_REGRESSION when nothing was measured
 */
export function fitStageProfile(manifest: ModelManifest, m: ProfileMeasurements, reps: readonly number[] | null = null): StageLatencyProfile {
  const nS = manifest.stages.length;
  const nE = manifest.exits.length;
  const { rows } = rowsOf(manifest, m);
  const design: number[][] = [];
  const y: number[] = [];
  for (const r of rows) {
    const t = median(pick(r.samplesMs, reps));
    if (!(t > 0)) continue;
    const x = new Array<number>(nS + nE + 1).fill(0);
    for (const s of r.stages) x[s] = 1 / t;
    if (r.head !== null) x[nS + r.head] = 1 / t;
    x[nS + nE] = 1 / t; // one call per sub-model run
    design.push(x);
    y.push(1); // t/t: relative residuals
  }
  if (design.length === 0) throw new CoinferError('ERR_REGRESSION', `No stage, head or path of ${m.side} was measured; run the profiler before fitting`);
  const { coef } = solveLeastSquares({ rows: design, y });
  const nonNeg = (v: number): number => Math.max(0, v);
  return {
    kind: 'stage-fit',
    name: `stage-fit-${m.side}-${m.profile}`,
    side: m.side,
    description: `fused per-stage fit of ${m.profile}${m.emulated ? ' (emulated)' : ''} on ${m.machine.cpuModel} ×${m.machine.cores}, ${m.date}`,
    modelSha256: m.modelSha256,
    stageMs: coef.slice(0, nS).map(nonNeg),
    headMs: coef.slice(nS, nS + nE).map(nonNeg),
    callOverheadMs: nonNeg(coef[nS + nE]!),
  };
}

/** Predicted time of a measured sub-model under a stage profile. */
function predictRow(p: StageLatencyProfile, r: Pick<Row, 'stages' | 'head'>): number {
  return p.callOverheadMs + r.stages.reduce((a, s) => a + p.stageMs[s]!, 0) + (r.head === null ? 0 : p.headMs[r.head]!);
}

export interface StageHoldoutEvaluation {
  /** Mean over the side's compute paths of |predicted − held-out median| / held-out median (a fraction). */
  readonly endToEndMape: number;
  /** Per path ("p<partition>/e<exits>"), fractions. */
  readonly perPath: Readonly<Record<string, number>>;
}

/** Fits on a seeded share of the repetitions and scores every compute path on the rest. */
export function evaluateStageHoldout(manifest: ModelManifest, m: ProfileMeasurements, opts: { trainFraction?: number; seed?: number } = {}): { profile: StageLatencyProfile; evaluation: StageHoldoutEvaluation } {
  const split = splitRepetitions(m.settings.reps, opts.trainFraction ?? 0.5, opts.seed ?? 0);
  const profile = fitStageProfile(manifest, m, split.train);
  const perPath: Record<string, number> = {};
  for (const r of rowsOf(manifest, m).paths) {
    const ref = median(pick(r.samplesMs, split.test));
    if (ref > 0) perPath[r.key] = Math.abs(predictRow(profile, r) - ref) / ref;
  }
  const errs = Object.values(perPath);
  return { profile, evaluation: { endToEndMape: errs.length > 0 ? errs.reduce((a, b) => a + b, 0) / errs.length : Number.NaN, perPath } };
}
