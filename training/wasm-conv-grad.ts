/**
 * Convolution gradient kernels for tfjs-backend-wasm 4.22, which ships no
 * `Conv2DBackpropFilter` (so no conv net can train on wasm) and a naive loop
 * `Conv2DBackpropInput` (~10× slower than a forward conv). Both are rebuilt here from wasm's
 * own XNNPACK-backed PadV2, Transpose, Reverse and Conv2D kernels (docs/model.md):
 *
 *   dW[kh,kw,ci,co] = conv(transpose(pad(x), [3,1,2,0]) : [Ci,Hp,Wp,N],
 *                          transpose(dy, [1,2,0,3])     : [Ho,Wo,N,Co], 'valid') → [1,2,0,3]
 *   dx             = conv(pad(dy, k-1-p), transpose(reverse(W,[0,1]), [0,1,3,2]), 'valid')
 *
 * Only NHWC with stride 1 is handled; dx falls back to the original kernel otherwise, dW
 * throws ERR_BACKEND (there is no original to fall back to).
 */
import type * as TfNs from '@tensorflow/tfjs';
import { CoinferError } from '../common/errors.ts';

type Tf = typeof TfNs;
type TensorInfo = TfNs.TensorInfo;
type Backend = TfNs.KernelBackend;
type Pads = { top: number; bottom: number; left: number; right: number };

/** Marks our kernel functions so registration is idempotent. */
const PATCHED = Symbol.for('coinfer.wasmConvGrad');

interface Ops {
  pad(x: TensorInfo, paddings: number[][]): TensorInfo;
  transpose(x: TensorInfo, perm: number[]): TensorInfo;
  reverse(x: TensorInfo, dims: number[]): TensorInfo;
  convValid(x: TensorInfo, filter: TensorInfo): TensorInfo;
  dispose(...ts: TensorInfo[]): void;
}

function wasmOps(tf: Tf, backend: Backend): Ops {
  const kernel = (name: string): TfNs.KernelFunc => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new CoinferError('ERR_BACKEND', `tfjs-backend-wasm has no ${name} kernel; expected @tensorflow/tfjs-backend-wasm 4.22`);
    return k.kernelFunc;
  };
  const [padK, trK, revK, convK] = ['PadV2', 'Transpose', 'Reverse', 'Conv2D'].map(kernel) as [TfNs.KernelFunc, TfNs.KernelFunc, TfNs.KernelFunc, TfNs.KernelFunc];
  const one = (r: TensorInfo | TensorInfo[]): TensorInfo => (Array.isArray(r) ? r[0]! : r);
  return {
    pad: (x, paddings) => one(padK({ inputs: { x }, backend, attrs: { paddings, constantValue: 0 } as unknown as TfNs.NamedAttrMap })),
    transpose: (x, perm) => one(trK({ inputs: { x }, backend, attrs: { perm } })),
    reverse: (x, dims) => one(revK({ inputs: { x }, backend, attrs: { dims } })),
    convValid: (x, filter) =>
      one(convK({ inputs: { x, filter }, backend, attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as TfNs.NamedAttrMap })),
    // Kernels that return an input unchanged (a no-op transpose) bump its refCount, so
    // disposing their result is always safe.
    dispose: (...ts) => ts.forEach((t) => backend.disposeData(t.dataId)),
  };
}

function isStrideOne(strides: number | readonly number[]): boolean {
  return typeof strides === 'number' ? strides === 1 : strides.every((s) => s === 1);
}

function padsOf(tf: Tf, opts: { xShape: number[]; filterShape: number[]; pad: unknown; dimRoundingMode: unknown }): Pads {
  const info = tf.backend_util.computeConv2DInfo(
    opts.xShape as [number, number, number, number],
    opts.filterShape as [number, number, number, number],
    1,
    1,
    opts.pad as 'same',
    opts.dimRoundingMode as 'floor' | undefined,
    false,
    'channelsLast',
  );
  return info.padInfo;
}

/** dW for NHWC, stride 1. */
export function conv2dBackpropFilterNhwc(tf: Tf, args: { x: TensorInfo; dy: TensorInfo; backend: Backend; filterShape: number[]; pad: unknown; dimRoundingMode?: unknown }): TensorInfo {
  const ops = wasmOps(tf, args.backend);
  const p = padsOf(tf, { xShape: args.x.shape, filterShape: args.filterShape, pad: args.pad, dimRoundingMode: args.dimRoundingMode });
  const xp = ops.pad(args.x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]);
  const xt = ops.transpose(xp, [3, 1, 2, 0]);
  const dyt = ops.transpose(args.dy, [1, 2, 0, 3]);
  const r = ops.convValid(xt, dyt);
  const out = ops.transpose(r, [1, 2, 0, 3]);
  ops.dispose(xp, xt, dyt, r);
  const [kh, kw] = args.filterShape;
  if (out.shape[0] !== kh || out.shape[1] !== kw) {
    ops.dispose(out);
    throw new CoinferError('ERR_BACKEND', `Conv2DBackpropFilter: expected a [${args.filterShape.join(',')}] gradient, actually [${out.shape.join(',')}]`);
  }
  return out;
}

/** dx for NHWC, stride 1. */
export function conv2dBackpropInputNhwc(tf: Tf, args: { dy: TensorInfo; filter: TensorInfo; backend: Backend; inputShape: number[]; pad: unknown; dimRoundingMode?: unknown }): TensorInfo {
  const ops = wasmOps(tf, args.backend);
  const [kh, kw] = args.filter.shape as [number, number, number, number];
  const p = padsOf(tf, { xShape: args.inputShape, filterShape: args.filter.shape, pad: args.pad, dimRoundingMode: args.dimRoundingMode });
  const dyp = ops.pad(args.dy, [[0, 0], [kh - 1 - p.top, kh - 1 - p.bottom], [kw - 1 - p.left, kw - 1 - p.right], [0, 0]]);
  const wr = ops.reverse(args.filter, [0, 1]);
  const wt = ops.transpose(wr, [0, 1, 3, 2]);
  const out = ops.convValid(dyp, wt);
  ops.dispose(dyp, wr, wt);
  return out;
}

function isPatched(tf: Tf, name: string): boolean {
  const k = tf.getKernel(name, 'wasm');
  return k !== undefined && (k.kernelFunc as unknown as Record<symbol, boolean>)[PATCHED] === true;
}

/**
 * Registers the two gradient kernels for the 'wasm' backend (idempotent). Call after
 * importing `@tensorflow/tfjs-backend-wasm` and before the first gradient.
 * @returns true when the kernels are (now) in place.
 */
export function registerWasmConvGradKernels(tf: Tf): boolean {
  if (isPatched(tf, 'Conv2DBackpropFilter') && isPatched(tf, 'Conv2DBackpropInput')) return true;
  if (!tf.getKernel('Conv2D', 'wasm')) return false; // wasm backend not imported

  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  const filterFunc: TfNs.KernelFunc = ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as TfNs.Conv2DBackpropFilterAttrs;
    if (a.dataFormat !== 'NHWC' || !isStrideOne(a.strides)) {
      throw new CoinferError('ERR_BACKEND', `wasm Conv2DBackpropFilter supports NHWC with stride 1 only, got dataFormat=${a.dataFormat} strides=${String(a.strides)}; use --backend cpu or tensorflow for this model`);
    }
    return conv2dBackpropFilterNhwc(tf, { x: inputs.x!, dy: inputs.dy!, backend: backend as Backend, filterShape: [...a.filterShape], pad: a.pad, dimRoundingMode: a.dimRoundingMode });
  };
  (filterFunc as unknown as Record<symbol, boolean>)[PATCHED] = true;
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: filterFunc });

  const original = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (original) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  const inputFunc: TfNs.KernelFunc = (args) => {
    const a = args.attrs as unknown as TfNs.Conv2DBackpropInputAttrs;
    if (a.dataFormat !== 'NHWC' || !isStrideOne(a.strides)) {
      if (original) return original.kernelFunc(args);
      throw new CoinferError('ERR_BACKEND', `wasm Conv2DBackpropInput supports NHWC with stride 1 only, got dataFormat=${a.dataFormat} strides=${String(a.strides)}`);
    }
    return conv2dBackpropInputNhwc(tf, { dy: args.inputs.dy!, filter: args.inputs.filter!, backend: args.backend as Backend, inputShape: [...a.inputShape], pad: a.pad, dimRoundingMode: a.dimRoundingMode });
  };
  (inputFunc as unknown as Record<symbol, boolean>)[PATCHED] = true;
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: inputFunc });
  return true;
}
