import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { CoinferError } from '../../../common/errors.ts';
import { createRng } from '../../../common/rng.ts';
import { extractSubModel } from '../../../runtime/onnx/extract-model.ts';
import {
  decodeOnnx, encodeOnnx, floatTensor, OnnxDataType, tensorValueInfo, type OnnxModel, type OnnxNode,
} from '../../../runtime/onnx/onnx-proto.ts';

const rng = createRng(11);
const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

function model(nodes: OnnxNode[], opts: { inputs: string[]; outputs: string[]; inits: [string, number[]][] }): Uint8Array {
  const m: OnnxModel = {
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'handmade',
      node: nodes,
      initializer: opts.inits.map(([name, dims]) => floatTensor(name, dims, randn(dims.reduce((a, b) => a * b, 1)))),
      input: opts.inputs.map((n) => tensorValueInfo(n, OnnxDataType.FLOAT, ['batch', 4])),
      output: opts.outputs.map((n) => tensorValueInfo(n, OnnxDataType.FLOAT)),
      value_info: [], // no intermediate shapes: the cut input gets elem_type only
    },
  };
  return encodeOnnx(m);
}

const node = (op_type: string, input: string[], output: string): OnnxNode => ({ op_type, input, output: [output], name: `n_${output}` });

/**
 * features [B,4] → MatMul → Add(shared constant) → Relu → MatMul → Add(same constant) → scores,
 * listed out of build order; the constant is an Identity of an initializer used on both sides.
 */
const mlp = model(
  [
    node('Add', ['proj2', 'offset'], 'scores'),
    node('Relu', ['pre_act'], 'act'),
    node('Identity', ['offset_init'], 'offset'),
    node('MatMul', ['act', 'w_second'], 'proj2'),
    node('Add', ['proj1', 'offset'], 'pre_act'),
    node('MatMul', ['features', 'w_first'], 'proj1'),
  ],
  { inputs: ['features'], outputs: ['scores'], inits: [['w_first', [4, 3]], ['w_second', [3, 3]], ['offset_init', [3]], ['unused', [7]]] },
);

async function runOne(bytes: Uint8Array, feed: string, data: Float32Array, dims: number[], fetch: string): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 }); // quiet: the whole model has an unused initializer on purpose
  try {
    return (await s.run({ [feed]: new ort.Tensor('float32', data, dims) }))[fetch]!;
  } finally {
    await s.release();
  }
}

function expectCode(f: () => unknown, code: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CoinferError);
  expect((err as CoinferError).code).toBe(code);
}

describe('extractSubModel', () => {
  it('splits a hand-written MatMul/Add/Relu graph exactly (prefix∘suffix = whole)', async () => {
    const pre = extractSubModel(mlp, { inputs: ['features'], outputs: ['act'] });
    const suf = extractSubModel(mlp, { inputs: ['act'], outputs: ['scores'] });
    const p = decodeOnnx(pre).graph;
    const s = decodeOnnx(suf).graph;
    expect(p.node.map((n) => n.output[0])).toEqual(['act', 'offset', 'pre_act', 'proj1']); // original order kept
    expect(p.initializer.map((t) => t.name).sort()).toEqual(['offset_init', 'w_first']);
    expect(s.node.map((n) => n.output[0])).toEqual(['scores', 'offset', 'proj2']); // the constant is recomputed
    expect(s.initializer.map((t) => t.name).sort()).toEqual(['offset_init', 'w_second']);
    expect(s.input).toEqual([{ name: 'act', type: { tensor_type: { elem_type: OnnxDataType.FLOAT } } }]);

    const x = randn(5 * 4);
    const whole = await runOne(mlp, 'features', x, [5, 4], 'scores');
    const mid = await runOne(pre, 'features', x, [5, 4], 'act');
    expect(mid.dims).toEqual([5, 3]);
    const out = await runOne(suf, 'act', mid.data as Float32Array, [5, 3], 'scores');
    expect(out.dims).toEqual([5, 3]);
    const a = whole.data as Float32Array;
    const b = out.data as Float32Array;
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBe(0);
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  it('rejects a residual cut crossed by two tensors with ERR_SPLIT_MULTI_TENSOR_CUT', () => {
    const residual = model(
      [node('MatMul', ['x', 'w'], 'a'), node('Relu', ['a'], 'b'), node('Add', ['a', 'b'], 'c')],
      { inputs: ['x'], outputs: ['c'], inits: [['w', [4, 4]]] },
    );
    expectCode(() => extractSubModel(residual, { inputs: ['b'], outputs: ['c'] }), 'ERR_SPLIT_MULTI_TENSOR_CUT');
    // Cutting where every path meets is fine.
    expect(decodeOnnx(extractSubModel(residual, { inputs: ['a'], outputs: ['c'] })).graph.node).toHaveLength(2);
  });

  it('rejects a cut that leaves a second graph input uncovered', () => {
    const twoInputs = model([node('Relu', ['x1'], 'r'), node('Add', ['r', 'x2'], 'y')], { inputs: ['x1', 'x2'], outputs: ['y'], inits: [] });
    expectCode(() => extractSubModel(twoInputs, { inputs: ['r'], outputs: ['y'] }), 'ERR_SPLIT_MULTI_TENSOR_CUT');
    expect(decodeOnnx(extractSubModel(twoInputs, { inputs: ['r', 'x2'], outputs: ['y'] })).graph.input.map((v) => v.name)).toEqual(['r', 'x2']);
  });

  it('rejects unknown tensor names with ERR_SPLIT_UNKNOWN_TENSOR', () => {
    expectCode(() => extractSubModel(mlp, { inputs: ['nope'], outputs: ['scores'] }), 'ERR_SPLIT_UNKNOWN_TENSOR');
    expectCode(() => extractSubModel(mlp, { inputs: ['features'], outputs: ['missing'] }), 'ERR_SPLIT_UNKNOWN_TENSOR');
  });

  it('rejects garbage bytes with ERR_ONNX_DECODE', () => {
    expectCode(() => extractSubModel(new TextEncoder().encode('garbage, not protobuf'), { inputs: ['a'], outputs: ['b'] }), 'ERR_ONNX_DECODE');
  });
});
