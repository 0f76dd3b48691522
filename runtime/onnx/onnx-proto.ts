/**
 * ONNX ModelProto encoding and decoding with protobufjs and a hand-written subset of
 * onnx.proto (official field numbers, proto2, keepCase). The subset covers what a plain
 * inference graph uses; fields outside it (functions, training info, sparse initializers,
 * external data) are dropped on decode, so do not use it to rewrite arbitrary third-party
 * models.
 *
 * @example
 * const model = decodeOnnx(bytes);
 * console.log(model.graph.node.map((n) => n.op_type));
 * const again = encodeOnnx(model);
 */
import protobuf from 'protobufjs';
import { CoinferError } from '../../common/errors.ts';

const SCHEMA = `
syntax = "proto2";
package onnx;
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message AttributeProto {
  optional string name = 1; optional string ref_attr_name = 21; optional string doc_string = 13;
  optional int32 type = 20;
  optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  optional TensorProto t = 5; optional GraphProto g = 6;
  repeated float floats = 7; repeated int64 ints = 8; repeated bytes strings = 9;
  repeated TensorProto tensors = 10; repeated GraphProto graphs = 11;
}
message TensorProto {
  repeated int64 dims = 1; optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true]; repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6; repeated int64 int64_data = 7 [packed = true];
  optional string name = 8; optional string doc_string = 12; optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true]; repeated uint64 uint64_data = 11 [packed = true];
}
message TensorShapeProto {
  message Dimension {
    oneof value { int64 dim_value = 1; string dim_param = 2; }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
  optional string denotation = 6;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3;
  optional string op_type = 4; optional string domain = 7;
  repeated AttributeProto attribute = 5; optional string doc_string = 6;
}
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2;
  repeated TensorProto initializer = 5; optional string doc_string = 10;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
}
message ModelProto {
  optional int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2; optional string producer_version = 3; optional string domain = 4;
  optional int64 model_version = 5; optional string doc_string = 6; optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

const ModelProto = protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('onnx.ModelProto');

/** TensorProto.DataType values we use (official numbering). */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

/** AttributeProto.AttributeType values (say the type explicitly: JS numbers are ambiguous). */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxOpsetId {
  readonly domain?: string;
  readonly version: number;
}

export interface OnnxTensor {
  readonly name?: string;
  readonly dims: readonly number[];
  /** TensorProto.DataType (1 = float). */
  readonly data_type: number;
  /** Little-endian element bytes. */
  readonly raw_data?: Uint8Array;
  readonly float_data?: readonly number[];
  readonly int32_data?: readonly number[];
  readonly int64_data?: readonly number[];
  readonly double_data?: readonly number[];
  readonly doc_string?: string;
}

export interface OnnxAttribute {
  readonly name: string;
  /** AttributeProto.AttributeType (see OnnxAttributeType). */
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly t?: OnnxTensor;
  readonly g?: OnnxGraph;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
  readonly strings?: readonly Uint8Array[];
}

export interface OnnxNode {
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name?: string;
  readonly op_type: string;
  readonly domain?: string;
  readonly attribute?: readonly OnnxAttribute[];
  readonly doc_string?: string;
}

/** One dimension: a fixed size or a symbolic name (e.g. the batch 'N'); neither = unknown. */
export interface OnnxDimension {
  readonly dim_value?: number;
  readonly dim_param?: string;
}

export interface OnnxType {
  readonly tensor_type?: {
    /** TensorProto.DataType of the elements. */
    readonly elem_type: number;
    /** Absent when the rank is unknown. */
    readonly shape?: { readonly dim: readonly OnnxDimension[] };
  };
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly type?: OnnxType;
  readonly doc_string?: string;
}

export interface OnnxGraph {
  readonly name?: string;
  readonly node: readonly OnnxNode[];
  readonly initializer: readonly OnnxTensor[];
  readonly input: readonly OnnxValueInfo[];
  readonly output: readonly OnnxValueInfo[];
  readonly value_info: readonly OnnxValueInfo[];
  readonly doc_string?: string;
}

export interface OnnxModel {
  readonly ir_version: number;
  readonly opset_import: readonly OnnxOpsetId[];
  readonly producer_name?: string;
  readonly producer_version?: string;
  readonly domain?: string;
  readonly model_version?: number;
  readonly doc_string?: string;
  readonly graph: OnnxGraph;
  readonly metadata_props?: readonly { readonly key: string; readonly value: string }[];
}

/**
 * Decodes ONNX bytes. int64 fields become numbers; repeated fields are always arrays.
 * @throws CoinferError ERR_ONNX_DECODE when the bytes are not a protobuf ModelProto with a graph.
 */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  let obj: Record<string, unknown>;
  try {
    const msg = ModelProto.decode(bytes);
    obj = ModelProto.toObject(msg, { longs: Number, arrays: true });
  } catch (e) {
    throw new CoinferError('ERR_ONNX_DECODE', `Expected ONNX ModelProto bytes, actually undecodable data (${bytes.length} bytes: ${(e as Error).message}); is this an .onnx file?`, { cause: e });
  }
  const graph = obj['graph'] as OnnxGraph | undefined;
  if (graph === undefined || typeof obj['ir_version'] !== 'number') {
    throw new CoinferError('ERR_ONNX_DECODE', `Expected an ONNX ModelProto with ir_version and a graph, actually ${graph === undefined ? 'no graph' : 'no ir_version'} (${bytes.length} bytes); is this an .onnx file?`);
  }
  return obj as unknown as OnnxModel;
}

/**
 * Encodes a model to ONNX bytes.
 * @throws CoinferError ERR_ONNX_GRAPH when the object does not fit the ModelProto schema.
 */
export function encodeOnnx(model: OnnxModel): Uint8Array {
  const err = ModelProto.verify(model);
  if (err !== null) throw new CoinferError('ERR_ONNX_GRAPH', `Cannot encode the ONNX model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model as unknown as Record<string, unknown>)).finish();
}

/** A float32 initializer whose raw_data views the array's bytes (little-endian host, no copy). */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): OnnxTensor {
  return { name, dims, data_type: OnnxDataType.FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Attribute builders (the type must be explicit in ONNX). */
export const attr = {
  int: (name: string, i: number): OnnxAttribute => ({ name, type: OnnxAttributeType.INT, i }),
  float: (name: string, f: number): OnnxAttribute => ({ name, type: OnnxAttributeType.FLOAT, f }),
  ints: (name: string, ints: readonly number[]): OnnxAttribute => ({ name, type: OnnxAttributeType.INTS, ints }),
} as const;

/** A tensor ValueInfo; `shape` entries are sizes or symbolic names; omit `shape` for an unknown rank. */
export function tensorValueInfo(name: string, elemType: number, shape?: readonly (number | string)[]): OnnxValueInfo {
  const dim = shape?.map((d): OnnxDimension => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: dim === undefined ? { elem_type: elemType } : { elem_type: elemType, shape: { dim } } } };
}
