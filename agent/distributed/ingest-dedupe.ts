/**
 * Idempotent ingest: which (actor id, sequence) batches the learner has already learned from, so
 * that a redelivered stream entry (at-least-once delivery: a learner restart re-reads its
 * unacknowledged entries; an actor may retry an XADD) is never learned twice. Pure.
 *
 * Per actor a sliding window, as in IPsec's anti-replay check: every sequence below `floor` is
 * settled (learned, or given up), the ones at or above it that arrived are kept in a set. The
 * floor follows the contiguous prefix, and is pulled up to `max − window` when a gap stays open
 * that long (an entry trimmed from the capped stream never comes): the sequences it passes that
 * never arrived are counted as missing. The state is JSON, saved with every learner checkpoint.
 */
import { CoinferError } from '../../common/errors.ts';

/** One actor's window. */
export interface ActorWindowState {
  /** Every sequence below it is settled. */
  readonly floor: number;
  /** Sequences ≥ floor already learned. */
  readonly seen: readonly number[];
  /** Ingest tick of its last batch (for evicting actors that left). */
  readonly lastTick: number;
}

/** The saved state (JSON). */
export interface IngestDedupeState {
  readonly actors: Readonly<Record<string, ActorWindowState>>;
  readonly tick: number;
  /** Batches refused as already learned (or arriving after their window was settled). */
  readonly duplicates: number;
  /** Sequences passed by a window without ever arriving (dropped by the capped stream, or lost). */
  readonly missing: number;
}

export interface IngestDedupeOptions {
  /** Sequences a gap may stay open before it is counted missing. Integer ≥ 1 (default 4096 batches). */
  readonly windowBatches?: number;
  /** Actors remembered; the least recently heard from are forgotten beyond it (default 10,000). */
  readonly maxActors?: number;
}

interface Window {
  floor: number;
  max: number;
  seen: Set<number>;
  lastTick: number;
}

export class IngestDedupe {
  readonly windowBatches: number;
  readonly maxActors: number;
  readonly #actors = new Map<string, Window>();
  #tick = 0;
  #duplicates = 0;
  #missing = 0;

  constructor(options: IngestDedupeOptions = {}, state?: IngestDedupeState) {
    this.windowBatches = options.windowBatches ?? 4096;
    this.maxActors = options.maxActors ?? 10_000;
    for (const [k, v] of [['windowBatches', this.windowBatches], ['maxActors', this.maxActors]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${k} an integer ≥ 1, actually ${v}`);
    }
    if (state) this.#import(state);
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  get missing(): number {
    return this.#missing;
  }

  /** Actors currently remembered. */
  get actors(): number {
    return this.#actors.size;
  }

  /**
   * Records batch `seq` of `actorId`; true when it is new (learn it), false when it was learned
   * already or its window has moved past it (skip it).
   */
  accept(actorId: string, seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected seq a safe integer ≥ 0, actually ${seq}`);
    this.#tick++;
    let w = this.#actors.get(actorId);
    if (!w) {
      w = { floor: 0, max: -1, seen: new Set(), lastTick: this.#tick };
      this.#actors.set(actorId, w);
      this.#evict();
    }
    w.lastTick = this.#tick;
    if (seq < w.floor || w.seen.has(seq)) {
      this.#duplicates++;
      return false;
    }
    w.seen.add(seq);
    if (seq > w.max) w.max = seq;
    while (w.seen.delete(w.floor)) w.floor++;
    const settleBelow = w.max - this.windowBatches + 1;
    if (w.floor < settleBelow) {
      for (let s = w.floor; s < settleBelow; s++) if (!w.seen.delete(s)) this.#missing++;
      w.floor = settleBelow;
      while (w.seen.delete(w.floor)) w.floor++;
    }
    return true;
  }

  /** Open gaps now: sequences below an actor's highest that have not arrived (yet). */
  openGaps(): number {
    let gaps = 0;
    for (const w of this.#actors.values()) gaps += w.max + 1 - w.floor - w.seen.size;
    return gaps;
  }

  /** The state as JSON-ready data (a copy). */
  exportState(): IngestDedupeState {
    const actors: Record<string, ActorWindowState> = {};
    for (const [id, w] of this.#actors) actors[id] = { floor: w.floor, seen: [...w.seen].sort((x, y) => x - y), lastTick: w.lastTick };
    return { actors, tick: this.#tick, duplicates: this.#duplicates, missing: this.#missing };
  }

  #import(s: IngestDedupeState): void {
    const ok = typeof s === 'object' && s !== null && Number.isInteger(s.tick) && Number.isInteger(s.duplicates) && Number.isInteger(s.missing) && typeof s.actors === 'object';
    if (!ok) throw new CoinferError('ERR_CHECKPOINT_CORRUPT', 'Ingest dedupe state: expected { actors, tick, duplicates, missing }, actually another shape: the checkpoint was not written by coinfer learner');
    for (const [id, a] of Object.entries(s.actors)) {
      if (!Number.isInteger(a.floor) || !Array.isArray(a.seen)) throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `Ingest dedupe state of actor ${id}: expected a floor and a list of sequences, actually ${JSON.stringify(a).slice(0, 80)}`);
      this.#actors.set(id, { floor: a.floor, max: Math.max(a.floor - 1, ...a.seen), seen: new Set(a.seen), lastTick: a.lastTick ?? 0 });
    }
    this.#tick = s.tick;
    this.#duplicates = s.duplicates;
    this.#missing = s.missing;
  }

  /** Forgets the actor heard from least recently while more than maxActors are remembered. */
  #evict(): void {
    while (this.#actors.size > this.maxActors) {
      let oldest: string | null = null;
      let tick = Infinity;
      for (const [id, w] of this.#actors) if (w.lastTick < tick) [oldest, tick] = [id, w.lastTick];
      this.#actors.delete(oldest!);
    }
  }
}
