/**
 * The round-trip time a device measures on a completed offload, in the replay env. The RTT
 * model is a fixed propagation time per scenario; a real device never reads it exactly (timer
 * granularity, scheduling, link-layer retries), so each measurement carries a relative error,
 * uniform in ±{@link RTT_MEASUREMENT_JITTER}. The error is a hash of the request's identity
 * (its image, its place in the episode, its trace time), not an RNG draw: the seeded request
 * stream stays identical to the live env's, which consumes no draw for its real RTT.
 */

/** Relative error of one RTT measurement in the replay (±10 %). */
export const RTT_MEASUREMENT_JITTER = 0.1;

const scratch = new DataView(new ArrayBuffer(8));

/** A hash of the request identity in [0, 1) (xorshift-multiply mix of its fields). */
function unitHash(imageIndex: number, requestIndex: number, traceTimeS: number): number {
  scratch.setFloat64(0, traceTimeS);
  let h = Math.imul(imageIndex + 1, 0x9e3779b1) ^ Math.imul(requestIndex + 1, 0x85ebca6b);
  h ^= Math.imul(scratch.getUint32(0), 0xc2b2ae35) ^ Math.imul(scratch.getUint32(4), 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/**
 * The RTT the device measures on a request, ms: the model's `rttMs` times (1 ± jitter).
 * @example measuredRttMs(20, { imageIndex: 3, requestIndex: 0, traceTimeS: 12.5 }) // in [18, 22]
 */
export function measuredRttMs(rttMs: number, request: { readonly imageIndex: number; readonly requestIndex: number; readonly traceTimeS: number }): number {
  const u = unitHash(request.imageIndex, request.requestIndex, request.traceTimeS);
  return rttMs * (1 + RTT_MEASUREMENT_JITTER * (2 * u - 1));
}
