import { describe, expect, it } from 'vitest';
import { createRng } from '../../common/rng.ts';
import { enumerateActions } from '../../runtime/action.ts';
import type { ModelManifest } from '../../runtime/model/manifest.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { createLatencyTable, predictFromTable, predictLatency } from '../../runtime/profile/latency-predictor.ts';
import { createEdgentPolicy } from '../../policies/edgent.ts';
import { context, randomContext, testManifest } from './fixtures.ts';
import type { DecisionContext } from '../../env/decision-context.ts';

const obs = new Float32Array(4);

/** Independent brute force of Edgent's objective: (exit score, predicted ms) of the optimum. */
function bruteForce(manifest: ModelManifest, ctx: DecisionContext): { score: number; totalMs: number } {
  const accs = manifest.exits.map((e) => e.accuracy);
  const score = (exit: number): number => (accs.every((a) => a !== null) ? accs[exit - 1]! : exit);
  const table = createLatencyTable(manifest, EDGENT_RPI3B, EDGENT_DESKTOP);
  const all = enumerateActions(manifest).map((action) => ({
    action,
    totalMs: predictFromTable(table, { action, bandwidthMbps: ctx.bandwidthMbps, rttMs: ctx.rttMs, deviceLoad: ctx.deviceLoad, edgeLoad: ctx.edgeLoad }).totalMs,
  }));
  const fit = all.filter((x) => x.totalMs <= ctx.deadlineMs);
  if (fit.length === 0) return { score: Number.NaN, totalMs: Math.min(...all.map((x) => x.totalMs)) };
  const bestScore = Math.max(...fit.map((x) => score(x.action.exit)));
  return { score: bestScore, totalMs: Math.min(...fit.filter((x) => score(x.action.exit) === bestScore).map((x) => x.totalMs)) };
}

describe('edgent policy', () => {
  it('returns the brute-force optimum on random instances', () => {
    const rng = createRng(11);
    let feasible = 0, infeasible = 0;
    for (let inst = 0; inst < 60; inst++) {
      const accs = rng.next() < 0.2 ? undefined : Array.from({ length: 5 }, () => Math.round(rng.next() * 20) / 20);
      const manifest = testManifest(accs);
      const policy = createEdgentPolicy({ manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP });
      for (let k = 0; k < 10; k++) {
        const ctx = randomContext(rng);
        const a = policy.decide(obs, ctx);
        const pred = predictLatency({ manifest, action: a, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, bandwidthMbps: ctx.bandwidthMbps, rttMs: ctx.rttMs, deviceLoad: ctx.deviceLoad, edgeLoad: ctx.edgeLoad });
        const best = bruteForce(manifest, ctx);
        expect(pred.totalMs).toBeCloseTo(best.totalMs, 9);
        if (Number.isNaN(best.score)) {
          infeasible++;
        } else {
          feasible++;
          const score = accs ? accs[a.exit - 1]! : a.exit;
          expect(score).toBe(best.score);
          expect(pred.totalMs).toBeLessThanOrEqual(ctx.deadlineMs);
        }
      }
    }
    // the random instances exercise both branches
    expect(feasible).toBeGreaterThan(50);
    expect(infeasible).toBeGreaterThan(5);
  });

  it('takes the final exit with a generous deadline and offloads at high bandwidth on the Pi profile', () => {
    const policy = createEdgentPolicy({ manifest: testManifest(), device: EDGENT_RPI3B, edge: EDGENT_DESKTOP });
    const a = policy.decide(obs, context({ deadlineMs: 1000, bandwidthMbps: 10 }));
    expect(a.exit).toBe(5);
    expect(a.partition).toBeLessThan(12);
    expect(policy.explain!(obs, context({ deadlineMs: 1, bandwidthMbps: 0.01 }))).toMatch(/nothing fits/);
  });
});
