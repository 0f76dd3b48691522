/**
 * The upper bound of an offloading policy: knows the true link and compute times of every
 * action for this request (`context.oracle`, given only to it), so it never misses a deadline
 * it could meet. It does not use which exit happens to classify this particular image
 * correctly: that would be an oracle classifier, an upper bound no offloading decision can
 * approach. Lexicographic preference: on time, then the more accurate answering exit (after a
 * fallback, the local exit that answers), then lower device energy, then lower latency.
 */
import { CoinferError } from '../common/errors.ts';
import type { ActionOutcome, DecisionContext } from '../env/decision-context.ts';
import { actionLabel, enumerateActions, type Action } from '../runtime/action.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { actionScores, exitScores } from './model-planner.ts';
import type { ActionAccuracyFile } from '../runtime/model/action-accuracy.ts';
import type { Policy } from './policy.ts';

/** True when outcome `a` is preferred to `b` for this deadline (exit scores `sa`, `sb`). */
function better(a: ActionOutcome, sa: number, b: ActionOutcome, sb: number, deadlineMs: number): boolean {
  const keys = (o: ActionOutcome, s: number): number[] => {
    const onTime = o.totalMs <= deadlineMs ? 1 : 0;
    return [onTime, s, -o.energyMj, -o.totalMs];
  };
  const ka = keys(a, sa), kb = keys(b, sb);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! > kb[i]!;
  return false;
}

export function createOraclePolicy(deps: { readonly manifest: ModelManifest; readonly actions?: readonly Action[]; readonly actionAccuracy?: ActionAccuracyFile | null }): Policy {
  const actions = deps.actions ?? enumerateActions(deps.manifest);
  const scores = exitScores(deps.manifest);
  const own = actionScores(deps.manifest, actions, deps.actionAccuracy ?? null);
  // an outcome answered by its own action scores that action's true accuracy; a fallback, its local exit's
  const scoreOf = (i: number, o: ActionOutcome): number => (o.answeredExit === actions[i]!.exit ? own[i]! : scores[o.answeredExit - 1]!);
  const choose = (ctx: DecisionContext): { action: Action; outcome: ActionOutcome } => {
    const view = ctx.oracle;
    if (!view) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', "The oracle policy needs the true outcomes (context.oracle), actually none was given; evaluate it through the replay env's oracleContext()");
    }
    let bestI = 0, bestOut = view.outcome(actions[0]!);
    for (let i = 1; i < actions.length; i++) {
      const o = view.outcome(actions[i]!);
      if (better(o, scoreOf(i, o), bestOut, scoreOf(bestI, bestOut), ctx.deadlineMs)) { bestI = i; bestOut = o; }
    }
    const best = actions[bestI]!;
    return { action: best, outcome: bestOut };
  };
  return {
    name: 'oracle',
    decide: (_obs, ctx) => choose(ctx).action,
    explain: (_obs, ctx) => {
      const { action, outcome } = choose(ctx);
      return `${actionLabel(deps.manifest, action)}: true ${outcome.totalMs.toFixed(1)} ms vs deadline ${ctx.deadlineMs} ms, answered by exit ${outcome.answeredExit}, ${outcome.energyMj.toFixed(0)} mJ`;
    },
  };
}
