/**
 * Time sources for the link shaper: the real clock, and a manual one whose virtual time moves
 * only when a test advances it (exact timings, no real sleeping).
 */

/** A monotonic clock that can sleep. */
export interface Clock {
  /** Current time, ms, monotonic (arbitrary origin). */
  now(): number;
  /**
   * Resolves after `ms` (≤ 0: at once; `Infinity`: never, unless aborted). Rejects with the
   * signal's reason when aborted (also when already aborted).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// setTimeout fires at once (with a warning) beyond 2^31 − 1 ms, so long sleeps re-arm.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function checkSleepMs(ms: number): void {
  if (Number.isNaN(ms)) throw new RangeError('Expected sleep ms a number, actually NaN');
}

/** The real clock: `performance.now()` and `setTimeout`, abortable, never resolving early. */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      checkSleepMs(ms);
      if (signal?.aborted) return reject(signal.reason);
      if (!(ms > 0)) return resolve();
      const endMs = performance.now() + ms;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      // Node timers have ms granularity and may fire a fraction early: re-arm until due.
      const arm = (): void => {
        const leftMs = endMs - performance.now();
        if (leftMs <= 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        timer = setTimeout(arm, Math.min(leftMs, MAX_TIMEOUT_MS));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    }),
};

interface Timer {
  readonly dueMs: number;
  readonly seq: number;
  readonly fire: () => void;
}

/**
 * Virtual time for tests: `sleep` registers a timer; {@link ManualClock.advance} moves time
 * forward, firing due timers in order and letting the code they resume run (and schedule new
 * timers) before moving on.
 *
 * @example
 * const clock = new ManualClock();
 * const done = shaper.transmit(125_000); // shaper built with this clock
 * await clock.advance(1000);
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #seq = 0;
  #timers: Timer[] = [];

  /** @param startMs the initial virtual time, ms */
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  /** Timers waiting to fire (aborted ones are removed). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      checkSleepMs(ms);
      if (signal?.aborted) return reject(signal.reason);
      if (!(ms > 0)) return resolve();
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal!.reason);
      };
      const timer: Timer = {
        dueMs: this.#nowMs + ms,
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Moves virtual time forward by `ms` (≥ 0), firing every timer due on the way at its own
   * due time. Resolves once the resumed code has settled.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || ms === Infinity) throw new RangeError(`Expected advance ms finite and >= 0, actually ${ms}`);
    const targetMs = this.#nowMs + ms;
    await settle();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.dueMs > targetMs) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      next.fire();
      await settle();
    }
    this.#nowMs = targetMs;
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets every queued promise continuation run (a macrotask comes after all microtasks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
