/**
 * Action selection under an action mask, on plain typed arrays (pure; shared by the learner, the
 * acting network and the served DQN policy).
 */
import { CoinferError } from './errors.ts';
import type { Rng } from './rng.ts';

function checkMask(values: ArrayLike<number>, mask: Uint8Array): void {
  if (mask.length !== values.length) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an action mask of length ${values.length}, actually ${mask.length}`);
  }
}

function noValidAction(): never {
  throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected an action mask with at least one valid action, actually none: the env must offer a valid action in every state');
}

/**
 * Index of the largest value among valid actions (mask[i] = 1); ties go to the lowest index.
 * @throws CoinferError ERR_INVALID_ARGUMENT when the mask has the wrong length or no valid action.
 */
export function maskedArgmax(values: ArrayLike<number>, mask: Uint8Array): number {
  checkMask(values, mask);
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (mask[i] && (best < 0 || values[i]! > bestValue)) {
      best = i;
      bestValue = values[i]!;
    }
  }
  return best >= 0 ? best : noValidAction();
}

/** A uniformly drawn valid action. @throws CoinferError ERR_INVALID_ARGUMENT when none is valid. */
export function uniformValidAction(mask: Uint8Array, rng: Rng): number {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) count++;
  if (count === 0) noValidAction();
  let k = rng.int(count);
  for (let i = 0; i < mask.length; i++) if (mask[i] && k-- === 0) return i;
  return noValidAction(); // unreachable: k < count
}

/**
 * ε-greedy over valid actions: with probability ε a uniform valid action, else the masked
 * argmax of `q()` (called only when exploiting, so exploration steps cost no forward pass).
 * Draws exactly one `rng.next()` per call (plus one `int` when exploring), for reproducibility.
 */
export function epsilonGreedy(q: () => ArrayLike<number>, mask: Uint8Array, options: { readonly epsilon: number; readonly rng: Rng }): number {
  if (options.rng.next() < options.epsilon) return uniformValidAction(mask, options.rng);
  return maskedArgmax(q(), mask);
}
