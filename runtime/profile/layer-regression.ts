/**
 * Edgent's per-layer-type linear latency models (docs/architecture.md §4): latency_ms = c · vars + intercept,
 * with the independent variables stored per layer in the manifest (layer-shapes.ts). A
 * `LayerRegressionProfile` holds one model per layer type for one machine (device or edge).
 */
import type { LayerType } from '../model/architecture.ts';
import type { LayerManifest } from '../model/manifest.ts';

/** One fitted linear model: ms = Σ coef[i]·x[i] + intercept. */
export interface LinearModel {
  readonly coef: readonly number[];
  readonly intercept: number;
}

/** Regressed layer types (flatten and softmax are treated as free: Edgent models neither). */
export type RegressedLayerType = Exclude<LayerType, 'flatten' | 'softmax'>;
export const REGRESSED_LAYER_TYPES: readonly RegressedLayerType[] = ['conv', 'relu', 'pool', 'lrn', 'dropout', 'fc'];

export interface LayerRegressionProfile {
  readonly name: string;
  /** 'device' or 'edge'. */
  readonly side: 'device' | 'edge';
  /** 'published' for Edgent's own coefficients, 'fitted' for ours. */
  readonly origin: 'published' | 'fitted';
  readonly layers: Readonly<Record<RegressedLayerType, LinearModel>>;
  /** Model loading: ms = coef[0]·modelBytes + intercept. */
  readonly modelLoading: LinearModel;
  /** Free text: machine, date, source. */
  readonly description: string;
  /**
   * Fixed cost of one inference call on this side, ms (≥ 0; absent = 0, as in Edgent's
   * published fits). Our fits measure each layer as its own `session.run`, so every layer
   * sample carries this cost once; it is subtracted before fitting and added back once per
   * side per request (see latency-predictor.ts), not once per layer.
   */
  readonly callOverheadMs?: number;
}

function linear(m: LinearModel, x: readonly number[]): number {
  let y = m.intercept;
  for (let i = 0; i < m.coef.length; i++) y += m.coef[i]! * (x[i] ?? 0);
  return y;
}

/**
 * Predicted latency of one layer in ms, clamped at 0 (Edgent's conv fit has a negative
 * intercept and would predict negative time for tiny layers).
 */
export function predictLayerMs(profile: LayerRegressionProfile, layer: Pick<LayerManifest, 'type' | 'vars'>): number {
  if (layer.type === 'flatten' || layer.type === 'softmax') return 0;
  return Math.max(0, linear(profile.layers[layer.type], layer.vars));
}

/**
 * Predicted latency of a layer sequence (a stage, an exit head) in ms, without the profile's
 * per-call overhead (add `callOverheadMs` once per inference call).
 */
export function predictLayersMs(profile: LayerRegressionProfile, layers: readonly Pick<LayerManifest, 'type' | 'vars'>[]): number {
  let ms = 0;
  for (const l of layers) ms += predictLayerMs(profile, l);
  return ms;
}

/** Predicted model-loading time in ms for a model of `bytes` bytes. */
export function predictModelLoadMs(profile: LayerRegressionProfile, bytes: number): number {
  return Math.max(0, linear(profile.modelLoading, [bytes]));
}
