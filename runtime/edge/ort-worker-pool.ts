/**
 * ORT sessions in worker threads, one set of sub-model sessions per worker. onnxruntime-node
 * 1.30's `session.run` holds the calling thread for the whole inference (measured: a 185 ms
 * batch let a 1 ms interval fire once), so on the main thread one slow request would stall
 * every connection; in workers the event loop stays free, and two workers use both cores.
 *
 * The sub-models are extracted once on the main thread and their bytes sent to every worker.
 * Each worker runs one batch at a time: callers keep at most `size` runs in flight (the edge
 * scheduler starts a batch only on an idle worker).
 *
 * @example
 * const pool = await OrtWorkerPool.create({ onnx: pkg.onnx, workers: 2, intraOpNumThreads: 1 });
 * await pool.load('input', 'exit5');
 * const probs = await pool.run({ from: 'input', to: 'exit5', input: x, batch: 4, inputShape: [1, 28, 28] });
 * await pool.close();
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CoinferError } from '../../common/errors.ts';
import { extractFromModel } from '../onnx/extract-model.ts';
import { decodeOnnx, encodeOnnx, type OnnxModel } from '../onnx/onnx-proto.ts';
import type { RunOptions } from '../model/session-cache.ts';

// Plain CommonJS run with eval (workers get no TypeScript loader); ORT is required by its
// resolved path since an eval worker resolves modules from the working directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const sessions = new Map();
parentPort.on('message', async (m) => {
  try {
    if (m.type === 'load') {
      if (!sessions.has(m.key)) sessions.set(m.key, await ort.InferenceSession.create(m.bytes, workerData.options));
      parentPort.postMessage({ id: m.id, ok: true });
    } else if (m.type === 'run') {
      const s = sessions.get(m.key);
      if (s === undefined) throw new Error('no session ' + m.key);
      const r = await s.run({ [m.from]: new ort.Tensor('float32', m.input, m.dims) }, [m.to]);
      const out = new Float32Array(r[m.to].data);
      parentPort.postMessage({ id: m.id, ok: true, output: out }, [out.buffer]);
    } else if (m.type === 'close') {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      parentPort.postMessage({ id: m.id, ok: true });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, message: String((e && e.message) || e) });
  }
});
`;

interface Pending {
  resolve(v: Float32Array | undefined): void;
  reject(e: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  busy: number;
  dead: string | null;
}

export class OrtWorkerPool {
  readonly #slots: Slot[];
  readonly #pending = new Map<number, Pending>();
  readonly #onnx: Uint8Array;
  readonly #loaded = new Map<string, Promise<void>>();
  #model: OnnxModel | null = null;
  #nextId = 1;
  #closed = false;

  private constructor(onnx: Uint8Array, slots: Slot[]) {
    this.#onnx = onnx;
    this.#slots = slots;
    for (const slot of slots) {
      slot.worker.on('message', (m: { id: number; ok: boolean; output?: Float32Array; message?: string }) => {
        const p = this.#pending.get(m.id);
        if (p === undefined) return;
        this.#pending.delete(m.id);
        if (m.ok) p.resolve(m.output);
        else p.reject(new CoinferError('ERR_EDGE_INTERNAL', `ORT worker: ${m.message ?? 'unknown error'}`));
      });
      const die = (why: string): void => {
        slot.dead ??= why;
        // A dead worker fails everything still waiting on it; the scheduler reports ERR_EDGE_INTERNAL.
        for (const [id, p] of this.#pending) {
          this.#pending.delete(id);
          p.reject(new CoinferError('ERR_EDGE_INTERNAL', `ORT worker stopped: ${why}`));
        }
      };
      slot.worker.on('error', (e) => die(e.message));
      slot.worker.on('exit', (code) => die(`exit code ${code}`));
    }
  }

  /**
   * Starts the workers.
   * @param opts.workers worker threads, integer ≥ 1 (one per core the edge may use)
   * @param opts.intraOpNumThreads ORT threads per session, integer ≥ 1
   */
  static async create(opts: { onnx: Uint8Array; workers: number; intraOpNumThreads: number }): Promise<OrtWorkerPool> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const options = { intraOpNumThreads: opts.intraOpNumThreads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
    const slots = Array.from({ length: opts.workers }, (): Slot => ({ worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, options } }), busy: 0, dead: null }));
    await Promise.all(slots.map((s) => new Promise<void>((resolve, reject) => {
      s.worker.once('online', () => resolve());
      s.worker.once('error', reject);
    })));
    return new OrtWorkerPool(opts.onnx, slots);
  }

  /** Worker threads. */
  get size(): number {
    return this.#slots.length;
  }

  /** Workers with no run in progress. */
  get idle(): number {
    return this.#slots.filter((s) => s.busy === 0 && s.dead === null).length;
  }

  #call(slot: Slot, msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Float32Array | undefined> {
    if (slot.dead !== null) return Promise.reject(new CoinferError('ERR_EDGE_INTERNAL', `ORT worker stopped: ${slot.dead}`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /**
   * Creates the (from, to) session in every worker (once).
   * @throws (rejects) CoinferError ERR_SPLIT_* when the cut is not a sub-model; ERR_EDGE_INTERNAL from ORT
   */
  load(from: string, to: string): Promise<void> {
    if (this.#closed) return Promise.reject(new CoinferError('ERR_INVALID_ARGUMENT', 'This OrtWorkerPool is closed; create a new one'));
    const key = `${from}\u0000${to}`;
    let p = this.#loaded.get(key);
    if (p === undefined) {
      this.#model ??= decodeOnnx(this.#onnx);
      const bytes = encodeOnnx(extractFromModel(this.#model, { inputs: [from], outputs: [to] }));
      p = Promise.all(this.#slots.map((s) => this.#call(s, { type: 'load', key, bytes }))).then(() => undefined);
      this.#loaded.set(key, p);
      p.catch(() => this.#loaded.delete(key));
    }
    return p;
  }

  /**
   * Runs a batch on the least busy worker (loading the session first if needed).
   * @returns the `to` tensor's floats, batch-major (owned by the caller)
   */
  async run(opts: RunOptions): Promise<Float32Array> {
    const { from, to, input, batch, inputShape } = opts;
    await this.load(from, to);
    const slot = this.#slots.filter((s) => s.dead === null).sort((a, b) => a.busy - b.busy)[0];
    if (slot === undefined) throw new CoinferError('ERR_EDGE_INTERNAL', 'Every ORT worker has stopped; restart the edge');
    slot.busy++;
    try {
      // A copy is transferred so the caller's buffer (often a view into a larger one) stays usable.
      const copy = new Float32Array(input);
      const out = await this.#call(slot, { type: 'run', key: `${from}\u0000${to}`, from, to, input: copy, dims: [batch, ...inputShape] }, [copy.buffer]);
      return out!;
    } finally {
      slot.busy--;
    }
  }

  /** Releases the sessions and stops the workers; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#loaded.values()]);
    await Promise.allSettled(this.#slots.map((s) => this.#call(s, { type: 'close' })));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#model = null;
  }
}
