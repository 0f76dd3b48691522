/**
 * onnxruntime-node sessions for (from, to) sub-models of one ONNX model: each sub-model is
 * extracted lazily from the graph and its session created once, then reused (docs/architecture.md §2).
 * Session creation is ~2 ms and the first in a process ~20–50 ms (measured, docs/latency.md), so callers
 * on a latency path `warm()` the sub-models they will need.
 *
 * @example
 * const cache = new SessionCache(pkg.onnx);
 * const probs = await cache.run({ from: 'input', to: 'exit5', input: x, batch: 1, inputShape: [1, 28, 28] });
 * await cache.close();
 */
import * as ort from 'onnxruntime-node';
import { CoinferError } from '../../common/errors.ts';
import { extractFromModel } from '../onnx/extract-model.ts';
import { decodeOnnx, encodeOnnx, type OnnxModel } from '../onnx/onnx-proto.ts';

export interface SessionCacheOptions {
  /**
   * ORT intra-op threads per session, integer ≥ 1 (default 1: with the device and the edge
   * sharing two cores, more threads spin and blow up p99 latency: measured here with ORT 1.30).
   */
  readonly intraOpNumThreads?: number;
}

export const DEFAULT_SESSION_CACHE_OPTIONS: Required<SessionCacheOptions> = { intraOpNumThreads: 1 };

/** Merges with the defaults and validates. @throws RangeError naming the bad field. */
export function resolveSessionCacheOptions(partial: SessionCacheOptions = {}): Required<SessionCacheOptions> {
  const o = { ...DEFAULT_SESSION_CACHE_OPTIONS, ...partial };
  if (!Number.isInteger(o.intraOpNumThreads) || o.intraOpNumThreads < 1 || o.intraOpNumThreads > 64) {
    throw new RangeError(`Expected intraOpNumThreads an integer in [1, 64], actually ${o.intraOpNumThreads}`);
  }
  return o;
}

export interface RunOptions {
  /** Tensor fed in (the sub-model's only input). */
  readonly from: string;
  /** Tensor fetched (the sub-model's only output). */
  readonly to: string;
  /** batch · product(inputShape) floats, NCHW. */
  readonly input: Float32Array;
  /** Samples in the batch, integer ≥ 1. */
  readonly batch: number;
  /** Per-sample shape of `from` (without the batch dimension). */
  readonly inputShape: readonly number[];
}

export class SessionCache {
  readonly #onnx: Uint8Array;
  readonly #options: ort.InferenceSession.SessionOptions;
  readonly #sessions = new Map<string, Promise<ort.InferenceSession>>();
  #model: OnnxModel | null = null;
  #closed = false;

  /**
   * @param onnx the whole model's bytes (decoded once, on the first session).
   * @throws RangeError on invalid options.
   */
  constructor(onnx: Uint8Array, options?: SessionCacheOptions) {
    const o = resolveSessionCacheOptions(options);
    this.#onnx = onnx;
    this.#options = {
      intraOpNumThreads: o.intraOpNumThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
  }

  /** Sessions created or being created. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  #session(from: string, to: string): Promise<ort.InferenceSession> {
    if (this.#closed) return Promise.reject(new CoinferError('ERR_INVALID_ARGUMENT', 'This SessionCache is closed; create a new one'));
    const key = `${from}\u0000${to}`;
    let s = this.#sessions.get(key);
    if (s === undefined) {
      s = (async () => {
        this.#model ??= decodeOnnx(this.#onnx);
        const bytes = encodeOnnx(extractFromModel(this.#model, { inputs: [from], outputs: [to] }));
        return ort.InferenceSession.create(bytes, this.#options);
      })();
      this.#sessions.set(key, s);
      // A failed creation must not poison the cache: the next call retries (and rejects again).
      s.catch(() => { if (this.#sessions.get(key) === s) this.#sessions.delete(key); });
    }
    return s;
  }

  /**
   * Creates the (from, to) session ahead of time.
   * @throws (rejects) CoinferError ERR_SPLIT_UNKNOWN_TENSOR / ERR_SPLIT_MULTI_TENSOR_CUT.
   */
  async warm(from: string, to: string): Promise<void> {
    await this.#session(from, to);
  }

  /**
   * Runs the (from, to) sub-model on a batch.
   * @returns the `to` tensor's floats, batch-major (a new array owned by the caller).
   * @throws (rejects) RangeError when input's length ≠ batch · product(inputShape); the
   *   extraction errors of warm(); ORT errors for a wrong shape.
   */
  async run(opts: RunOptions): Promise<Float32Array> {
    const { from, to, input, batch, inputShape } = opts;
    const per = inputShape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`Expected batch an integer ≥ 1, actually ${batch}`);
    if (input.length !== batch * per) {
      throw new RangeError(`Expected input of ${batch}×[${inputShape.join(',')}] = ${batch * per} floats for '${from}', actually ${input.length}`);
    }
    const session = await this.#session(from, to);
    const result = await session.run({ [from]: new ort.Tensor('float32', input, [batch, ...inputShape]) }, [to]);
    const out = result[to];
    if (out === undefined || out.type !== 'float32') {
      throw new CoinferError('ERR_ONNX_GRAPH', `Sub-model ${from}→${to} returned no float32 '${to}' (got ${out?.type ?? 'nothing'})`);
    }
    return out.data as Float32Array;
  }

  /** Releases every session (waiting for ones being created); idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = [...this.#sessions.values()];
    this.#sessions.clear();
    const settled = await Promise.allSettled(pending);
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
    this.#model = null;
  }
}
