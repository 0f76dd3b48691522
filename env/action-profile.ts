/**
 * What the device believes each action costs: its compute-time profile's prediction of the
 * device and edge compute, the bytes it sends and the accuracy it answers with, per codec
 * index. The observation's speed estimates divide measured times by these predictions, and its
 * planner features predict a few candidate actions' latency from them (env/planner-slack.ts).
 *
 * Both envs build one from their own device's profile, with the same formulas after that: the
 * replay env from its compute-time table (the calibrated stage profile of the world's device),
 * the live env from the latency profiles its device runtime and edge emulate.
 */
import type { Action } from '../runtime/action.ts';
import type { LatencyTable } from '../runtime/profile/latency-predictor.ts';
import { predictFromTable } from '../runtime/profile/latency-predictor.ts';
import type { ActionTable } from './action-table.ts';

export interface ActionProfile {
  readonly size: number;
  /** 1 when the action runs entirely on the device. */
  readonly local: Uint8Array;
  /** 0-based exit index of each action. */
  readonly exitIndex: Int32Array;
  /** Predicted device compute without load, ms. */
  readonly deviceMs: Float64Array;
  /** Predicted edge compute without load or queue, ms (0 when local). */
  readonly edgeMs: Float64Array;
  /** Uplink bytes (0 when local). */
  readonly bytes: Float64Array;
  /** The action's accuracy (the planner's preference score). */
  readonly accuracy: Float64Array;
  /** Per exit (0-based): the index of its local action. */
  readonly localOfExit: Int32Array;
  /** The local action of the most accurate exit (deeper on ties). */
  readonly localBest: number;
  /** The local action with the least predicted device time. */
  readonly localFast: number;
  /** The final exit offloaded with the least device time (partition 0), fewest bytes on ties. */
  readonly offloadFinal: number;
}

/** The per-action columns; the candidate indices are derived from them (withCandidates). */
type ProfileColumns = Pick<ActionProfile, 'local' | 'exitIndex' | 'deviceMs' | 'edgeMs' | 'bytes' | 'accuracy'>;

function withCandidates(c: ProfileColumns): ActionProfile {
  const n = c.local.length;
  const exits = Math.max(...c.exitIndex) + 1;
  const localOfExit = new Int32Array(exits).fill(-1);
  let localBest = -1, localFast = -1, offloadFinal = -1;
  for (let a = 0; a < n; a++) {
    if (c.local[a]) {
      localOfExit[c.exitIndex[a]!] = a;
      if (localBest < 0 || c.accuracy[a]! > c.accuracy[localBest]! || (c.accuracy[a] === c.accuracy[localBest] && c.exitIndex[a]! > c.exitIndex[localBest]!)) localBest = a;
      if (localFast < 0 || c.deviceMs[a]! < c.deviceMs[localFast]!) localFast = a;
    } else if (c.exitIndex[a] === exits - 1) {
      const o = offloadFinal;
      if (o < 0 || c.deviceMs[a]! < c.deviceMs[o]! || (c.deviceMs[a] === c.deviceMs[o] && c.bytes[a]! < c.bytes[o]!)) offloadFinal = a;
    }
  }
  if (localBest < 0 || localOfExit.some((a) => a < 0)) throw new RangeError('Expected a local action for every exit');
  // a model whose final exit is never offloaded (no edge actions offered): fall back to the best local one
  return { ...c, size: n, localOfExit, localBest, localFast, offloadFinal: offloadFinal < 0 ? localBest : offloadFinal };
}

/** The replay env's profile: its compute-time table without jitter, load or slowdown. */
export function profileFromActionTable(t: ActionTable): ActionProfile {
  return withCandidates({ local: t.local, exitIndex: t.exitIndex, deviceMs: t.deviceBaseMs, edgeMs: t.edgeBaseMs, bytes: t.bytes, accuracy: t.accuracy });
}

/**
 * A profile from a latency table (the regressions a device runtime emulates), for `actions`
 * in codec order with their accuracies.
 */
export function profileFromLatencyTable(table: LatencyTable, actions: readonly Action[], accuracy: Float64Array): ActionProfile {
  const n = actions.length;
  const c = { local: new Uint8Array(n), exitIndex: new Int32Array(n), deviceMs: new Float64Array(n), edgeMs: new Float64Array(n), bytes: new Float64Array(n), accuracy };
  actions.forEach((action, a) => {
    // unloaded compute on both sides; bandwidth and RTT do not enter the compute terms
    const p = predictFromTable(table, { action, bandwidthMbps: 1, rttMs: 0 });
    c.local[a] = p.local ? 1 : 0;
    c.exitIndex[a] = action.exit - 1;
    c.deviceMs[a] = p.deviceMs;
    c.edgeMs[a] = p.edgeMs;
    c.bytes[a] = p.bytes;
  });
  return withCandidates(c);
}
