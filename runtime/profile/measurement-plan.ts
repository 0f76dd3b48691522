/**
 * What a profiling run measures, derived from the manifest alone (pure): each one a sub-model
 * cut between two named tensors of the package's ONNX graph. Every layer's output tensor is
 * named after the layer (architecture.ts), so a layer's sub-model runs from the previous
 * layer's tensor (or, for a stage's first layer, the previous stage's output or the graph
 * input; for an exit head's first layer, its branch stage's output) to its own name.
 */
import type { LayerManifest, ModelManifest } from '../model/manifest.ts';
import type { ProfileSide } from './profile-measurements.ts';

/** One sub-model to run repeatedly. */
export interface ComputeItem {
  readonly kind: 'layer' | 'stage' | 'exit' | 'path';
  readonly name: string;
  /** Input tensor of the sub-model. */
  readonly from: string;
  /** Output tensor of the sub-model. */
  readonly to: string;
  /** Per-sample shape of `from`. */
  readonly inputShape: readonly number[];
  /** The manifest layers the sub-model runs (for emulation and path predictions). */
  readonly layers: readonly LayerManifest[];
  /** layer: where it sits; path: partition and the exits it serves. */
  readonly owner?: { readonly kind: 'stage' | 'exit'; readonly index: number };
  readonly partition?: number;
  readonly exits?: readonly number[];
}

/** One sub-model whose session creation is timed (Edgent's model loading). */
export interface LoadItem {
  readonly name: string;
  readonly kind: 'prefix' | 'suffix';
  readonly from: string;
  readonly to: string;
}

export interface MeasurementPlan {
  readonly compute: readonly ComputeItem[];
  readonly loading: readonly LoadItem[];
}

/** Output tensor and per-sample shape at partition p (0 = the graph input). */
function cut(m: ModelManifest, p: number): { tensor: string; shape: readonly number[] } {
  return p === 0 ? { tensor: m.input.name, shape: m.input.shape } : { tensor: m.stages[p - 1]!.output, shape: m.stages[p - 1]!.outputShape };
}

function chain(layers: readonly LayerManifest[], start: { tensor: string }, owner: ComputeItem['owner']): ComputeItem[] {
  let from = start.tensor;
  return layers.map((l) => {
    const item: ComputeItem = { kind: 'layer', name: l.name, from, to: l.name, inputShape: l.inputShape, layers: [l], ...(owner ? { owner } : {}) };
    from = l.name;
    return item;
  });
}

/**
 * Every layer, stage and exit head; the compute paths of `side` for every (partition, exit);
 * and the prefix (input → stage p) and suffix (stage p → final exit) sub-models for loading.
 */
export function planMeasurements(m: ModelManifest, side: ProfileSide): MeasurementPlan {
  const compute: ComputeItem[] = [];
  m.stages.forEach((s, i) => compute.push(...chain(s.layers, cut(m, i), { kind: 'stage', index: s.index })));
  m.exits.forEach((e) => compute.push(...chain(e.layers, cut(m, e.branchStage), { kind: 'exit', index: e.index })));
  m.stages.forEach((s, i) => {
    const c = cut(m, i);
    compute.push({ kind: 'stage', name: s.name, from: c.tensor, to: s.output, inputShape: c.shape, layers: s.layers });
  });
  m.exits.forEach((e) => {
    const c = cut(m, e.branchStage);
    compute.push({ kind: 'exit', name: e.name, from: c.tensor, to: e.output, inputShape: c.shape, layers: e.layers });
  });
  const stageLayers = (from: number, to: number): LayerManifest[] => m.stages.slice(from, to).flatMap((s) => s.layers);
  const maxBranch = Math.max(...m.exits.map((e) => e.branchStage));
  if (side === 'device') {
    for (let p = 1; p < maxBranch; p++) {
      const exits = m.exits.filter((e) => e.branchStage > p).map((e) => e.index);
      const c = cut(m, p);
      compute.push({ kind: 'path', name: `prefix-p${p}`, from: m.input.name, to: c.tensor, inputShape: m.input.shape, layers: stageLayers(0, p), partition: p, exits });
    }
    for (const e of m.exits) {
      compute.push({
        kind: 'path', name: `local-e${e.index}`, from: m.input.name, to: e.output, inputShape: m.input.shape,
        layers: [...stageLayers(0, e.branchStage), ...e.layers], partition: e.branchStage, exits: [e.index],
      });
    }
  } else {
    for (const e of m.exits) {
      for (let p = 0; p < e.branchStage; p++) {
        const c = cut(m, p);
        compute.push({
          kind: 'path', name: `suffix-p${p}-e${e.index}`, from: c.tensor, to: e.output, inputShape: c.shape,
          layers: [...stageLayers(p, e.branchStage), ...e.layers], partition: p, exits: [e.index],
        });
      }
    }
  }
  const final = m.exits[m.exits.length - 1]!;
  const loading: LoadItem[] = [];
  for (let p = 1; p <= m.stages.length; p++) loading.push({ name: `prefix-p${p}`, kind: 'prefix', from: m.input.name, to: cut(m, p).tensor });
  for (let p = 0; p < final.branchStage; p++) loading.push({ name: `suffix-p${p}`, kind: 'suffix', from: cut(m, p).tensor, to: final.output });
  return { compute, loading };
}
