/**
 * Predicted classes from exit probabilities (shared by the device and the edge).
 */

/**
 * Index of the largest value in each row of a row-major rows × k matrix (the first one on ties).
 * @throws RangeError when the length is not a multiple of k
 */
export function argmaxRows(probs: Float32Array, k: number): Int32Array {
  if (!Number.isInteger(k) || k < 1 || probs.length % k !== 0) throw new RangeError(`Expected a multiple of k = ${k} values, actually ${probs.length}`);
  const rows = probs.length / k;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[r * k + j]! > probs[r * k + best]!) best = j;
    out[r] = best;
  }
  return out;
}
