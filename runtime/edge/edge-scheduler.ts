/**
 * The edge's deadline-aware queue, apart from sockets: admission control, expiry, cancels, and
 * dynamic micro-batching onto the ORT workers.
 *
 * - Admission: a request whose predicted finish (now + predicted wait + its own service time,
 *   from measured service times) is past its give-up time is refused at once with
 *   ERR_EDGE_BUSY, so the device falls back early rather than late. Without a deadline the
 *   predicted wait is bounded by `maxQueueWaitMs`.
 * - Never start useless work: before a batch starts, requests that were cancelled, whose
 *   connection closed, or that cannot finish before their give-up time are dropped (the last
 *   answered ERR_DEADLINE_EXCEEDED).
 * - Micro-batching: when a worker is idle, the oldest live request starts a batch with the
 *   queued requests of the same (exit, partition), up to `maxBatchSamples` and only as many as
 *   let the whole batch finish before each member's give-up time; a batch that is not
 *   full may wait up to `batchWaitMs` (from its oldest request's arrival) for more, if that
 *   request's deadline leaves room.
 */
import { CoinferError } from '../../common/errors.ts';
import type { EdgeCompute, EdgeResult, EdgeTask } from './edge-compute.ts';
import type { EdgeServerConfig } from './edge-server-config.ts';
import { predictedWaitMs, ServiceTimes } from './service-times.ts';

/** One queued request; `owner` is opaque to the scheduler (the server's connection). */
export interface EdgeJob<O> {
  readonly owner: O;
  readonly task: EdgeTask;
  readonly receivedMs: number;
  /** performance.now() after which the device no longer reads the reply (Infinity = no deadline). */
  readonly giveUpAtMs: number;
  /** Set by cancel() or when the owner leaves; a cancelled job is skipped, never answered. */
  cancelled: boolean;
}

/** What the scheduler tells its owner about a job; exactly one per admitted, uncancelled job. */
export type JobOutcome = { readonly ok: true; readonly result: EdgeResult; readonly queueMs: number } | { readonly ok: false; readonly error: CoinferError; readonly queueMs: number };

/** Counters since start. */
export interface EdgeSchedulerStats {
  /** Requests refused by admission control (ERR_EDGE_BUSY). */
  readonly busy: number;
  /** Queued requests dropped unstarted because they could no longer finish in time. */
  readonly expired: number;
  /** Requests dropped unstarted because the device cancelled them or left. */
  readonly cancelledQueued: number;
  /** Batches run, and the samples in them. */
  readonly batches: number;
  readonly samplesComputed: number;
  /** Computed answers nobody could use: finished after the give-up time, or cancelled while running. */
  readonly samplesWasted: number;
  /** Requests queued now, and their samples. */
  readonly queuedRequests: number;
  readonly queuedSamples: number;
}

export class EdgeScheduler<O> {
  readonly #compute: EdgeCompute;
  readonly #config: EdgeServerConfig;
  readonly #onOutcome: (job: EdgeJob<O>, outcome: JobOutcome) => void;
  readonly #times = new ServiceTimes();
  #queue: EdgeJob<O>[] = [];
  #runningWorkMs = 0;
  #running = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #counts = { busy: 0, expired: 0, cancelledQueued: 0, batches: 0, samplesComputed: 0, samplesWasted: 0 };

  constructor(o: { compute: EdgeCompute; config: EdgeServerConfig; seedMs: ReadonlyMap<string, number>; onOutcome: (job: EdgeJob<O>, outcome: JobOutcome) => void }) {
    this.#compute = o.compute;
    this.#config = o.config;
    this.#onOutcome = o.onOutcome;
    for (const [key, ms] of o.seedMs) this.#times.seed(key, ms);
  }

  get stats(): EdgeSchedulerStats {
    return { ...this.#counts, queuedRequests: this.#queue.length, queuedSamples: this.#queue.reduce((a, j) => a + j.task.batch, 0) };
  }

  /** Predicted wait for a request arriving now, ms. */
  predictedWaitMs(): number {
    const maxBatch = this.#config.maxBatchSamples;
    let work = 0;
    // Under load queued requests share batches, so each carries its share of a full batch's fixed cost.
    for (const j of this.#queue) work += j.task.batch * (this.#times.perSampleMs(j.task.key) + this.#times.fixedMs(j.task.key) / maxBatch);
    return predictedWaitMs({ queuedWorkMs: work, runningWorkMs: this.#runningWorkMs, workers: this.#compute.workers });
  }

  /**
   * Admits and queues a job, or refuses it at once.
   * @returns null when admitted; else the ERR_EDGE_BUSY error to answer with
   */
  submit(job: EdgeJob<O>): CoinferError | null {
    const now = performance.now();
    const waitMs = this.predictedWaitMs();
    const ownMs = this.#times.batchMs(job.task.key, job.task.batch);
    const finishMs = now + waitMs + ownMs;
    const limit = Number.isFinite(job.giveUpAtMs) ? job.giveUpAtMs : now + this.#config.maxQueueWaitMs + ownMs;
    if (this.#closed || finishMs > limit) {
      this.#counts.busy++;
      const budgetMs = limit - now;
      return new CoinferError('ERR_EDGE_BUSY', `Expected to finish within ${budgetMs.toFixed(1)} ms, but the edge predicts ${waitMs.toFixed(1)} ms of queue + ${ownMs.toFixed(1)} ms of compute; answer locally or retry later`);
    }
    this.#queue.push(job);
    this.#pump();
    return null;
  }

  /** Marks a job cancelled; a queued job is dropped without a reply, a running one's answer is discarded. */
  cancel(job: EdgeJob<O>): void {
    job.cancelled = true;
  }

  #dropUseless(now: number): void {
    const keep: EdgeJob<O>[] = [];
    for (const j of this.#queue) {
      if (j.cancelled) {
        this.#counts.cancelledQueued++;
      } else if (now + this.#times.batchMs(j.task.key, j.task.batch) > j.giveUpAtMs) {
        this.#counts.expired++;
        const left = j.giveUpAtMs - now;
        this.#onOutcome(j, { ok: false, queueMs: now - j.receivedMs, error: new CoinferError('ERR_DEADLINE_EXCEEDED', `The request cannot finish before its deadline (${left.toFixed(1)} ms left, about ${this.#times.batchMs(j.task.key, j.task.batch).toFixed(1)} ms of compute); not computed`) });
      } else {
        keep.push(j);
      }
    }
    this.#queue = keep;
  }

  /** Starts batches on idle workers; called on every arrival, completion and batch-wait timer. */
  #pump(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#running.size < this.#compute.workers) {
      const now = performance.now();
      this.#dropUseless(now);
      const head = this.#queue[0];
      if (head === undefined) return;
      const { maxBatchSamples, batchWaitMs } = this.#config;
      const batch: EdgeJob<O>[] = [];
      let samples = 0;
      // A bigger batch takes longer: add a request only if the whole batch still finishes
      // before every member's give-up time (the head always runs: the sweep found it fits alone).
      let finishBy = Infinity;
      for (const j of this.#queue) {
        if (j.task.key !== head.task.key || samples + j.task.batch > Math.max(maxBatchSamples, head.task.batch)) continue;
        const by = Math.min(finishBy, j.giveUpAtMs);
        if (batch.length > 0 && now + this.#times.batchMs(head.task.key, samples + j.task.batch) > by) continue;
        batch.push(j);
        samples += j.task.batch;
        finishBy = by;
      }
      const waitUntil = Math.min(head.receivedMs + batchWaitMs, head.giveUpAtMs - this.#times.batchMs(head.task.key, maxBatchSamples));
      if (samples < maxBatchSamples && now < waitUntil) {
        this.#timer = setTimeout(() => this.#pump(), waitUntil - now);
        return;
      }
      const chosen = new Set(batch);
      this.#queue = this.#queue.filter((j) => !chosen.has(j));
      this.#start(batch, samples);
    }
  }

  #start(batch: EdgeJob<O>[], samples: number): void {
    const key = batch[0]!.task.key;
    const predicted = this.#times.batchMs(key, samples);
    const startMs = performance.now();
    this.#runningWorkMs += predicted;
    this.#counts.batches++;
    this.#counts.samplesComputed += samples;
    const run = this.#compute.runBatch(batch.map((j) => j.task)).then(
      (results) => {
        const now = performance.now();
        this.#times.observe(key, samples, now - startMs);
        batch.forEach((j, i) => {
          if (j.cancelled || now > j.giveUpAtMs) {
            this.#counts.samplesWasted += j.task.batch;
            if (j.cancelled) return;
          }
          this.#onOutcome(j, { ok: true, result: results[i]!, queueMs: startMs - j.receivedMs });
        });
      },
      (e: unknown) => {
        const error = e instanceof CoinferError ? e : new CoinferError('ERR_EDGE_INTERNAL', `Edge inference failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        for (const j of batch) if (!j.cancelled) this.#onOutcome(j, { ok: false, error, queueMs: startMs - j.receivedMs });
      },
    );
    const done: Promise<void> = run.finally(() => {
      this.#runningWorkMs -= predicted;
      this.#running.delete(done);
      if (!this.#closed) this.#pump();
    });
    this.#running.add(done);
  }

  /** Refuses new work, drops the queue (unanswered: the connections are closing), waits for running batches. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#queue = [];
    await Promise.allSettled([...this.#running]);
  }
}
