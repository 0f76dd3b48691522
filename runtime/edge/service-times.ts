/**
 * Measured edge service times, per (exit, partition) key, as ms per batch = fixed + perSample·n,
 * kept as two moving averages: the per-sample cost from every batch and the fixed cost from
 * batches of one. Admission control predicts a request's wait from these and the queued work,
 * so the bound moves with the real speed of this machine (and its other load), not a constant.
 */

/** Weight of the newest batch in the moving averages. */
const EWMA_ALPHA = 0.1;

interface KeyTimes {
  /** ms per sample beyond the fixed cost. */
  perSampleMs: number;
  /** ms any batch costs (decoding, messaging, the session's own overhead). */
  fixedMs: number;
}

export class ServiceTimes {
  readonly #byKey = new Map<string, KeyTimes>();
  /** Used for keys never measured: the slowest known per-sample cost (pessimistic, so admission errs towards "busy"). */
  #worstPerSampleMs = 1;

  /** Seeds (or resets) a key from one run at batch 1, ms. */
  seed(key: string, batch1Ms: number): void {
    this.#byKey.set(key, { perSampleMs: batch1Ms * 0.8, fixedMs: batch1Ms * 0.2 });
    this.#worstPerSampleMs = Math.max(this.#worstPerSampleMs, batch1Ms);
  }

  /** Records one batch of `samples` that took `ms` (real, or stretched when emulated). */
  observe(key: string, samples: number, ms: number): void {
    const t = this.#byKey.get(key);
    if (t === undefined) {
      this.seed(key, ms / samples);
      return;
    }
    const perSample = Math.max(0, (ms - t.fixedMs) / samples);
    t.perSampleMs += EWMA_ALPHA * (perSample - t.perSampleMs);
    if (samples === 1) t.fixedMs += EWMA_ALPHA * (Math.max(0, ms - t.perSampleMs) - t.fixedMs);
    this.#worstPerSampleMs = Math.max(this.#worstPerSampleMs * 0.999, t.perSampleMs + t.fixedMs);
  }

  /** Predicted ms per sample under `key`, beyond the fixed cost. */
  perSampleMs(key: string): number {
    return this.#byKey.get(key)?.perSampleMs ?? this.#worstPerSampleMs;
  }

  /** Predicted fixed ms of any batch under `key`. */
  fixedMs(key: string): number {
    return this.#byKey.get(key)?.fixedMs ?? 0;
  }

  /** Predicted ms of a batch of `samples` under `key`. */
  batchMs(key: string, samples: number): number {
    const t = this.#byKey.get(key);
    return t === undefined ? samples * this.#worstPerSampleMs : t.fixedMs + samples * t.perSampleMs;
  }
}

/**
 * Predicted wait before a new request starts: the queued work (samples × per-sample cost, plus
 * the fixed cost of the batches it will take) plus what the running batches still need (half
 * their predicted time on average), spread over the workers.
 */
export function predictedWaitMs(o: { readonly queuedWorkMs: number; readonly runningWorkMs: number; readonly workers: number }): number {
  return (o.queuedWorkMs + o.runningWorkMs / 2) / Math.max(1, o.workers);
}
