/**
 * The actor's outbox: collects transition rows into batches of `batchTransitions`, encodes each
 * (transition-codec.ts) with the actor's id and next sequence number, and hands it to the
 * broker without waiting for the reply. It never blocks the caller: a batch is dropped (and
 * counted) when `maxInFlight` batches are still unconfirmed, and while the learner's group lags
 * by more than `lagHighWater` entries only one batch in `sampleEvery` is sent (Ape-X actors shed
 * experience rather than stall). Sequence numbers go to sent batches only, so a gap the learner
 * sees is a real loss, not a deliberate drop.
 */
import type { TransitionRows } from '../replay-memory.ts';
import type { PublisherConfig } from './distributed-config.ts';
import type { TransitionSink } from './redis-broker.ts';
import { encodeTransitionBatch } from './transition-codec.ts';

export interface TransitionPublisherOptions {
  readonly sink: TransitionSink;
  readonly config: PublisherConfig;
  /** Unique per actor process (a restarted actor takes a new one: its sequence restarts at 0). */
  readonly actorId: string;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly observationVersion: number;
  /** The objective the env's rewards pursue (`describeObjective`). */
  readonly objective: string;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
}

/** What the publisher has done so far, in transitions. */
export interface PublisherCounters {
  /** Confirmed by the broker. */
  readonly sent: number;
  /** Dropped because too many batches were unconfirmed. */
  readonly droppedInFlight: number;
  /** Dropped by sampling while the learner lagged. */
  readonly droppedLag: number;
  /** Handed to the broker but refused or lost on the way (the learner sees a gap). */
  readonly failed: number;
  /** Batches handed to the broker (= the next sequence number). */
  readonly batches: number;
  /** The last lag the broker reported, in entries. */
  readonly lastLag: number;
}

export class TransitionPublisher {
  /** Version of the weights the actor now acts with (stamped on each batch). */
  weightsVersion = 0;
  readonly #o: TransitionPublisherOptions;
  readonly #now: () => number;
  readonly #obs: Float32Array;
  readonly #nextObs: Float32Array;
  readonly #actions: Int32Array;
  readonly #rewards: Float32Array;
  readonly #discounts: Float32Array;
  readonly #masks: Uint8Array;
  #fill = 0;
  #seq = 0;
  readonly #inFlight = new Set<Promise<void>>();
  #sent = 0;
  #droppedInFlight = 0;
  #droppedLag = 0;
  #failed = 0;
  #lag = 0;
  #lagAt = -Infinity;
  #lagPending = false;
  #batchIndex = 0;
  #lastError: unknown = null;

  constructor(options: TransitionPublisherOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    const { batchTransitions: B } = options.config;
    const { observationSize: O, actionCount: A } = options;
    this.#obs = new Float32Array(B * O);
    this.#nextObs = new Float32Array(B * O);
    this.#actions = new Int32Array(B);
    this.#rewards = new Float32Array(B);
    this.#discounts = new Float32Array(B);
    this.#masks = new Uint8Array(B * A);
  }

  get counters(): PublisherCounters {
    return { sent: this.#sent, droppedInFlight: this.#droppedInFlight, droppedLag: this.#droppedLag, failed: this.#failed, batches: this.#seq, lastLag: this.#lag };
  }

  /** The last broker error (null when none): for the caller to report, never thrown into the acting path. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Copies `rows` into the outbox; full batches go out at once. */
  push(rows: TransitionRows): void {
    const { observationSize: O, actionCount: A } = this.#o;
    const B = this.#o.config.batchTransitions;
    this.#checkLag();
    for (let r = 0; r < rows.size; r++) {
      const i = this.#fill++;
      this.#obs.set(rows.observations.subarray(r * O, (r + 1) * O), i * O);
      this.#nextObs.set(rows.nextObservations.subarray(r * O, (r + 1) * O), i * O);
      this.#actions[i] = rows.actions[r]!;
      this.#rewards[i] = rows.rewards[r]!;
      this.#discounts[i] = rows.discounts[r]!;
      this.#masks.set(rows.nextActionMasks.subarray(r * A, (r + 1) * A), i * A);
      if (this.#fill === B) this.#send();
    }
  }

  /** Sends the partial batch now (before stopping). */
  flush(): void {
    if (this.#fill > 0) this.#send();
  }

  /** Resolves when every batch handed to the broker is confirmed or failed. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #send(): void {
    const n = this.#fill;
    this.#fill = 0;
    const c = this.#o.config;
    const lagging = this.#lag > c.lagHighWater;
    if (lagging && this.#batchIndex++ % c.sampleEvery !== 0) {
      this.#droppedLag += n;
      return;
    }
    if (!lagging) this.#batchIndex = 0;
    if (this.#inFlight.size >= c.maxInFlight) {
      this.#droppedInFlight += n;
      return;
    }
    const bytes = encodeTransitionBatch(
      { actorId: this.#o.actorId, seq: this.#seq++, observationVersion: this.#o.observationVersion, weightsVersion: this.weightsVersion, objective: this.#o.objective },
      { size: n, observations: this.#obs, nextObservations: this.#nextObs, actions: this.#actions, rewards: this.#rewards, discounts: this.#discounts, nextActionMasks: this.#masks },
      { observationSize: this.#o.observationSize, actionCount: this.#o.actionCount },
    );
    const p: Promise<void> = this.#o.sink.addBatch(bytes).then(
      () => { this.#sent += n; },
      (e: unknown) => { this.#failed += n; this.#lastError = e; },
    ).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  /** Starts an asynchronous lag check when the last one is older than lagCheckMs. */
  #checkLag(): void {
    const t = this.#now();
    if (this.#lagPending || t - this.#lagAt < this.#o.config.lagCheckMs) return;
    this.#lagPending = true;
    this.#lagAt = t;
    this.#o.sink.groupLag().then(
      (lag) => { this.#lag = lag; },
      (e: unknown) => { this.#lastError = e; },
    ).finally(() => { this.#lagPending = false; });
  }
}
