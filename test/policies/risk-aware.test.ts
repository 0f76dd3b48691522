// The risk-aware planner: the tracking planner's model, scored by the expected accuracy on time
// over the device's recent bandwidth surprises, the runtime's fallback included.
import { describe, expect, it } from 'vitest';
import { createRng } from '../../common/rng.ts';
import type { DecisionContext } from '../../env/decision-context.ts';
import { createStagePlanner } from '../../policies/calibrated-planner.ts';
import { exitScores } from '../../policies/model-planner.ts';
import { createPolicy } from '../../policies/registry.ts';
import { bandwidthMultipliers, expectedAccuracyOf, MIN_SURPRISES, PLANNER_FALLBACK_MARGIN_MS } from '../../policies/risk-aware-planner.ts';
import { randomContext, stagePlannerDeps, testManifest } from './fixtures.ts';

const manifest = testManifest([0.6, 0.7, 0.75, 0.8, 0.9]);
const deps = stagePlannerDeps(manifest);
const obs = new Float32Array(4);
const riskAware = createPolicy('risk-aware', deps);
const planner = createStagePlanner(deps, 'test');
const expectedAccuracies = expectedAccuracyOf(planner);
const speeds = { device: 1, edge: 1 };
const contexts = (n: number, seed: number): DecisionContext[] => {
  const r = createRng(seed);
  return Array.from({ length: n }, () => ({ ...randomContext(r), measuredSpeeds: speeds }));
};
const surprises = (...ln: number[]): Float64Array => Float64Array.from(ln);

describe('risk-aware planner', () => {
  it('scores every action as the device runtime would serve it, over each bandwidth multiplier (brute force)', () => {
    const exits = exitScores(manifest);
    const r = createRng(20);
    for (const c of contexts(150, 21)) {
      const preds = planner.predictAll(c, speeds);
      const mult = Float64Array.from({ length: 1 + r.int(6) }, () => 2 ** (4 * r.next() - 2)).sort();
      const v = expectedAccuracies(preds, c.deadlineMs, c.rttMs, mult);
      const locals = preds.map((p, k) => ({ p, k })).filter((x) => x.p.local);
      const cheapest = Math.min(...locals.map((x) => x.p.deviceMs));
      preds.forEach((p, k) => {
        let sum = 0;
        for (const m of mult) {
          if (p.local) { sum += p.totalMs <= c.deadlineMs ? planner.actionScore[k]! : 0; continue; }
          const reply = (p.uplinkMs - c.rttMs / 2) / m + c.rttMs / 2 + p.edgeMs + p.downlinkMs;
          const left = c.deadlineMs - p.deviceMs;
          const reserve = cheapest + PLANNER_FALLBACK_MARGIN_MS;
          const budget = left > reserve ? left - reserve : left;
          if (budget > 0 && reply <= budget) { sum += planner.actionScore[k]!; continue; }
          const waited = Math.max(0, budget);
          const fits = locals.filter((x) => x.p.deviceMs <= c.deadlineMs - p.deviceMs - waited - PLANNER_FALLBACK_MARGIN_MS);
          const pool = fits.length > 0 ? fits : locals.filter((x) => x.p.deviceMs === cheapest);
          const fb = pool.reduce((a, b) => (exits[planner.actions[b.k]!.exit - 1]! > exits[planner.actions[a.k]!.exit - 1]! ? b : a));
          if (p.deviceMs + waited + fb.p.deviceMs <= c.deadlineMs) sum += exits[planner.actions[fb.k]!.exit - 1]!;
        }
        expect(v[k]).toBeCloseTo(sum / mult.length, 9);
      });
    }
  });

  it('picks the action it expects most of, the faster one among equals', () => {
    const r = createRng(26);
    for (const c0 of contexts(200, 27)) {
      const ln = Float64Array.from({ length: 8 }, () => r.next() * 2 - 1.5);
      const c = { ...c0, bandwidthSurprisesLn: ln };
      const preds = planner.predictAll(c, speeds);
      const v = expectedAccuracies(preds, c.deadlineMs, c.rttMs, bandwidthMultipliers(ln));
      const pick = planner.actions.findIndex((a) => JSON.stringify(a) === JSON.stringify(riskAware.decide(obs, c)));
      const best = Math.max(...v);
      expect(v[pick]).toBeCloseTo(best, 12);
      for (let k = 0; k < v.length; k++) if (Math.abs(v[k]! - best) < 1e-12) expect(preds[pick]!.totalMs).toBeLessThanOrEqual(preds[k]!.totalMs);
    }
  });

  it('with the estimate always 4× too high it scores as if it had estimated a quarter, and it moves', () => {
    const quarter = surprises(...Array.from({ length: 8 }, () => Math.log(0.25)));
    let moved = 0;
    for (const c of contexts(300, 22)) {
      const a = riskAware.decide(obs, { ...c, bandwidthSurprisesLn: quarter });
      const low = { ...c, bandwidthMbps: c.bandwidthMbps / 4 };
      const vQuarter = expectedAccuracies(planner.predictAll(c, speeds), c.deadlineMs, c.rttMs, bandwidthMultipliers(quarter));
      const vLow = expectedAccuracies(planner.predictAll(low, speeds), c.deadlineMs, c.rttMs, Float64Array.of(1));
      vQuarter.forEach((x, k) => expect(x).toBeCloseTo(vLow[k]!, 12)); // (ties may break apart: latency at the estimate)
      // too few surprises count as none
      expect(riskAware.decide(obs, { ...c, bandwidthSurprisesLn: quarter.subarray(0, MIN_SURPRISES - 1) })).toEqual(riskAware.decide(obs, c));
      if (JSON.stringify(a) !== JSON.stringify(riskAware.decide(obs, c))) moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('counts an offload that misses its budget as the local exit that then answers', () => {
    const exits = exitScores(manifest);
    const c: DecisionContext = { ...contexts(1, 23)[0]!, bandwidthMbps: 0.05, rttMs: 10, deviceLoad: 0, edgeLoad: 0 };
    const preds = planner.predictAll(c, speeds);
    const i = planner.actions.findIndex((a, k) => a.exit === 5 && !preds[k]!.local && preds[k]!.deviceMs > 0);
    const p = preds[i]!;
    const cheapestLocal = Math.min(...preds.filter((q) => q.local).map((q) => q.deviceMs));
    // a deadline that leaves the offload no budget for its reply but the cheapest exit time to answer
    const deadlineMs = p.deviceMs + cheapestLocal + PLANNER_FALLBACK_MARGIN_MS + 0.5;
    expect(p.totalMs).toBeGreaterThan(deadlineMs);
    const v = expectedAccuracies(preds, deadlineMs, c.rttMs, Float64Array.of(1));
    const cheapestExit = preds.findIndex((q) => q.local && q.deviceMs === cheapestLocal);
    expect(v[i]).toBeCloseTo(exits[planner.actions[cheapestExit]!.exit - 1]!, 12);
    // with a fast enough link in half the surprises the reply makes it half the time
    const fast = (p.uplinkMs - c.rttMs / 2) / 0.4; // transmit ÷ this multiplier fits the 0.5 ms left
    const half = expectedAccuracies(preds, deadlineMs, c.rttMs, Float64Array.of(1, 1, fast * 10, fast * 10));
    const reply = p.totalMs - p.deviceMs - (p.uplinkMs - c.rttMs / 2);
    if (reply <= 0.5) expect(half[i]).toBeCloseTo((v[i]! + planner.actionScore[i]!) / 2, 12);
  });

  it('a local action is worth its accuracy when it fits, nothing when it does not', () => {
    const c = contexts(1, 24)[0]!;
    const preds = planner.predictAll(c, speeds);
    const i = preds.findIndex((p) => p.local);
    for (const deadlineMs of [preds[i]!.totalMs + 1, preds[i]!.totalMs - 1]) {
      const v = expectedAccuracies(preds, deadlineMs, c.rttMs, Float64Array.of(0.5, 1, 2));
      expect(v[i]).toBe(preds[i]!.totalMs <= deadlineMs ? planner.actionScore[i] : 0);
    }
  });

  it('turns surprises into sorted bandwidth multipliers, or trusts the estimate with too few', () => {
    expect(Array.from(bandwidthMultipliers(undefined))).toEqual([1]);
    expect(Array.from(bandwidthMultipliers(new Float64Array(MIN_SURPRISES - 1)))).toEqual([1]);
    const m = bandwidthMultipliers(surprises(Math.log(2), Math.log(0.5), 0, Math.log(4)));
    expect(Array.from(m).map((x) => +x.toFixed(9))).toEqual([0.5, 1, 2, 4]);
  });

  it('explains its pick with the expectation it maximised', () => {
    const c = { ...contexts(1, 25)[0]!, bandwidthSurprisesLn: surprises(0, 0.1, -0.1, 0.2) };
    expect(riskAware.explain!(obs, c)).toMatch(/expected accuracy on time [0-9.]+% over 4 recent bandwidth surprises, fallback included/);
  });
});
