/**
 * Converts the weights of the tfjs BranchyNet (NHWC) into the ONNX layouts of
 * runtime/model/architecture.ts, keyed `<layer>.weight` / `<layer>.bias`:
 * - conv kernel [kh,kw,in,out] → OIHW [out,in,kh,kw];
 * - dense kernel [in,out] stays [in,out] (Gemm B), except after a flatten of a C×H×W map, where
 *   the rows are permuted from tfjs's HWC flatten order to ONNX's CHW order:
 *   dst row ((c·H+h)·W+w) = src row ((h·W+w)·C+c). No Transpose is needed at inference.
 */
import type * as TfNs from '@tensorflow/tfjs';
import type { ArchitectureSpec, LayerDef } from '../runtime/model/architecture.ts';
import { architectureInfo, type LayerInfo } from '../runtime/model/layer-shapes.ts';
import { CoinferError } from '../common/errors.ts';

/** OIHW copy of an HWIO conv kernel. */
export function hwioToOihw(k: Float32Array, shape: { kh: number; kw: number; cin: number; cout: number }): Float32Array {
  const { kh, kw, cin, cout } = shape;
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[src + o]!;
      }
    }
  }
  return out;
}

/** Dense kernel [H·W·C, units] with HWC-ordered rows → CHW-ordered rows. */
export function permuteFlattenRows(k: Float32Array, shape: { c: number; h: number; w: number; units: number }): Float32Array {
  const { c: C, h: H, w: W, units } = shape;
  const out = new Float32Array(k.length);
  for (let h = 0; h < H; h++) {
    for (let w = 0; w < W; w++) {
      for (let c = 0; c < C; c++) {
        const src = ((h * W + w) * C + c) * units;
        const dst = ((c * H + h) * W + w) * units;
        out.set(k.subarray(src, src + units), dst);
      }
    }
  }
  return out;
}

function exportChain(model: TfNs.LayersModel, layers: readonly LayerDef[], infos: readonly LayerInfo[], out: Map<string, Float32Array>): void {
  layers.forEach((l, i) => {
    if (l.type !== 'conv' && l.type !== 'fc') return;
    let layer: TfNs.layers.Layer;
    try {
      layer = model.getLayer(l.name);
    } catch (e) {
      throw new CoinferError('ERR_ONNX_GRAPH', `The tfjs model has no layer ${l.name}; was it built from this spec?`, { cause: e });
    }
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias) throw new CoinferError('ERR_ONNX_GRAPH', `Layer ${l.name} has no kernel/bias`);
    const k = kernel.dataSync() as Float32Array;
    const b = Float32Array.from(bias.dataSync() as Float32Array);
    if (l.type === 'conv') {
      const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
      out.set(`${l.name}.weight`, hwioToOihw(k, { kh, kw, cin, cout }));
    } else {
      const prev = i > 0 ? layers[i - 1] : undefined;
      const flatIn = prev?.type === 'flatten' ? infos[i - 1]!.inputShape : null;
      if (flatIn && flatIn.length === 3) {
        const [c, h, w] = flatIn as [number, number, number];
        out.set(`${l.name}.weight`, permuteFlattenRows(k, { c, h, w, units: l.units }));
      } else out.set(`${l.name}.weight`, Float32Array.from(k));
    }
    out.set(`${l.name}.bias`, b);
  });
}

/**
 * Reads every conv/fc weight of `model` (built by buildTfBranchyNet from `spec`) in ONNX layout.
 * @returns map from `<layer>.weight` / `<layer>.bias` to values (fresh arrays)
 * @throws CoinferError ERR_ONNX_GRAPH when a spec layer is missing from the model
 */
export function exportOnnxWeights(model: TfNs.LayersModel, spec: ArchitectureSpec): Map<string, Float32Array> {
  const info = architectureInfo(spec);
  const out = new Map<string, Float32Array>();
  spec.stages.forEach((st, i) => exportChain(model, st.layers, info.stages[i]!, out));
  spec.exits.forEach((ex, i) => exportChain(model, ex.head, info.exits[i]!, out));
  return out;
}
