/**
 * Builds a real ONNX model (opset 13, IR 8) from an ArchitectureSpec and its weights, so the
 * runtime runs exactly the network the trainer trained (the layout conversions are in
 * training/export-weights.ts and docs/model.md).
 *
 * Graph contract: input 'input' float [N,C,H,W] with a symbolic batch N; every layer's output
 * tensor is named after the layer, so each stage name (a partition point) and each exit name
 * (softmax probabilities) is a tensor; graph outputs are the exits in order; value_info gives
 * the shape of every intermediate tensor.
 *
 * @example
 * const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
 * const onnx = buildOnnxModel(spec, randomWeights(spec, createRng(1)));
 */
import type { ArchitectureSpec, LayerDef } from './architecture.ts';
import { architectureInfo, architectureWeights, samePads, type LayerInfo } from './layer-shapes.ts';
import {
  attr, encodeOnnx, floatTensor, OnnxDataType, tensorValueInfo,
  type OnnxNode, type OnnxTensor, type OnnxValueInfo,
} from '../onnx/onnx-proto.ts';

/** Name of the graph input (raw preprocessed images, NCHW). */
export const ONNX_INPUT_NAME = 'input';
/** Symbolic batch dimension. */
const BATCH = 'N';

/** The ONNX node(s) of one layer reading tensor `x`; the output tensor is the layer name. */
function layerNode(layer: LayerDef, info: LayerInfo, x: string): OnnxNode {
  const base = { name: layer.name, input: [x], output: [layer.name] };
  switch (layer.type) {
    case 'conv': {
      const [, h, w] = info.inputShape as [number, number, number];
      const [pt, pb] = samePads(h, layer.kernel, layer.stride);
      const [pl, pr] = samePads(w, layer.kernel, layer.stride);
      return {
        ...base, op_type: 'Conv', input: [x, `${layer.name}.weight`, `${layer.name}.bias`],
        attribute: [attr.ints('kernel_shape', [layer.kernel, layer.kernel]), attr.ints('strides', [layer.stride, layer.stride]), attr.ints('pads', [pt, pl, pb, pr])],
      };
    }
    case 'pool': {
      const [, h, w] = info.inputShape as [number, number, number];
      // TensorFlow 'same' pooling pads at the end when the total is odd: ONNX needs asymmetric pads.
      const [pt, pb] = samePads(h, layer.kernel, layer.stride);
      const [pl, pr] = samePads(w, layer.kernel, layer.stride);
      return {
        ...base, op_type: 'MaxPool',
        attribute: [attr.ints('kernel_shape', [layer.kernel, layer.kernel]), attr.ints('strides', [layer.stride, layer.stride]), attr.ints('pads', [pt, pl, pb, pr])],
      };
    }
    case 'relu':
      return { ...base, op_type: 'Relu' };
    case 'lrn':
      return {
        ...base, op_type: 'LRN',
        attribute: [attr.int('size', layer.size), attr.float('alpha', layer.alpha), attr.float('beta', layer.beta), attr.float('bias', layer.bias)],
      };
    case 'dropout':
      return { ...base, op_type: 'Identity' }; // inference: dropout is the identity
    case 'flatten':
      return { ...base, op_type: 'Flatten', attribute: [attr.int('axis', 1)] };
    case 'fc':
      return { ...base, op_type: 'Gemm', input: [x, `${layer.name}.weight`, `${layer.name}.bias`], attribute: [attr.int('transB', 0)] };
    case 'softmax':
      return { ...base, op_type: 'Softmax', attribute: [attr.int('axis', -1)] };
  }
}

/**
 * Builds the ONNX bytes of a spec.
 * @param weights every tensor of architectureWeights(spec), by name, in the ONNX layouts of
 *   architecture.ts (conv OIHW, fc [in, out]); extra entries are ignored.
 * @throws RangeError naming a missing or wrong-sized weight, or a malformed spec.
 */
export function buildOnnxModel(spec: ArchitectureSpec, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const info = architectureInfo(spec);
  const initializer: OnnxTensor[] = [];
  for (const w of architectureWeights(spec)) {
    const data = weights.get(w.name);
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (data === undefined) throw new RangeError(`Weight '${w.name}' [${w.shape.join(',')}] is missing; expected every weight of architectureWeights(spec)`);
    if (data.length !== size) throw new RangeError(`Weight '${w.name}': expected ${size} floats for [${w.shape.join(',')}], actually ${data.length}`);
    initializer.push(floatTensor(w.name, w.shape, data));
  }

  const node: OnnxNode[] = [];
  const valueInfo: OnnxValueInfo[] = [];
  const chain = (layers: readonly LayerDef[], infos: readonly LayerInfo[], x: string): void => {
    layers.forEach((l, i) => {
      const li = infos[i]!;
      node.push(layerNode(l, li, x));
      valueInfo.push(tensorValueInfo(l.name, OnnxDataType.FLOAT, [BATCH, ...li.outputShape]));
      x = l.name;
    });
  };
  let x = ONNX_INPUT_NAME;
  spec.stages.forEach((st, i) => {
    chain(st.layers, info.stages[i]!, x);
    x = st.name;
  });
  spec.exits.forEach((ex, i) => chain(ex.head, info.exits[i]!, spec.stages[ex.branchStage - 1]!.name));

  const exitNames = new Set(spec.exits.map((e) => e.name));
  const { channels, height, width } = spec.input;
  return encodeOnnx({
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    producer_name: 'coinfer',
    producer_version: '1',
    graph: {
      name: spec.name,
      node,
      initializer,
      input: [tensorValueInfo(ONNX_INPUT_NAME, OnnxDataType.FLOAT, [BATCH, channels, height, width])],
      output: spec.exits.map((e) => tensorValueInfo(e.name, OnnxDataType.FLOAT, [BATCH, spec.classes])),
      value_info: valueInfo.filter((v) => !exitNames.has(v.name)),
    },
  });
}
