import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import type { ActionOutcome, DecisionContext } from '../../env/decision-context.ts';
import { actionLabel, canonicalAction, enumerateActions, isLocal, type Action } from '../../runtime/action.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { createLatencyTable, predictFromTable } from '../../runtime/profile/latency-predictor.ts';
import { BASELINE_NAMES, createPolicy } from '../../policies/registry.ts';
import { exitScores } from '../../policies/model-planner.ts';
import { randomContext, stagePlannerDeps, testManifest } from './fixtures.ts';

const manifest = testManifest([0.6, 0.7, 0.75, 0.8, 0.9]);
const deps = { ...stagePlannerDeps(manifest), seed: 3 };
const { stageProfiles } = deps;
const table = createLatencyTable(manifest, EDGENT_RPI3B, EDGENT_DESKTOP);
const obs = new Float32Array(4);
const predict = (a: Action, c: DecisionContext) => predictFromTable(table, { action: a, bandwidthMbps: c.bandwidthMbps, rttMs: c.rttMs, deviceLoad: c.deviceLoad, edgeLoad: c.edgeLoad });
const contexts = (n: number, seed: number): DecisionContext[] => { const r = createRng(seed); return Array.from({ length: n }, () => randomContext(r)); };

describe('baseline definitions', () => {
  it('device-only never sends and uses the final exit', () => {
    const p = createPolicy('device-only', deps);
    for (const c of contexts(50, 1)) {
      const a = p.decide(obs, c);
      expect(a.exit).toBe(5);
      expect(isLocal(manifest, a)).toBe(true);
      expect(predict(a, c).bytes).toBe(0);
    }
  });

  it('edge-only sends the raw input (partition 0) for the final exit', () => {
    const p = createPolicy('edge-only', deps);
    for (const c of contexts(20, 2)) expect(p.decide(obs, c)).toEqual({ exit: 5, partition: 0, encoding: 'uint8' });
  });

  it('neurosurgeon always takes the final exit at the minimum predicted latency', () => {
    const p = createPolicy('neurosurgeon', deps);
    const finals = enumerateActions(manifest).filter((a) => a.exit === 5);
    let offloaded = 0;
    for (const c of contexts(100, 3)) {
      const a = p.decide(obs, c);
      expect(a.exit).toBe(5);
      const best = Math.min(...finals.map((f) => predict(f, c).totalMs));
      expect(predict(a, c).totalMs).toBe(best);
      if (!isLocal(manifest, a)) offloaded++;
    }
    expect(offloaded).toBeGreaterThan(0);
  });

  it('branchynet is always local and takes the most accurate exit that fits, else the fastest', () => {
    const p = createPolicy('branchynet', deps);
    const locals = enumerateActions(manifest).filter((a) => isLocal(manifest, a));
    const exitsSeen = new Set<number>();
    for (const c of contexts(200, 4)) {
      const a = p.decide(obs, c);
      expect(isLocal(manifest, a)).toBe(true);
      exitsSeen.add(a.exit);
      const fits = locals.filter((l) => predict(l, c).totalMs <= c.deadlineMs);
      if (fits.length > 0) expect(a.exit).toBe(Math.max(...fits.map((l) => l.exit)));
      else expect(predict(a, c).totalMs).toBe(Math.min(...locals.map((l) => predict(l, c).totalMs)));
    }
    expect(exitsSeen.size).toBeGreaterThan(1);
  });

  it('random picks valid actions, reproducibly, and covers the action set', () => {
    const a = createPolicy('random', deps), b = createPolicy('random', deps);
    const seen = new Set<string>();
    for (const c of contexts(400, 5)) {
      const x = a.decide(obs, c);
      expect(b.decide(obs, c)).toEqual(x);
      expect(canonicalAction(manifest, x)).toEqual(x);
      seen.add(actionLabel(manifest, x));
    }
    expect(seen.size).toBeGreaterThan(enumerateActions(manifest).length * 0.8);
  });
});

describe('oracle', () => {
  /** A constructed view: random true latencies per action; some offloads fall back to a random earlier exit. */
  function view(seed: number, deadlineMs: number): DecisionContext {
    const rng = createRng(seed);
    const outcomes = new Map<string, ActionOutcome>();
    for (const a of enumerateActions(manifest)) {
      const totalMs = rng.next() * 2 * deadlineMs;
      const answeredExit = rng.next() < 0.2 ? 1 + rng.int(a.exit) : a.exit;
      outcomes.set(actionLabel(manifest, a), { deviceMs: totalMs / 2, uplinkMs: totalMs / 4, edgeMs: totalMs / 4, totalMs, energyMj: rng.next() * 1000, correct: rng.next() < 0.5, answeredExit });
    }
    return { ...randomContext(rng), deadlineMs, oracle: { outcome: (a) => outcomes.get(actionLabel(manifest, canonicalAction(manifest, a)))! } };
  }
  const scores = exitScores(manifest);
  /** The expected reward of an action: the answering exit's score when on time, −1 otherwise. */
  const value = (c: DecisionContext, a: Action): number => { const o = c.oracle!.outcome(a); return o.totalMs <= c.deadlineMs ? scores[o.answeredExit - 1]! : -1; };

  it('is at least as good as every other policy (on time, answering exit) on every request', () => {
    const oracle = createPolicy('oracle', deps);
    const others = BASELINE_NAMES.filter((n) => n !== 'oracle').map((n) => createPolicy(n, deps));
    let onTime = 0;
    for (let s = 0; s < 100; s++) {
      const c = view(s, 300);
      const o = value(c, oracle.decide(obs, c));
      if (o > -1) onTime++;
      const bestPossible = Math.max(...enumerateActions(manifest).map((a) => value(c, a)));
      expect(o).toBe(bestPossible);
      for (const p of others) expect(o).toBeGreaterThanOrEqual(value(c, p.decide(obs, c)));
    }
    expect(onTime).toBe(100);
  });

  it('throws a clear error without an oracle view', () => {
    const oracle = createPolicy('oracle', deps);
    try {
      oracle.decide(obs, randomContext(createRng(1)));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CoinferError);
      expect((e as CoinferError).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('createPolicy', () => {
  it('creates every baseline under its own name', () => {
    for (const n of BASELINE_NAMES) expect(createPolicy(n, deps).name).toBe(n);
  });

  it('rejects unknown names with ERR_POLICY_UNKNOWN', () => {
    for (const n of ['dqn', 'toString', 'Edgent']) {
      try {
        createPolicy(n, deps);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(CoinferError);
        expect((e as CoinferError).code).toBe('ERR_POLICY_UNKNOWN');
      }
    }
  });

  it('respects a restricted candidate set (e.g. a codec without int8)', () => {
    const actions = enumerateActions(manifest).filter((a) => a.encoding !== 'int8');
    for (const n of ['edgent', 'neurosurgeon', 'random'] as const) {
      const p = createPolicy(n, { ...deps, actions });
      for (const c of contexts(50, 9)) expect(p.decide(obs, c).encoding).not.toBe('int8');
    }
  });
});

describe('calibrated planner', () => {
  it('plans exactly like Edgent when its stage model is the regressions themselves', () => {
    const edgent = createPolicy('edgent', deps);
    const calibrated = createPolicy('calibrated', deps);
    for (const c of contexts(300, 11)) expect(calibrated.decide(obs, c)).toEqual(edgent.decide(obs, c));
  });

  it('plans with its own stage times: a device with 40 ms of per-call overhead moves it off local exits', () => {
    const slow = { ...stageProfiles, device: { ...stageProfiles.device, callOverheadMs: 40 } };
    const calibrated = createPolicy('calibrated', { ...deps, stageProfiles: slow });
    const edgent = createPolicy('edgent', deps);
    let differs = 0;
    for (const c of contexts(300, 12)) if (JSON.stringify(calibrated.decide(obs, c)) !== JSON.stringify(edgent.decide(obs, c))) differs++;
    expect(differs).toBeGreaterThan(0);
  });

  it('refuses to plan without stage profiles, saying how to get them', () => {
    expect(() => createPolicy('calibrated', { manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP })).toThrow(/coinfer profile/);
  });
});

describe('tracking planner', () => {
  const tracking = createPolicy('tracking', deps);
  const calibrated = createPolicy('calibrated', deps);

  it('plans as the calibrated planner while the device and the edge run as profiled', () => {
    for (const c of contexts(200, 13)) {
      expect(tracking.decide(obs, c)).toEqual(calibrated.decide(obs, c));
      expect(tracking.decide(obs, { ...c, measuredSpeeds: { device: 1, edge: 1 } })).toEqual(calibrated.decide(obs, c));
    }
  });

  it('scales the compute it predicts by the measured speeds: a 20× slower edge moves it off edge-heavy actions', () => {
    let moved = 0, edgeBefore = 0, edgeAfter = 0;
    for (const c of contexts(300, 14)) {
      const a = tracking.decide(obs, c);
      const b = tracking.decide(obs, { ...c, measuredSpeeds: { device: 1, edge: 20 } });
      if (JSON.stringify(a) !== JSON.stringify(b)) moved++;
      edgeBefore += predict(a, c).edgeMs;
      edgeAfter += predict(b, c).edgeMs; // at the profile's edge speed: less work sent to the edge
    }
    expect(moved).toBeGreaterThan(0);
    expect(edgeAfter).toBeLessThan(edgeBefore);
  });

  it('predicts compute × speed (the latency model it plans with)', () => {
    const c = contexts(1, 16)[0]!;
    const a = { exit: 5, partition: 3, encoding: 'int8' } as const;
    const base = predictFromTable(table, { action: a, bandwidthMbps: c.bandwidthMbps, rttMs: c.rttMs });
    const slow = predictFromTable(table, { action: a, bandwidthMbps: c.bandwidthMbps, rttMs: c.rttMs, deviceSpeed: 2, edgeSpeed: 3 });
    expect(slow.deviceMs).toBeCloseTo(2 * base.deviceMs, 9);
    expect(slow.edgeMs).toBeCloseTo(3 * base.edgeMs, 9);
    expect(slow.uplinkMs).toBe(base.uplinkMs);
    expect(() => predictFromTable(table, { action: a, bandwidthMbps: 1, rttMs: 1, edgeSpeed: 0 })).toThrow(/edgeSpeed > 0/);
  });
});
