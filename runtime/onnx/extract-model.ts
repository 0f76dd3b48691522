/**
 * Sub-model extraction from the ONNX graph alone, like Python's `onnx.utils.extract_model`:
 * walk backwards from the wanted outputs, stop at the given inputs and at initializers, keep
 * the reached nodes in their original order and only the initializers they use (docs/architecture.md §2).
 *
 * Only single-tensor cuts are supported: when the part after the cut also needs another
 * tensor computed before it (a residual branch, a second graph input), extraction fails with
 * ERR_SPLIT_MULTI_TENSOR_CUT naming those tensors. Nodes with sub-graphs (If, Loop) that read
 * outer-scope tensors are not followed.
 *
 * @example
 * const device = extractSubModel(bytes, { inputs: ['input'], outputs: ['lrn2'] });
 * const edge = extractSubModel(bytes, { inputs: ['lrn2'], outputs: ['exit5'] });
 */
import { CoinferError } from '../../common/errors.ts';
import {
  decodeOnnx, encodeOnnx, OnnxDataType,
  type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo,
} from './onnx-proto.ts';

export interface ExtractOptions {
  /** Tensors that become the sub-model's graph inputs (the cut). */
  readonly inputs: readonly string[];
  /** Tensors that become its graph outputs. */
  readonly outputs: readonly string[];
}

/** Every tensor name a graph knows: node outputs, graph inputs and initializers. */
function graphTensors(model: OnnxModel): { producer: Map<string, number>; initializers: Map<string, OnnxTensor>; graphInputs: Set<string> } {
  const producer = new Map<string, number>();
  model.graph.node.forEach((n, i) => n.output.forEach((t) => { if (t !== '') producer.set(t, i); }));
  const initializers = new Map<string, OnnxTensor>();
  for (const t of model.graph.initializer) if (t.name !== undefined) initializers.set(t.name, t);
  // Before IR 4 initializers were also listed as graph inputs; they are constants, not inputs.
  const graphInputs = new Set(model.graph.input.map((v) => v.name).filter((n) => !initializers.has(n)));
  return { producer, initializers, graphInputs };
}

/**
 * Extracts a sub-model from a decoded model (the decoded form of extractSubModel, for callers
 * that extract many sub-models from one model and want to decode it once).
 * @throws CoinferError ERR_SPLIT_UNKNOWN_TENSOR / ERR_SPLIT_MULTI_TENSOR_CUT.
 */
export function extractFromModel(model: OnnxModel, opts: ExtractOptions): OnnxModel {
  const { producer, initializers, graphInputs } = graphTensors(model);
  const nodes = model.graph.node;
  for (const name of [...opts.inputs, ...opts.outputs]) {
    if (!producer.has(name) && !graphInputs.has(name) && !initializers.has(name)) {
      throw new CoinferError('ERR_SPLIT_UNKNOWN_TENSOR', `Tensor '${name}' is not in the ONNX graph (expected a node output or graph input, e.g. ${[...producer.keys()].slice(0, 5).join(', ')}); check the manifest's stage and exit tensor names`);
    }
  }
  if (opts.outputs.length === 0) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected at least one output tensor to extract, actually none');
  const inputs = new Set(opts.inputs);

  // A tensor is dynamic when it depends on a graph input; constant sub-graphs (shape
  // constants) may be recomputed on either side of a cut, dynamic tensors may not.
  const dynamic = new Map<string, boolean>();
  const isDynamic = (t: string): boolean => {
    const known = dynamic.get(t);
    if (known !== undefined) return known;
    dynamic.set(t, false); // cycle guard (a valid graph has none)
    const p = producer.get(t);
    const d = graphInputs.has(t) || (p !== undefined && nodes[p]!.input.some((x) => x !== '' && isDynamic(x)));
    dynamic.set(t, d);
    return d;
  };

  // Nodes upstream of the cut: whatever they compute belongs to the part before the cut.
  const upstream = new Set<number>();
  const up = [...inputs];
  while (up.length > 0) {
    const p = producer.get(up.pop()!);
    if (p === undefined || upstream.has(p)) continue;
    upstream.add(p);
    up.push(...nodes[p]!.input.filter((x) => x !== ''));
  }

  const keep = new Set<number>();
  const usedInitializers = new Set<string>();
  const crossing = new Set<string>();
  const seen = new Set<string>();
  const todo = [...opts.outputs];
  while (todo.length > 0) {
    const t = todo.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (inputs.has(t)) continue;
    if (initializers.has(t)) { usedInitializers.add(t); continue; }
    const p = producer.get(t);
    if (p === undefined || (upstream.has(p) && isDynamic(t))) { crossing.add(t); continue; }
    if (keep.has(p)) continue;
    keep.add(p);
    for (const x of nodes[p]!.input) if (x !== '') todo.push(x);
  }
  if (crossing.size > 0) {
    throw new CoinferError('ERR_SPLIT_MULTI_TENSOR_CUT', `Cutting at [${opts.inputs.join(', ')}] for [${opts.outputs.join(', ')}] also needs [${[...crossing].join(', ')}]: more than one tensor crosses the cut, and DAG cuts are not supported yet; cut at a tensor every path goes through`);
  }

  const valueInfo = new Map<string, OnnxValueInfo>();
  for (const v of [...model.graph.value_info, ...model.graph.output, ...model.graph.input]) valueInfo.set(v.name, v);
  // Without a declared type assume float; ORT accepts an input declared with elem_type only.
  const infoOf = (name: string): OnnxValueInfo => valueInfo.get(name) ?? { name, type: { tensor_type: { elem_type: initializers.get(name)?.data_type ?? OnnxDataType.FLOAT } } };

  const keptNodes: OnnxNode[] = nodes.filter((_, i) => keep.has(i));
  const boundary = new Set([...opts.inputs, ...opts.outputs]);
  const inner = new Set(keptNodes.flatMap((n) => n.output).filter((t) => t !== '' && !boundary.has(t)));
  return {
    ...model,
    graph: {
      ...model.graph,
      name: `${model.graph.name ?? 'graph'}[${opts.inputs.join(',')}->${opts.outputs.join(',')}]`,
      node: keptNodes,
      initializer: model.graph.initializer.filter((t) => t.name !== undefined && usedInitializers.has(t.name)),
      input: opts.inputs.map(infoOf),
      output: opts.outputs.map(infoOf),
      value_info: model.graph.value_info.filter((v) => inner.has(v.name)),
    },
  };
}

/**
 * Extracts the sub-model that computes `outputs` from `inputs` (ONNX bytes in, bytes out).
 * @throws CoinferError ERR_ONNX_DECODE (bad bytes), ERR_SPLIT_UNKNOWN_TENSOR (a named tensor
 * is not in the graph), ERR_SPLIT_MULTI_TENSOR_CUT (another tensor also crosses the cut).
 */
export function extractSubModel(onnx: Uint8Array, opts: { readonly inputs: readonly string[]; readonly outputs: readonly string[] }): Uint8Array {
  return encodeOnnx(extractFromModel(decodeOnnx(onnx), opts));
}
