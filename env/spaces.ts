/**
 * Gymnasium-style spaces: `Discrete(n)` for action indices and `Box` for float observations.
 */
import type { Rng } from '../common/rng.ts';

export interface Space<T> {
  /** A uniformly drawn member (for Box: uniform in [low, high] per element). */
  sample(rng: Rng): T;
  /** Whether `x` is a member of the space. */
  contains(x: unknown): x is T;
}

/** Integers 0..n-1. */
export class Discrete implements Space<number> {
  readonly n: number;

  constructor(n: number) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Expected n (counts) a positive integer, actually ${n}`);
    this.n = n;
  }

  sample(rng: Rng): number {
    return rng.int(this.n);
  }

  contains(x: unknown): x is number {
    return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < this.n;
  }
}

/** Float32 vectors of fixed length with per-element bounds. */
export class Box implements Space<Float32Array> {
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly size: number;

  constructor(low: ArrayLike<number>, high: ArrayLike<number>) {
    if (low.length !== high.length || low.length === 0) {
      throw new RangeError(`Expected low and high of one non-zero length, actually ${low.length} and ${high.length}`);
    }
    this.low = Float32Array.from(low);
    this.high = Float32Array.from(high);
    this.size = low.length;
    for (let i = 0; i < this.size; i++) {
      if (!(this.low[i]! <= this.high[i]!)) throw new RangeError(`Expected low[${i}] <= high[${i}], actually ${this.low[i]} > ${this.high[i]}`);
    }
  }

  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.low[i]! + rng.next() * (this.high[i]! - this.low[i]!);
    return out;
  }

  contains(x: unknown): x is Float32Array {
    if (!(x instanceof Float32Array) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) if (!(x[i]! >= this.low[i]! && x[i]! <= this.high[i]!)) return false;
    return true;
  }
}
