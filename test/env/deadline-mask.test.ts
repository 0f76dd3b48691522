// The deadline mask: actions predicted to take far longer than the deadline are invalid, in the
// env (training) and in a served policy (from the observation and context alone) alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEnv } from '../../env/check-env.ts';
import { profileFromActionTable, profileFromLatencyTable } from '../../env/action-profile.ts';
import { stageProfilesOf } from '../../env/compute-times.ts';
import { writeDeadlineMask } from '../../env/deadline-mask.ts';
import { ReplayEnv } from '../../env/replay-env.ts';
import { plannedLatencyMs } from '../../env/planner-slack.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { createLatencyTableFromStages } from '../../runtime/profile/latency-predictor.ts';
import { edgentTimes, randomPackage } from './fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
});
afterAll(async () => cleanup());

const scenario = { episodeRequests: 60, deadline: { kind: 'uniform', minMs: 5, maxMs: 400 } } as const;
const make = (factor: number | null, mbps = 2) => new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(mbps, 3600)], config: { scenario, deadlineMaskFactor: factor } });

describe('deadline mask', () => {
  it('masks exactly the actions the planner predicts beyond factor × deadline, keeping at least one', async () => {
    const e = make(1.5);
    const profile = profileFromActionTable(e.vec.table);
    let partial = 0, single = 0;
    for (let seed = 0; seed < 40; seed++) {
      // at reset nothing is measured yet: speeds as profiled, so the rule is the plain planner's
      const r = await e.reset({ seed });
      const ctx = r.info.context;
      expect(Array.from(ctx.actionMask!)).toEqual(Array.from(r.info.actionMask));
      const valid = r.info.actionMask.reduce((n, m) => n + m, 0);
      if (valid === 1) {
        single++;
        continue;
      }
      for (let a = 0; a < profile.size; a++) expect(r.info.actionMask[a]).toBe(plannedLatencyMs(profile, a, ctx) <= 1.5 * ctx.deadlineMs ? 1 : 0);
      if (valid < profile.size) partial++;
    }
    expect(partial).toBeGreaterThan(5); // the mask bites
    expect(single).toBeGreaterThan(0); // and some deadlines leave only the fastest action
    const u = await make(null).reset({ seed: 4 });
    expect(u.info.actionMask.every((m) => m === 1)).toBe(true);
    expect(u.info.context.actionMask).toBeUndefined();
  });

  it('keeps the fastest action when nothing fits, and everything when all fit', () => {
    const e = make(1);
    const p = profileFromActionTable(e.vec.table);
    const obs = new Float32Array(23).fill(0.25); // speeds as profiled
    const out = new Uint8Array(p.size);
    const ctx = { deadlineMs: 0.001, bandwidthMbps: 1, rttMs: 10, deviceLoad: 0, edgeLoad: 0 };
    expect(writeDeadlineMask(out, 0, p, ctx, obs, 0, 1)).toBe(1);
    const only = out.indexOf(1);
    for (let a = 0; a < p.size; a++) expect(plannedLatencyMs(p, only, ctx)).toBeLessThanOrEqual(plannedLatencyMs(p, a, ctx));
    expect(writeDeadlineMask(out, 0, p, { ...ctx, deadlineMs: 1e9 }, obs, 0, 1)).toBe(p.size);
    // a device measured 4× slower than profiled masks local actions a profile-trusting planner would keep
    const slow = new Float32Array(23).fill(0.25);
    slow[9] = 0.75;
    const tight = { ...ctx, deadlineMs: plannedLatencyMs(p, p.localBest, ctx) * 1.2, bandwidthMbps: 1e-6 };
    writeDeadlineMask(out, 0, p, tight, obs, 0, 1);
    expect(out[p.localBest]).toBe(1);
    writeDeadlineMask(out, 0, p, tight, slow, 0, 1);
    expect(out[p.localBest]).toBe(0);
  });

  it('a served policy computes the same mask from the fused stage fits as the env from its table', async () => {
    const times = edgentTimes(pkg);
    const e = make(2, 8);
    const stages = stageProfilesOf(pkg.manifest, times);
    const served = profileFromLatencyTable(createLatencyTableFromStages(pkg.manifest, stages.device, stages.edge), e.vec.codec.actions, new Float64Array(e.vec.codec.size));
    let r = await e.reset({ seed: 6 });
    const out = new Uint8Array(e.vec.codec.size);
    for (let i = 0; i < 60; i++) {
      writeDeadlineMask(out, 0, served, r.info.context, r.observation, 0, 2);
      expect(Array.from(out)).toEqual(Array.from(r.info.actionMask));
      r = await e.step(i % e.vec.codec.size === 0 ? r.info.actionMask.indexOf(1) : r.info.actionMask.lastIndexOf(1));
    }
  });

  it('the masked replay env passes checkEnv (the final step reports its own mask)', async () => {
    await checkEnv(() => make(1.5), { steps: 70 });
  });
});
