// The anchored DQN acts as the planner unless its own choice beats the planner's action by the
// margin in its Q-values; the spec parser names the planner and the margin.
import { describe, expect, it } from 'vitest';
import { parseAnchor } from '../../cli/load-policy.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { createDqnPolicy, type QActor } from '../../policies/dqn-policy.ts';
import type { Policy } from '../../policies/policy.ts';
import { context, testManifest } from './fixtures.ts';

const codec = new ActionCodec(testManifest());
const obs = new Float32Array(4);

/** A Q-network whose values are fixed: action 0 best, then `planned` q below it. */
function actor(q: Float32Array): QActor {
  return {
    qValues: () => q,
    decide: (_o, mask) => {
      let best = -1;
      for (let a = 0; a < q.length; a++) if (mask[a] && (best < 0 || q[a]! > q[best]!)) best = a;
      return best;
    },
  };
}

const planner = (index: number): Policy => ({ name: 'planner', decide: () => codec.decode(index) });

describe('createDqnPolicy with an anchor', () => {
  const q = new Float32Array(codec.size).fill(0);
  q[0] = 1.0;
  q[3] = 0.95; // the planner's action: 0.05 below the network's choice

  it('keeps the planner unless the network is ahead by the margin', () => {
    const pick = (margin: number) => codec.encode(createDqnPolicy({ name: 'd', acting: actor(q), codec, anchor: { policy: planner(3), margin } }).decide(obs, context()));
    expect(pick(0.1)).toBe(3); // 0.05 < 0.1: trust the model
    expect(pick(0.05)).toBe(0); // 0.05 ≥ 0.05: the agent overrides
    expect(pick(0)).toBe(0); // margin 0 is the plain greedy DQN
    expect(codec.encode(createDqnPolicy({ name: 'd', acting: actor(q), codec }).decide(obs, context()))).toBe(0);
  });

  it('lets other networks veto an override they do not rate as far ahead', () => {
    const agree = new Float32Array(codec.size).fill(0);
    agree[0] = 1;
    const doubt = new Float32Array(codec.size).fill(0);
    doubt[0] = 0.5;
    doubt[3] = 0.45; // rates the network's choice only 0.05 above the planner's
    const pick = (vetoes: QActor[]) => codec.encode(createDqnPolicy({ name: 'd', acting: actor(q), codec, anchor: { policy: planner(3), margin: 0.05, vetoes } }).decide(obs, context()));
    expect(pick([])).toBe(0);
    expect(pick([actor(agree)])).toBe(0); // 1.0 ≥ 0.05: the override stands
    expect(pick([actor(agree), actor(doubt)])).toBe(0); // 0.05 ≥ 0.05
    doubt[3] = 0.46;
    expect(pick([actor(agree), actor(doubt)])).toBe(3); // 0.04 < 0.05: one veto keeps the planner
  });

  it('never takes a masked planner action', () => {
    const mask = codec.fullMask().slice();
    mask[3] = 0;
    const p = createDqnPolicy({ name: 'd', acting: actor(q), codec, anchor: { policy: planner(3), margin: 10 } });
    expect(codec.encode(p.decide(obs, context({ actionMask: mask })))).toBe(0);
  });

  it("keeps a planner action outside the network's trained mask: the network never learned its value", () => {
    const trained = codec.fullMask().slice();
    trained[3] = 0;
    const p = createDqnPolicy({ name: 'd', acting: actor(q), codec, mask: () => trained, anchor: { policy: planner(3), margin: 0.01 } });
    expect(codec.encode(p.decide(obs, context()))).toBe(3);
    // unanchored, the trained mask still rules
    expect(codec.encode(createDqnPolicy({ name: 'd', acting: actor(q), codec, mask: () => trained }).decide(obs, context()))).toBe(0);
  });
});

describe('parseAnchor', () => {
  it('splits a spec into the DQN, the planner and the margin', () => {
    expect(parseAnchor('dqn')).toBeNull();
    expect(parseAnchor('dqn+calibrated@0.02')).toEqual({ dqn: 'dqn', planner: 'calibrated', margin: 0.02 });
    expect(parseAnchor('dqn:runs/x+edgent@1')).toEqual({ dqn: 'dqn:runs/x', planner: 'edgent', margin: 1 });
    expect(parseAnchor('dqn+risk-aware@3')).toEqual({ dqn: 'dqn', planner: 'risk-aware', margin: 3 });
  });

  it('refuses an unknown planner or a missing or negative margin', () => {
    for (const bad of ['dqn+oracle@0.1', 'dqn+calibrated', 'dqn+calibrated@-1', 'dqn+calibrated@x', 'dqn+']) {
      expect(() => parseAnchor(bad)).toThrow(/Expected '<dqn spec>\+<planner>@<margin>'/);
    }
  });
});
