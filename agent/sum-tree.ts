/**
 * A sum-tree (with a min-tree beside it) over `capacity` non-negative priorities: O(log n)
 * update, prefix-sum search and total, as in prioritised experience replay (Schaul et al. 2016,
 * appendix B.2.1). Sums are recomputed from the children on every update (no drift from
 * incremental adds) and kept in Float64.
 */
export class SumTree {
  /** Number of leaves (priorities) addressable, 0..capacity-1. */
  readonly capacity: number;
  readonly #leaves: number; // power of two ≥ capacity
  readonly #sum: Float64Array;
  readonly #min: Float64Array;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Expected capacity a positive integer, actually ${capacity}`);
    this.capacity = capacity;
    let leaves = 1;
    while (leaves < capacity) leaves *= 2;
    this.#leaves = leaves;
    this.#sum = new Float64Array(2 * leaves);
    this.#min = new Float64Array(2 * leaves).fill(Infinity);
  }

  /** Sets leaf `index` to `priority` (≥ 0, finite); 0 makes it unreachable by `find`. */
  set(index: number, priority: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.capacity) {
      throw new RangeError(`Expected index in [0, ${this.capacity - 1}], actually ${index}`);
    }
    if (!(priority >= 0 && Number.isFinite(priority))) throw new RangeError(`Expected priority a finite number >= 0, actually ${priority}`);
    let i = index + this.#leaves;
    this.#sum[i] = priority;
    this.#min[i] = priority > 0 ? priority : Infinity;
    for (i >>= 1; i >= 1; i >>= 1) {
      this.#sum[i] = this.#sum[2 * i]! + this.#sum[2 * i + 1]!;
      this.#min[i] = Math.min(this.#min[2 * i]!, this.#min[2 * i + 1]!);
    }
  }

  /** The priority of leaf `index`. */
  get(index: number): number {
    return this.#sum[index + this.#leaves] ?? 0;
  }

  /** Sum of all priorities. */
  get total(): number {
    return this.#sum[1]!;
  }

  /** Smallest positive priority (Infinity when all are 0). */
  get min(): number {
    return this.#min[1]!;
  }

  /**
   * The leaf whose prefix-sum interval contains `mass`, for `mass` in [0, total). Never returns
   * a leaf of priority 0: at each node it descends only into a subtree with positive mass, so
   * float rounding at interval edges cannot reach an empty (unfilled) slot.
   * @throws RangeError when the tree is empty.
   */
  find(mass: number): number {
    if (!(this.total > 0)) throw new RangeError('Expected a tree with positive total priority, actually empty: add items first');
    let m = Math.min(Math.max(mass, 0), this.total);
    let i = 1;
    while (i < this.#leaves) {
      const left = 2 * i;
      const leftSum = this.#sum[left]!;
      if ((m < leftSum && leftSum > 0) || this.#sum[left + 1]! === 0) {
        i = left;
      } else {
        m -= leftSum;
        i = left + 1;
      }
    }
    return i - this.#leaves;
  }
}
