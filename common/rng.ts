/**
 * Seeded pseudo-random numbers (sfc32 seeded through splitmix32). Everything that must be
 * reproducible takes an `Rng` explicitly; nothing in coinfer calls `Math.random` for results.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). @throws RangeError when n is not a positive integer. */
  int(n: number): number;
  /** Standard normal sample (Box–Muller). */
  normal(): number;
  /** A new independent generator derived from this one (for sub-streams). */
  fork(): Rng;
  /** A copy of the generator's position (generators from `createRng` have it), for `restoreRng`. */
  state?(): RngState;
}

/** The position of an sfc32 generator: its four words and the cached second normal sample. */
export interface RngState {
  readonly words: readonly [number, number, number, number];
  readonly spare: number | null;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a seeded generator. Same seed, same sequence, on every platform. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`Expected a finite seed, actually ${seed}`);
  const init = splitmix32(Math.floor(seed));
  return fromState({ words: [init(), init(), init(), init()], spare: null }, 12); // 12: discard the warm-up outputs
}

/**
 * A generator that continues exactly where the one that gave `state` was (saved learner state).
 * @throws RangeError when the words are not four uint32 values.
 */
export function restoreRng(state: RngState): Rng {
  if (state.words.length !== 4 || !state.words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    throw new RangeError(`Expected four uint32 words, actually ${JSON.stringify(state.words)}`);
  }
  return fromState(state, 0);
}

function fromState(state: RngState, warmUp: number): Rng {
  let [a, b, c, d] = state.words;
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < warmUp; i++) nextU32();
  let spare: number | null = state.spare;
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (n: number) => {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Expected n a positive integer, actually ${n}`);
      return Math.floor((nextU32() / 4294967296) * n);
    },
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: () => createRng(nextU32()),
    state: () => ({ words: [a >>> 0, b >>> 0, c >>> 0, d >>> 0], spare }), // a may hold a signed int32: same value mod 2^32
  };
  return rng;
}
