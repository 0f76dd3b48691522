/**
 * Pure shape arithmetic over an ArchitectureSpec: per-layer input/output shapes, parameter and
 * FLOP counts, weight shapes, TensorFlow 'same' pooling pads, and Edgent's regression
 * variables (docs/architecture.md §4). Shapes are per sample, without the batch dimension (C,H,W or [n]).
 */
import type { ArchitectureSpec, LayerDef, LayerType } from './architecture.ts';

export interface LayerInfo {
  readonly name: string;
  readonly type: LayerType;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Trainable parameters (weights + biases). */
  readonly params: number;
  /** Multiply-accumulates counted as 2 FLOPs; elementwise ops as 1 per element. */
  readonly flops: number;
  /**
   * Edgent's independent variables for this layer type: conv [input size, (k/s)²·filters],
   * relu/lrn/dropout [input size], pool/fc [input size, output size]; flatten/softmax [].
   */
  readonly vars: readonly number[];
}

/** Weight tensors a layer owns, by name, with ONNX-layout shapes (see architecture.ts). */
export interface WeightShape {
  readonly name: string;
  readonly shape: readonly number[];
}

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** TensorFlow 'same' padding for one spatial axis: [begin, end] (extra pad at the end). */
export function samePads(inSize: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kernel - inSize, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** Infers one layer's info from its input shape. @throws RangeError on an impossible shape. */
export function layerInfo(layer: LayerDef, inputShape: readonly number[]): LayerInfo {
  const inSize = product(inputShape);
  const spatial = (): [number, number, number] => {
    if (inputShape.length !== 3) {
      throw new RangeError(`Layer ${layer.name} (${layer.type}) expects a C×H×W input, actually [${inputShape.join(',')}]`);
    }
    return inputShape as [number, number, number];
  };
  switch (layer.type) {
    case 'conv': {
      const [c, h, w] = spatial();
      const out = [layer.filters, h, w];
      const params = layer.filters * c * layer.kernel * layer.kernel + layer.filters;
      const flops = 2 * layer.kernel * layer.kernel * c * product(out);
      const x2 = (layer.kernel / layer.stride) ** 2 * layer.filters;
      return { name: layer.name, type: 'conv', inputShape, outputShape: out, params, flops, vars: [inSize, x2] };
    }
    case 'pool': {
      const [c, h, w] = spatial();
      const out = [c, Math.ceil(h / layer.stride), Math.ceil(w / layer.stride)];
      const outSize = product(out);
      return { name: layer.name, type: 'pool', inputShape, outputShape: out, params: 0, flops: outSize * layer.kernel * layer.kernel, vars: [inSize, outSize] };
    }
    case 'lrn':
      spatial();
      return { name: layer.name, type: 'lrn', inputShape, outputShape: inputShape, params: 0, flops: inSize * (2 * layer.size + 4), vars: [inSize] };
    case 'relu':
    case 'dropout':
      return { name: layer.name, type: layer.type, inputShape, outputShape: inputShape, params: 0, flops: inSize, vars: [inSize] };
    case 'flatten':
      return { name: layer.name, type: 'flatten', inputShape, outputShape: [inSize], params: 0, flops: 0, vars: [] };
    case 'softmax':
      return { name: layer.name, type: 'softmax', inputShape, outputShape: inputShape, params: 0, flops: 3 * inSize, vars: [] };
    case 'fc': {
      if (inputShape.length !== 1) {
        throw new RangeError(`Layer ${layer.name} (fc) expects a flat input, actually [${inputShape.join(',')}]`);
      }
      return {
        name: layer.name, type: 'fc', inputShape, outputShape: [layer.units],
        params: inSize * layer.units + layer.units, flops: 2 * inSize * layer.units, vars: [inSize, layer.units],
      };
    }
  }
}

/** Infers a chain of layers; returns each layer's info in order. */
export function chainInfo(layers: readonly LayerDef[], inputShape: readonly number[]): LayerInfo[] {
  const out: LayerInfo[] = [];
  let shape = inputShape;
  for (const l of layers) {
    const info = layerInfo(l, shape);
    out.push(info);
    shape = info.outputShape;
  }
  return out;
}

export interface ArchitectureInfo {
  /** stages[i] = layer infos of backbone stage i+1. */
  readonly stages: readonly (readonly LayerInfo[])[];
  /** Output shape of each stage (index i = stage i+1). */
  readonly stageOutputShapes: readonly (readonly number[])[];
  /** exits[j] = layer infos of exit j+1's head. */
  readonly exits: readonly (readonly LayerInfo[])[];
}

/** Infers every stage and exit head of a spec. @throws RangeError on a malformed spec. */
export function architectureInfo(spec: ArchitectureSpec): ArchitectureInfo {
  const stages: LayerInfo[][] = [];
  const stageOutputShapes: number[][] = [];
  let shape: readonly number[] = [spec.input.channels, spec.input.height, spec.input.width];
  for (const st of spec.stages) {
    if (st.layers.length === 0) throw new RangeError(`Stage ${st.name} has no layers`);
    const last = st.layers[st.layers.length - 1]!;
    if (last.name !== st.name) throw new RangeError(`Stage ${st.name}'s last layer must be named ${st.name}, actually ${last.name}`);
    const infos = chainInfo(st.layers, shape);
    stages.push(infos);
    shape = infos[infos.length - 1]!.outputShape;
    stageOutputShapes.push([...shape]);
  }
  const exits = spec.exits.map((ex) => {
    if (!Number.isInteger(ex.branchStage) || ex.branchStage < 1 || ex.branchStage > spec.stages.length) {
      throw new RangeError(`Exit ${ex.name}: expected branchStage in [1, ${spec.stages.length}], actually ${ex.branchStage}`);
    }
    const infos = chainInfo(ex.head, stageOutputShapes[ex.branchStage - 1]!);
    const out = infos[infos.length - 1]!;
    if (out.name !== ex.name || product(out.outputShape) !== spec.classes) {
      throw new RangeError(`Exit ${ex.name}: its head must end in a layer named ${ex.name} with ${spec.classes} outputs`);
    }
    return infos;
  });
  return { stages, stageOutputShapes, exits };
}

/** The weight tensors of a layer (empty for parameter-free layers). */
export function layerWeights(info: LayerInfo, layer: LayerDef): WeightShape[] {
  if (layer.type === 'conv') {
    return [
      { name: `${layer.name}.weight`, shape: [layer.filters, info.inputShape[0]!, layer.kernel, layer.kernel] },
      { name: `${layer.name}.bias`, shape: [layer.filters] },
    ];
  }
  if (layer.type === 'fc') {
    return [
      { name: `${layer.name}.weight`, shape: [info.inputShape[0]!, layer.units] },
      { name: `${layer.name}.bias`, shape: [layer.units] },
    ];
  }
  return [];
}

/** Every weight tensor of a spec, in a stable order (stages, then exit heads). */
export function architectureWeights(spec: ArchitectureSpec): WeightShape[] {
  const info = architectureInfo(spec);
  const out: WeightShape[] = [];
  spec.stages.forEach((st, i) => st.layers.forEach((l, j) => out.push(...layerWeights(info.stages[i]![j]!, l))));
  spec.exits.forEach((ex, i) => ex.head.forEach((l, j) => out.push(...layerWeights(info.exits[i]![j]!, l))));
  return out;
}
