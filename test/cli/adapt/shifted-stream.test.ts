import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftedStream } from '../../../cli/adapt/shifted-stream.ts';
import { ReplayEnv } from '../../../env/replay-env.ts';
import { constantTrace } from '../../../runtime/link/trace.ts';
import type { ModelPackage } from '../../../runtime/model/model-package.ts';
import { edgentTimes, randomPackage } from '../../env/fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
});
afterAll(async () => cleanup());

const env = (mbps: number, slowdown: number) =>
  new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(mbps, 600)], config: { scenario: { episodeRequests: 50 }, variation: { deviceSlowdown: slowdown } } });

async function serve(seed: number, actionOf: (i: number) => number) {
  const before = env(5, 1);
  const stream = new ShiftedStream({ before, after: env(0.5, 2), shiftAt: 4, codec: before.vec.codec });
  const { info } = await stream.reset(seed);
  const deadlines = [info.context.deadlineMs];
  const rows = [];
  for (let i = 0; i < 8; i++) {
    const local = (stream.env as ReplayEnv).vec.table.local;
    const { result, next } = await stream.step(actionOf(i) % local.length);
    rows.push({ truncated: result.truncated, deviceMs: result.info.outcome!.deviceMs, traceName: result.info.outcome!.traceName });
    deadlines.push(next.info.context.deadlineMs);
  }
  await stream.close();
  return { rows, deadlines };
}

describe('ShiftedStream', () => {
  it('serves the world before for shiftAt requests, marks the last one truncated, then the world after', async () => {
    const { rows } = await serve(3, () => 0);
    expect(rows.map((r) => r.truncated)).toEqual([false, false, false, true, false, false, false, false]);
    expect(new Set(rows.slice(0, 4).map((r) => r.traceName))).toEqual(new Set(['constant-5mbps']));
    expect(new Set(rows.slice(4).map((r) => r.traceName))).toEqual(new Set(['constant-0.5mbps']));
  });

  it('gives every policy the same requests for the same seed, whatever it chooses', async () => {
    const a = await serve(9, () => 0);
    const b = await serve(9, (i) => 3 * i + 1);
    expect(b.deadlines).toEqual(a.deadlines);
    expect((await serve(10, () => 0)).deadlines).not.toEqual(a.deadlines);
  });
});
