/**
 * Synchronous data-parallel training on worker threads (one core each): every step splits the
 * batch into contiguous shards, each worker computes its shard's gradients, this thread averages
 * them (weighted by shard size, so the result is the full batch's mean gradient) and sends the
 * average back, and every worker applies it with its own Adam. The replicas start identical
 * and receive identical updates, so they stay identical; snapshots come from worker 0.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as TfNs from '@tensorflow/tfjs';
import { CoinferError } from '../common/errors.ts';
import type { BackendPreference } from '../common/tf-backend.ts';
import type { Batch } from './batches.ts';
import type { StepStats } from './train-step.ts';
import { buildNetFor, type RunnerInit, type RunnerSnapshot, type StepRunner } from './step-runner.ts';
import type { TfBranchyNet } from './tf-alexnet.ts';

type Tf = typeof TfNs;

export type WorkerRequest =
  | { type: 'grad'; batch: Batch; dropoutSeed: number }
  | { type: 'apply'; grads: Float32Array[] }
  | { type: 'lr'; lr: number }
  | { type: 'snapshot' }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'grad'; grads: Float32Array[]; stats: StepStats }
  | { type: 'ok' }
  | { type: 'snapshot'; snapshot: RunnerSnapshot }
  | { type: 'error'; message: string };

// Worker threads do not inherit the tsx loader: the bootstrap registers it, then loads the worker.
const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.tsxApi)
  .then((m) => { m.register(); return import(workerData.entry); })
  .catch((e) => parentPort.postMessage({ type: 'error', message: String((e && e.stack) || e) }));
`;

/** The ESM build of tsx's loader API (require.resolve would give the CommonJS one). */
function tsxEsmApiUrl(): string {
  const req = createRequire(import.meta.url);
  const pkgJson = req.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(pkgJson), pkg.exports['./esm/api']!.import.default)).href;
}

/** One worker and the FIFO of replies it owes (it answers in request order). */
class WorkerHandle {
  readonly #worker: Worker;
  readonly #pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  readonly #ready: Promise<WorkerReply>;
  #failure: Error | null = null;

  constructor(init: RunnerInit, backend: BackendPreference) {
    const tsxApi = tsxEsmApiUrl();
    const entry = new URL('./grad-worker.ts', import.meta.url).href;
    this.#worker = new Worker(BOOTSTRAP, { eval: true, workerData: { tsxApi, entry, init, backend } });
    this.#ready = this.#owed();
    this.#worker.on('message', (m: WorkerReply) => {
      if (m.type === 'error') this.#fail(new CoinferError('ERR_BACKEND', `training worker failed: ${m.message}`));
      else this.#pending.shift()?.resolve(m);
    });
    this.#worker.on('error', (e) => this.#fail(e));
    this.#worker.on('exit', (code) => {
      if (this.#pending.length > 0) this.#fail(new CoinferError('ERR_BACKEND', `training worker exited (code ${code}) with ${this.#pending.length} replies owed`));
    });
  }

  /** A reply the worker now owes, in FIFO order. */
  #owed(): Promise<WorkerReply> {
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    for (const p of this.#pending.splice(0)) p.reject(e);
  }

  /** Sends a request; resolves with its reply (at once for 'apply', which has none). */
  request(m: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const reply = m.type === 'apply' ? Promise.resolve<WorkerReply>({ type: 'ok' }) : this.#owed();
    this.#worker.postMessage(m, transfer);
    return reply;
  }

  /** The reply to the constructor's start-up. */
  ready(): Promise<WorkerReply> {
    return this.#ready;
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}

function sliceBatch(b: Batch, from: number, to: number): Batch {
  const per = b.x.length / b.size;
  return { x: b.x.slice(from * per, to * per), labels: b.labels.slice(from, to), size: to - from };
}

/** Runs each step across `workers` threads. */
export class ParallelStepRunner implements StepRunner {
  readonly #workers: WorkerHandle[];
  readonly #init: RunnerInit;

  private constructor(workers: WorkerHandle[], init: RunnerInit) {
    this.#workers = workers;
    this.#init = init;
  }

  /** Starts `workers` replicas (≥ 2) and waits until each has built its network. */
  static async create(init: RunnerInit, opts: { workers: number; backend: BackendPreference }): Promise<ParallelStepRunner> {
    if (!Number.isInteger(opts.workers) || opts.workers < 2 || opts.workers > 64) {
      throw new CoinferError('ERR_INVALID_CONFIG', `Expected data-parallel workers an integer in [2, 64], actually ${opts.workers}`);
    }
    const handles = Array.from({ length: opts.workers }, () => new WorkerHandle(init, opts.backend));
    try {
      await Promise.all(handles.map((h) => h.ready()));
    } catch (e) {
      await Promise.all(handles.map((h) => h.terminate()));
      throw e;
    }
    return new ParallelStepRunner(handles, init);
  }

  async step(batch: Batch, dropoutSeed: number): Promise<StepStats> {
    const k = Math.min(this.#workers.length, batch.size);
    const bounds = Array.from({ length: k + 1 }, (_, i) => Math.round((i * batch.size) / k));
    const replies = await Promise.all(
      this.#workers.slice(0, k).map((w, i) => w.request({ type: 'grad', batch: sliceBatch(batch, bounds[i]!, bounds[i + 1]!), dropoutSeed: dropoutSeed + i })),
    );
    const shards = replies.map((r, i) => {
      if (r.type !== 'grad') throw new CoinferError('ERR_BACKEND', `training worker ${i} answered '${r.type}' to a gradient request`);
      return { ...r, share: (bounds[i + 1]! - bounds[i]!) / batch.size };
    });
    // Each shard's loss is its own mean: weighting by shard size gives the full batch's mean gradient.
    const avg = shards[0]!.grads.map((g) => new Float32Array(g.length));
    for (const s of shards) s.grads.forEach((g, v) => { const a = avg[v]!; for (let j = 0; j < g.length; j++) a[j] = a[j]! + s.share * g[j]!; });
    await Promise.all(this.#workers.map((w) => w.request({ type: 'apply', grads: avg })));
    const e = shards[0]!.stats.exitLoss.length;
    return {
      loss: shards.reduce((a, s) => a + s.share * s.stats.loss, 0),
      exitLoss: Array.from({ length: e }, (_, j) => shards.reduce((a, s) => a + s.share * s.stats.exitLoss[j]!, 0)),
      exitCorrect: Array.from({ length: e }, (_, j) => shards.reduce((a, s) => a + s.stats.exitCorrect[j]!, 0)),
    };
  }

  async setLearningRate(lr: number): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.request({ type: 'lr', lr })));
  }

  async snapshot(): Promise<RunnerSnapshot> {
    const r = await this.#workers[0]!.request({ type: 'snapshot' });
    if (r.type !== 'snapshot') throw new CoinferError('ERR_BACKEND', `training worker answered '${r.type}' to a snapshot request`);
    return r.snapshot;
  }

  async finish(tf: Tf): Promise<TfBranchyNet> {
    const snap = await this.snapshot();
    await Promise.all(this.#workers.map((w) => w.request({ type: 'close' }).catch(() => undefined)));
    await Promise.all(this.#workers.map((w) => w.terminate()));
    return buildNetFor(tf, { spec: this.#init.spec, seed: this.#init.seed, restore: snap });
  }
}
