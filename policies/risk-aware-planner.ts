/**
 * The risk-aware planner: the tracking planner's latency model (fused per-stage fits × the
 * measured device and edge speeds), but instead of Edgent's rule (the most accurate action
 * predicted to fit the deadline at the one bandwidth estimate) it takes the action with the
 * highest expected accuracy on time over the bandwidth the device may really get: its estimate
 * × each of its own recent surprises (DecisionContext.bandwidthSurprisesLn, how far the estimate
 * was off lately). The device runtime's fallback is part of the expectation: an offload whose
 * reply cannot arrive within the deadline less the local reserve is answered by the most
 * accurate local exit that still fits, so a miss of a deep exit often costs only the difference
 * to a shallow one, not the whole answer.
 *
 * Why it beats Edgent's rule where the link moves: a point estimate plans as if the bandwidth
 * were known, so it is too bold when the estimate is often high and too timid when the fallback
 * would have saved the request anyway.
 */
import type { DecisionContext } from '../env/decision-context.ts';
import { FALLBACK_MARGIN_MS } from '../env/vec-replay-env.ts';
import { actionLabel } from '../runtime/action.ts';
import { offloadBudgetMs } from '../runtime/device/offload-budget.ts';
import type { LatencyPrediction } from '../runtime/profile/latency-predictor.ts';
import { createStagePlanner } from './calibrated-planner.ts';
import { describePrediction, exitScores, type Planner, type PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';
import { planningSpeeds } from './tracking-planner.ts';

/**
 * Margin the device keeps between a fallback's local run and its deadline, ms: the replay
 * device's (the live one keeps 3 ms, env/live-env.ts; 2 ms of optimism there).
 */
export const PLANNER_FALLBACK_MARGIN_MS = FALLBACK_MARGIN_MS;
/** Fewer surprises than this: plan on the estimate alone (one multiplier, 1). */
export const MIN_SURPRISES = 4;

/** One action's expected accuracy on time, and its predicted latency (the tie-break). */
interface RiskAwareChoice {
  readonly index: number;
  readonly expectedAccuracy: number;
  readonly pred: LatencyPrediction;
}

/**
 * Expected accuracy on time of every action (index-aligned with `preds`, the planner's
 * predictions at the point estimate), over the bandwidth multipliers `exp(surprise)` sorted
 * ascending. The runtime's give-up budget and fallback exit are recomputed from the predictions.
 */
export type ExpectedAccuracies = (preds: readonly LatencyPrediction[], deadlineMs: number, rttMs: number, multipliersAsc: Float64Array) => Float64Array;

/** The expected-accuracy function of `planner`'s actions (its exits' order computed once). */
export function expectedAccuracyOf(planner: Planner, marginMs = PLANNER_FALLBACK_MARGIN_MS): ExpectedAccuracies {
  const exits = exitScores(planner.manifest);
  const byAccuracy = exits.map((_, e) => e).sort((a, b) => exits[b]! - exits[a]!);
  const exitOf = Int32Array.from(planner.actions, (a) => a.exit - 1);
  return (preds, deadlineMs, rttMs, multipliersAsc) => {
    // the device's local run of each exit under the current speed and load (its fastest local action)
    const localMs = new Float64Array(exits.length).fill(Number.POSITIVE_INFINITY);
    for (let i = 0; i < preds.length; i++) {
      const p = preds[i]!;
      if (p.local && p.deviceMs < localMs[exitOf[i]!]!) localMs[exitOf[i]!] = p.deviceMs;
    }
    let cheapest = 0;
    for (let e = 1; e < exits.length; e++) if (localMs[e]! < localMs[cheapest]!) cheapest = e;
    const reserveMs = localMs[cheapest]! + marginMs;
    const n = multipliersAsc.length;
    const out = new Float64Array(preds.length);
    for (let i = 0; i < preds.length; i++) {
      const p = preds[i]!;
      const score = planner.actionScore[i]!;
      if (p.local) {
        out[i] = p.totalMs <= deadlineMs ? score : 0;
        continue;
      }
      const leftMs = deadlineMs - p.deviceMs;
      const budgetMs = offloadBudgetMs(leftMs, reserveMs);
      // the fallback after giving up at the budget: the most accurate local exit that still fits
      const waitedMs = Math.max(0, budgetMs);
      const roomMs = deadlineMs - p.deviceMs - waitedMs - marginMs;
      let fb = cheapest;
      for (const e of byAccuracy) if (localMs[e]! <= roomMs) { fb = e; break; }
      const fallbackValue = p.deviceMs + waitedMs + localMs[fb]! <= deadlineMs ? exits[fb]! : 0;
      // the reply arrives in time when transmit / multiplier + the rest ≤ budget
      const transmitMs = p.uplinkMs - rttMs / 2;
      const slackMs = budgetMs - (p.totalMs - p.deviceMs - transmitMs);
      let onTime = 0;
      if (budgetMs > 0 && slackMs >= 0) {
        if (transmitMs <= 0) onTime = n;
        else {
          // multipliers ≥ transmit / slack make it: count them (ascending, binary search)
          const need = transmitMs / slackMs;
          let lo = 0, hi = n;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (multipliersAsc[mid]! >= need) hi = mid;
            else lo = mid + 1;
          }
          onTime = n - lo;
        }
      }
      out[i] = (onTime * score + (n - onTime) * fallbackValue) / n;
    }
    return out;
  };
}

/** exp of the surprises, ascending; [1] when there are too few to trust. */
export function bandwidthMultipliers(surprisesLn: Float64Array | undefined, minSurprises = MIN_SURPRISES): Float64Array {
  if (!surprisesLn || surprisesLn.length < minSurprises) return Float64Array.of(1);
  return Float64Array.from(surprisesLn, Math.exp).sort();
}

/** @throws CoinferError ERR_PROFILE_NOT_FOUND when `deps` carries no stage profiles */
export function createRiskAwarePlannerPolicy(deps: PolicyDeps): Policy {
  const planner = createStagePlanner(deps, 'risk-aware');
  const expected = expectedAccuracyOf(planner);
  const choose = (obs: Float32Array, ctx: DecisionContext): RiskAwareChoice => {
    const preds = planner.predictAll(ctx, planningSpeeds(obs, ctx));
    const values = expected(preds, ctx.deadlineMs, ctx.rttMs, bandwidthMultipliers(ctx.bandwidthSurprisesLn));
    let best = 0;
    for (let i = 1; i < values.length; i++) {
      const d = values[i]! - values[best]!;
      if (d > 1e-12 || (d >= -1e-12 && preds[i]!.totalMs < preds[best]!.totalMs)) best = i;
    }
    return { index: best, expectedAccuracy: values[best]!, pred: preds[best]! };
  };
  return {
    name: 'risk-aware',
    decide: (obs, ctx) => planner.actions[choose(obs, ctx).index]!,
    explain: (obs, ctx) => {
      const c = choose(obs, ctx);
      const k = ctx.bandwidthSurprisesLn?.length ?? 0;
      return `${describePrediction(actionLabel(planner.manifest, planner.actions[c.index]!), c.pred)}; expected accuracy on time ${(100 * c.expectedAccuracy).toFixed(1)}% over ${k >= MIN_SURPRISES ? `${k} recent bandwidth surprises` : 'the estimate alone'}, fallback included`;
    },
  };
}
