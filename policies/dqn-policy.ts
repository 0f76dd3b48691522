/**
 * The learned policy: greedy (masked) argmax of a DQN's Q-values over the action codec's
 * indices. Acting runs a plain-JS forward pass on its own weight copy (agent/acting-policy.ts),
 * so the weights can be hot-swapped by an online learner without pausing decisions.
 */
import { maskedArgmax } from '../common/masked-argmax.ts';
import type { ActionCodec } from '../env/action-codec.ts';
import type { DecisionContext } from '../env/decision-context.ts';
import type { Action } from '../runtime/action.ts';
import type { Policy } from './policy.ts';

/**
 * What the policy needs of a Q-network: greedy masked decisions and the Q-values (satisfied by
 * agent/acting-policy.ts's ActingPolicy; declared here so policies/ does not depend on agent/).
 */
export interface QActor {
  decide(observation: Float32Array, mask: Uint8Array): number;
  qValues(observation: Float32Array): Float32Array;
}

export interface DqnPolicyOptions {
  /** Report name, e.g. 'dqn:latest'. */
  readonly name: string;
  readonly acting: QActor;
  readonly codec: ActionCodec;
  /**
   * Entries of the env's observation the network reads (its first ones); default all. A network
   * trained on an older observation version reads that version's prefix (env/observation.ts).
   */
  readonly observationSize?: number;
  /**
   * The mask the network was trained under, from the observation and the context (e.g. the
   * deadline mask, env/deadline-mask.ts); combined with the context's own mask. Default none.
   */
  readonly mask?: (observation: Float32Array, context: DecisionContext) => Uint8Array;
  /**
   * Act as `policy` (a model-based planner) unless the network's own choice beats the planner's
   * action by at least `margin` in its Q-values: the agent overrides the model only where it is
   * confident. Default none (pure greedy DQN).
   */
  readonly anchor?: {
    readonly policy: Policy;
    readonly margin: number;
    /**
     * Other networks (e.g. the other training seeds) that can veto an override: it stands only
     * if each of them also rates the network's choice at least `margin` above the planner's
     * action. A lead one seed learned by chance rarely survives the others; they run only when
     * the network wants to override, so the usual decision still costs one forward pass.
     */
    readonly vetoes?: readonly QActor[];
  };
}

export function createDqnPolicy(opts: DqnPolicyOptions): Policy {
  const full = opts.codec.fullMask();
  const n = opts.observationSize;
  const input = (obs: Float32Array): Float32Array => (n === undefined || obs.length === n ? obs : obs.subarray(0, n));
  const maskOf = (obs: Float32Array, ctx: DecisionContext): Uint8Array => {
    if (!opts.mask) return ctx.actionMask ?? full;
    const own = opts.mask(obs, ctx);
    if (!ctx.actionMask) return own;
    const both = own.map((m, a) => m & ctx.actionMask![a]!);
    return both.includes(1) ? both : ctx.actionMask; // the context's mask (e.g. edge away) wins
  };
  const anchor = opts.anchor;
  // One mask, one input and one forward pass per decision: the forward pass is most of its time.
  const pick = (obs: Float32Array, ctx: DecisionContext, mask: Uint8Array): number => {
    const x = input(obs);
    if (anchor === undefined) return opts.acting.decide(x, mask);
    const q = opts.acting.qValues(x);
    const a = maskedArgmax(q, mask);
    const b = opts.codec.encode(anchor.policy.decide(obs, ctx));
    if (a === b) return a;
    if (ctx.actionMask && !ctx.actionMask[b]) return a; // the planner's action is unavailable (e.g. edge away)
    // outside the trained mask the network never learned the planner's action's value: no lead to claim
    if (!mask[b]) return b;
    if (q[a]! - q[b]! < anchor.margin) return b;
    for (const veto of anchor.vetoes ?? []) {
      const v = veto.qValues(x);
      if (v[a]! - v[b]! < anchor.margin) return b;
    }
    return a;
  };
  return {
    name: opts.name,
    decide: (obs, ctx): Action => opts.codec.decode(pick(obs, ctx, maskOf(obs, ctx))),
    explain: (obs, ctx) => {
      const q = opts.acting.qValues(input(obs));
      const mask = maskOf(obs, ctx);
      const i = pick(obs, ctx, mask);
      return `${opts.codec.labels[i]} (Q=${q[i]!.toFixed(3)}, next best ${secondBest(q, i, mask, opts.codec.labels)})`;
    },
  };
}

function secondBest(q: Float32Array, best: number, mask: Uint8Array, labels: readonly string[]): string {
  let j = -1;
  for (let i = 0; i < q.length; i++) if (i !== best && mask[i] && (j < 0 || q[i]! > q[j]!)) j = i;
  return j < 0 ? 'none' : `${labels[j]} Q=${q[j]!.toFixed(3)}`;
}
