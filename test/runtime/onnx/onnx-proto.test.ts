import { describe, it, expect } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import {
  attr, decodeOnnx, encodeOnnx, floatTensor, OnnxDataType, tensorValueInfo, type OnnxModel,
} from '../../../runtime/onnx/onnx-proto.ts';

const model: OnnxModel = {
  ir_version: 8,
  opset_import: [{ domain: '', version: 13 }],
  producer_name: 'test',
  graph: {
    name: 'g',
    node: [{ name: 'sm', op_type: 'Softmax', input: ['x'], output: ['y'], attribute: [attr.int('axis', -1)] }],
    initializer: [floatTensor('w', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]))],
    input: [tensorValueInfo('x', OnnxDataType.FLOAT, ['N', 3])],
    output: [tensorValueInfo('y', OnnxDataType.FLOAT, ['N', 3])],
    value_info: [],
  },
};

describe('decodeOnnx / encodeOnnx', () => {
  it('round-trips a model: fields as numbers, bytes identical on re-encode', () => {
    const bytes = encodeOnnx(model);
    const back = decodeOnnx(bytes);
    expect(back.ir_version).toBe(8);
    expect(back.opset_import).toEqual([{ domain: '', version: 13 }]);
    expect(back.graph.node[0]!.attribute![0]).toMatchObject({ name: 'axis', type: 2, i: -1 });
    const w = back.graph.initializer[0]!;
    expect(w.dims).toEqual([2, 3]);
    const raw = w.raw_data!;
    expect(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.graph.input[0]!.type!.tensor_type!.shape!.dim).toEqual([{ dim_param: 'N' }, { dim_value: 3 }]);
    expect(back.graph.value_info).toEqual([]); // repeated fields are always arrays
    expect(Buffer.from(encodeOnnx(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects garbage bytes with ERR_ONNX_DECODE', () => {
    for (const bad of [new TextEncoder().encode('this is not an onnx model at all'), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array(0)]) {
      let err: unknown;
      try {
        decodeOnnx(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CoinferError);
      expect((err as CoinferError).code).toBe('ERR_ONNX_DECODE');
    }
  });
});
