/**
 * The actor's side of the weights channel: on each published version (and on a slow poll, in
 * case a notification was missed while disconnected) it fetches the weights asynchronously,
 * decodes them, checks their objective and observation version against the actor's own, and
 * keeps the newest compatible ones until the actor takes them between two requests. Nothing
 * here ever waits on the acting path: `take()` returns what has arrived, or null.
 */
import { isCoinferError } from '../../common/errors.ts';
import type { WeightsStore } from './redis-broker.ts';
import { checkWeightsCompatible, decodeWeights, type WeightsExpectation, type WeightsMessage } from './weights-codec.ts';

export interface WeightsFollowerOptions {
  readonly store: WeightsStore;
  readonly expect: WeightsExpectation;
  /** Milliseconds between polls besides the notifications (default 2000). */
  readonly pollMs?: number;
  /** Told once per refused version (objective or observation mismatch, undecodable message). */
  readonly onRefused?: (error: Error, version: number) => void;
}

export class WeightsFollower {
  readonly #o: WeightsFollowerOptions;
  #pending: WeightsMessage | null = null;
  #runId: string | null = null;
  #latest = 0; // newest version of that run seen (taken, pending or refused)
  #applied = 0;
  #refused = 0;
  #fetching: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => Promise<void>) | null = null;
  #lastError: unknown = null;

  constructor(options: WeightsFollowerOptions) {
    this.#o = options;
  }

  /** Versions taken so far. */
  get applied(): number {
    return this.#applied;
  }

  /** Versions refused so far. */
  get refused(): number {
    return this.#refused;
  }

  /** The last fetch error that was not a refusal (broker trouble), or null. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Subscribes, polls, and starts the first fetch (not awaited: the actor acts at once). */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#o.store.onWeights(() => this.refresh());
    this.#timer = setInterval(() => this.refresh(), this.#o.pollMs ?? 2000);
    this.#timer.unref();
    this.refresh();
  }

  /** Starts a fetch (or queues one after the fetch in flight). */
  refresh(): void {
    if (this.#fetching) {
      this.#again = true;
      return;
    }
    this.#fetching = this.#fetch().finally(() => {
      this.#fetching = null;
      if (this.#again) {
        this.#again = false;
        this.refresh();
      }
    });
  }

  /** Resolves when the fetch in flight (if any) has finished. */
  async settled(): Promise<void> {
    while (this.#fetching) await this.#fetching;
  }

  /** The newest compatible weights that arrived since the last call, or null. */
  take(): WeightsMessage | null {
    const m = this.#pending;
    this.#pending = null;
    if (m) this.#applied++;
    return m;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.settled();
  }

  async #fetch(): Promise<void> {
    let bytes: Uint8Array | null;
    try {
      bytes = await this.#o.store.getWeights();
    } catch (e) {
      this.#lastError = e;
      return;
    }
    if (!bytes) return;
    let m: WeightsMessage;
    try {
      m = decodeWeights(bytes);
    } catch (e) {
      this.#refuse(e as Error, -1);
      return;
    }
    if (m.runId !== this.#runId) [this.#runId, this.#latest] = [m.runId, 0]; // a new learner run starts its versions afresh
    if (m.version <= this.#latest) return;
    this.#latest = m.version;
    try {
      checkWeightsCompatible(m, this.#o.expect);
    } catch (e) {
      if (!isCoinferError(e)) throw e;
      this.#refuse(e, m.version);
      return;
    }
    this.#pending = m;
  }

  #refuse(e: Error, version: number): void {
    this.#refused++;
    this.#o.onRefused?.(e, version);
  }
}
