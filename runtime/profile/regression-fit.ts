/**
 * Fits Edgent's per-layer-type linear latency models (docs/architecture.md §4) to our own measurements and
 * evaluates them on held-out repetitions. Pure.
 *
 * One model per layer type is fitted on the per-repetition samples of *all* layers of that
 * type (our AlexNet has only a handful of layers per type, so per-layer medians alone would
 * leave too few points). When a type has fewer distinct x-points than unknowns, or its points
 * are linearly dependent (e.g. one dropout layer: one x-point, two unknowns), the trailing
 * variable terms are dropped (x2 first, then x1) until the system is identifiable, and the
 * drop is recorded in the report.
 */
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import type { LinearModel, LayerRegressionProfile, RegressedLayerType } from './layer-regression.ts';
import { REGRESSED_LAYER_TYPES, predictLayerMs, predictModelLoadMs } from './layer-regression.ts';
import { solveLeastSquares } from './least-squares.ts';
import type { ProfileMeasurements, ProfileSide } from './profile-measurements.ts';
import { median, trimHighOutliers } from './sample-stats.ts';

/** Number of Edgent variables per layer type (and 1 for model loading). */
export const VARIABLE_COUNT: Readonly<Record<RegressedLayerType, number>> = { conv: 2, relu: 1, pool: 2, lrn: 1, dropout: 1, fc: 2 };

/** One observed point group: a layer (or a loaded sub-model) and its repetitions. */
export interface RegressionPoints {
  readonly vars: readonly number[];
  readonly samplesMs: readonly number[];
}

/** What happened when fitting one layer type. */
export interface GroupFitReport {
  /** Layers (or sub-models) behind the fit. */
  readonly points: number;
  readonly distinctPoints: number;
  readonly samples: number;
  /** Unknowns of the full model (variables + intercept). */
  readonly unknowns: number;
  /** Variable terms forced to 0 to make the system identifiable, e.g. ['x2']. */
  readonly droppedTerms: readonly string[];
  readonly residualRmsMs: number;
  /** Plain-words account of any constraint. */
  readonly note: string;
}

export interface FitOptions {
  /** Ridge penalty on unit-RMS-scaled variables, ≥ 0 (0 = ordinary least squares). */
  readonly ridge: number;
  /** Outlier trim: drop samples above median + k·MAD of each layer before fitting (0 = keep all). */
  readonly trimK: number;
}

export const DEFAULT_FIT_OPTIONS: FitOptions = { ridge: 0, trimK: 5 };

export function resolveFitOptions(partial: Partial<FitOptions> = {}): FitOptions {
  const o = { ...DEFAULT_FIT_OPTIONS, ...partial };
  if (!(o.ridge >= 0)) throw new CoinferError('ERR_INVALID_CONFIG', `Expected fit.ridge >= 0, actually ${o.ridge}`);
  if (!(o.trimK >= 0)) throw new CoinferError('ERR_INVALID_CONFIG', `Expected fit.trimK >= 0 (0 = no trimming), actually ${o.trimK}`);
  return o;
}

/**
 * Least squares of ms on [x1..xk, 1] over every sample of every point, dropping trailing terms
 * while the system is not identifiable.
 */
export function fitLinearGroup(points: readonly RegressionPoints[], nVars: number, options: Partial<FitOptions> = {}): { model: LinearModel; report: GroupFitReport } {
  const opts = resolveFitOptions(options);
  const kept = points.map((p) => ({ vars: p.vars, samplesMs: opts.trimK > 0 ? trimHighOutliers(p.samplesMs, opts.trimK) : [...p.samplesMs] }));
  const samples = kept.reduce((s, p) => s + p.samplesMs.length, 0);
  const distinct = (k: number): number => new Set(kept.filter((p) => p.samplesMs.length > 0).map((p) => p.vars.slice(0, k).join(','))).size;
  const distinctPoints = distinct(nVars);
  const base = { points: points.length, distinctPoints, samples, unknowns: nVars + 1 };
  if (samples === 0) {
    return {
      model: { coef: new Array<number>(nVars).fill(0), intercept: 0 },
      report: { ...base, droppedTerms: [], residualRmsMs: 0, note: 'no measurements of this type: predicts 0 ms' },
    };
  }
  const droppedTerms: string[] = [];
  const reasons: string[] = [];
  for (let k = nVars; k >= 0; k--) {
    if (distinct(k) < k + 1) {
      reasons.push(`${distinct(k)} distinct x-point(s) < ${k + 1} unknowns`);
    } else {
      const rows: number[][] = [];
      const y: number[] = [];
      for (const p of kept) {
        const row = [...p.vars.slice(0, k), 1];
        for (const s of p.samplesMs) { rows.push(row); y.push(s); }
      }
      const sol = solveLeastSquares({ rows, y, ridge: opts.ridge, unpenalized: [k] });
      if (sol.rank === k + 1) {
        const coef = [...sol.coef.slice(0, k), ...new Array<number>(nVars - k).fill(0)];
        const note = droppedTerms.length === 0
          ? `fitted on ${samples} samples of ${points.length} layer(s)`
          : `constrained: dropped ${droppedTerms.join(', ')} (${reasons.join('; ')}); fitted on ${samples} samples of ${points.length} layer(s)`;
        return { model: { coef, intercept: sol.coef[k]! }, report: { ...base, droppedTerms, residualRmsMs: sol.residualRms, note } };
      }
      reasons.push(`x-points linearly dependent (rank ${sol.rank} < ${k + 1})`);
    }
    if (k > 0) droppedTerms.unshift(`x${k}`);
  }
  // unreachable: an intercept-only model with ≥ 1 sample always has rank 1
  throw new CoinferError('ERR_REGRESSION', `Could not fit even an intercept to ${samples} samples`);
}

/** The fitted profile and what the fit did per layer type. */
export interface RegressionFit {
  readonly profile: LayerRegressionProfile;
  readonly report: Readonly<Record<RegressedLayerType | 'modelLoading', GroupFitReport>>;
}

export interface FitProfileInput {
  readonly name: string;
  readonly side: ProfileSide;
  readonly description: string;
  /** Per-call overhead to subtract from every layer sample before fitting, ms (default 0). */
  readonly callOverheadMs?: number;
  readonly layers: readonly { readonly type: string; readonly vars: readonly number[]; readonly samplesMs: readonly number[] }[];
  readonly loading: readonly { readonly bytes: number; readonly samplesMs: readonly number[] }[];
}

/** Fits every regressed layer type and model loading; returns a profile with origin 'fitted'. */
export function fitLayerRegression(input: FitProfileInput, options: Partial<FitOptions> = {}): RegressionFit {
  const layers = {} as Record<RegressedLayerType, LinearModel>;
  const report = {} as Record<RegressedLayerType | 'modelLoading', GroupFitReport>;
  const overhead = input.callOverheadMs ?? 0;
  for (const type of REGRESSED_LAYER_TYPES) {
    const pts = input.layers.filter((l) => l.type === type).map((l) => ({ vars: l.vars, samplesMs: overhead === 0 ? l.samplesMs : l.samplesMs.map((x) => x - overhead) }));
    const fit = fitLinearGroup(pts, VARIABLE_COUNT[type], options);
    layers[type] = fit.model;
    report[type] = fit.report;
  }
  const load = fitLinearGroup(input.loading.map((l) => ({ vars: [l.bytes], samplesMs: l.samplesMs })), 1, options);
  report.modelLoading = load.report;
  const profile: LayerRegressionProfile = {
    name: input.name, side: input.side, origin: 'fitted', layers, modelLoading: load.model, description: input.description, callOverheadMs: overhead,
  };
  return { profile, report };
}

/**
 * The fixed cost of one `session.run` call from Node, ms: the median time of the cheapest
 * sub-model that does no arithmetic (a Flatten or the inference-time Identity of dropout),
 * or of the cheapest layer when the model has neither. Each single-layer measurement pays it
 * once, a whole path pays it once in total.
 */
export function estimateCallOverheadMs(layers: readonly { readonly type: string; readonly samplesMs: readonly number[] }[]): number {
  const measured = layers.filter((l) => l.samplesMs.length > 0);
  const free = measured.filter((l) => l.type === 'flatten' || l.type === 'dropout');
  const pool = free.length > 0 ? free : measured;
  if (pool.length === 0) return 0;
  return Math.max(0, Math.min(...pool.map((l) => median(l.samplesMs))));
}

/** Splits repetition indices 0..n−1 into a seeded random train subset and the held-out rest. */
export function splitRepetitions(n: number, trainFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new RangeError(`Expected trainFraction in (0, 1), actually ${trainFraction}`);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`Expected at least 2 repetitions to split, actually ${n}`);
  const rng = createRng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const nTrain = Math.min(n - 1, Math.max(1, Math.round(n * trainFraction)));
  return { train: idx.slice(0, nTrain).sort((a, b) => a - b), test: idx.slice(nTrain).sort((a, b) => a - b) };
}

/** Mean absolute percentage errors (in %) on held-out repetitions. */
export interface HoldoutEvaluation {
  /** Mean over regressed layers of |predicted − held-out median| / held-out median, %. */
  readonly layerMape: number;
  /**
   * Mean over (partition, exit) compute paths of this side, %: Σ layer predictions + one call
   * overhead vs the path measured as one sub-model.
   */
  readonly endToEndMape: number;
  /** The same without the per-call overhead correction (every layer's overhead summed), %. */
  readonly endToEndMapeUncorrected: number;
  /** The per-call overhead the fit used, ms. */
  readonly callOverheadMs: number;
  /** Model loading (session creation), mean over sub-models, %. */
  readonly loadingMape: number;
  readonly perLayer: Readonly<Record<string, number>>;
  /** Keyed "p<partition>/e<exit>". */
  readonly perPath: Readonly<Record<string, number>>;
}

const pick = (samples: readonly number[], idx: readonly number[]): number[] => idx.filter((i) => i < samples.length).map((i) => samples[i]!);
const ape = (pred: number, ref: number): number => (100 * Math.abs(pred - ref)) / ref;
const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export interface HoldoutOptions extends Partial<FitOptions> {
  /** Share of repetitions used for fitting, in (0, 1). Default 0.5. */
  readonly trainFraction?: number;
  /** Seed of the repetition split. Default 0. */
  readonly seed?: number;
}

/**
 * Fits on a train subset of repetitions and scores the fit on the held-out ones: per-layer,
 * end-to-end per (partition, exit) path, and model loading.
 */
export function evaluateHoldout(m: ProfileMeasurements, options: HoldoutOptions = {}): RegressionFit & { evaluation: HoldoutEvaluation } {
  const frac = options.trainFraction ?? 0.5;
  const seed = options.seed ?? 0;
  const split = splitRepetitions(m.settings.reps, frac, seed);
  const loadSplit = splitRepetitions(Math.max(2, m.settings.loadReps), frac, seed + 1);
  const trainLayers = m.layers.map((l) => ({ type: l.type, vars: l.vars, samplesMs: pick(l.samplesMs, split.train) }));
  const callOverheadMs = estimateCallOverheadMs(trainLayers);
  const input = {
    name: `fitted-${m.side}-${m.profile}`,
    side: m.side,
    description: `held-out fit (${Math.round(frac * 100)}% of repetitions) of ${m.profile} on ${m.machine.cpuModel}`,
    layers: trainLayers,
    loading: m.loading.map((l) => ({ bytes: l.bytes, samplesMs: pick(l.samplesMs, loadSplit.train) })),
  };
  const fit = fitLayerRegression({ ...input, callOverheadMs }, options);
  const raw = fitLayerRegression(input, options);
  const perLayer: Record<string, number> = {};
  const byName = new Map(m.layers.map((l) => [l.name, l]));
  for (const l of m.layers) {
    if (!(REGRESSED_LAYER_TYPES as readonly string[]).includes(l.type)) continue;
    const held = pick(l.samplesMs, split.test);
    if (held.length > 0) perLayer[l.name] = ape(predictLayerMs(fit.profile, l) + callOverheadMs, median(held));
  }
  const pathMs = (profile: LayerRegressionProfile, names: readonly string[]): number =>
    names.reduce((s, n) => s + predictLayerMs(profile, byName.get(n) ?? { type: 'flatten', vars: [] }), 0);
  const perPath: Record<string, number> = {};
  const uncorrected: number[] = [];
  for (const p of m.paths) {
    const held = pick(p.samplesMs, split.test);
    if (held.length === 0) continue;
    const ref = median(held);
    const err = ape(pathMs(fit.profile, p.layerNames) + callOverheadMs, ref);
    const errRaw = ape(pathMs(raw.profile, p.layerNames), ref);
    for (const e of p.exits) { perPath[`p${p.partition}/e${e}`] = err; uncorrected.push(errRaw); }
  }
  const loadApe = m.loading
    .map((l) => ({ l, held: pick(l.samplesMs, loadSplit.test) }))
    .filter((x) => x.held.length > 0)
    .map(({ l, held }) => ape(predictModelLoadMs(fit.profile, l.bytes), median(held)));
  return {
    ...fit,
    evaluation: {
      layerMape: mean(Object.values(perLayer)), endToEndMape: mean(Object.values(perPath)), endToEndMapeUncorrected: mean(uncorrected),
      callOverheadMs, loadingMape: mean(loadApe), perLayer, perPath,
    },
  };
}
