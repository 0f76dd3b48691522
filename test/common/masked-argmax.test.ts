import { describe, it, expect } from 'vitest';
import { epsilonGreedy, maskedArgmax, uniformValidAction } from '../../common/masked-argmax.ts';
import { createRng } from '../../common/rng.ts';
import { thrownCoinferError } from '../helpers/thrown.ts';

function randomMask(n: number, r: () => number): Uint8Array {
  const m = new Uint8Array(n).map(() => (r() < 0.5 ? 1 : 0));
  if (!m.includes(1)) m[Math.floor(r() * n)] = 1;
  return m;
}

describe('maskedArgmax', () => {
  it('picks the best valid action even when an invalid one is larger', () => {
    expect(maskedArgmax([5, 1, 3, 9], new Uint8Array([0, 1, 1, 0]))).toBe(2);
    expect(maskedArgmax([-Infinity, -5, -1e12], new Uint8Array([1, 1, 1]))).toBe(1);
    expect(maskedArgmax([2, 2, 2], new Uint8Array([0, 1, 1]))).toBe(1); // ties → lowest valid index
  });

  it('never picks an invalid action (greedy and random, 2000 random cases)', () => {
    const rng = createRng(11);
    const invalid: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const n = 1 + rng.int(12);
      const mask = randomMask(n, () => rng.next());
      const q = Array.from({ length: n }, () => rng.normal() * 10);
      if (!mask[maskedArgmax(q, mask)]) invalid.push(`greedy #${i}`);
      if (!mask[uniformValidAction(mask, rng)]) invalid.push(`uniform #${i}`);
      if (!mask[epsilonGreedy(() => q, mask, { epsilon: 0.5, rng })]) invalid.push(`ε-greedy #${i}`);
    }
    expect(invalid).toEqual([]);
  });

  it('draws uniformly among the valid actions', () => {
    const rng = createRng(2);
    const mask = new Uint8Array([1, 0, 1, 1, 0]);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 9000; i++) counts[uniformValidAction(mask, rng)]!++;
    expect(counts[1]).toBe(0);
    expect(counts[4]).toBe(0);
    for (const k of [0, 2, 3]) expect(Math.abs(counts[k]! - 3000)).toBeLessThan(200);
  });

  it('rejects a mask with no valid action or of the wrong length', () => {
    for (const f of [() => maskedArgmax([1, 2], new Uint8Array(2)), () => maskedArgmax([1, 2], new Uint8Array(3)), () => uniformValidAction(new Uint8Array(3), createRng(1))]) {
      thrownCoinferError(f, 'ERR_INVALID_ARGUMENT');
    }
  });
});
