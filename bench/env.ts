/**
 * Replay-env throughput: steps per second of VecReplayEnv on one core (goal ≥ 200k/s), with
 * random valid actions, on the shipped model (or a random package when none is shipped).
 * Run: npm run bench:env
 */
import { createRng } from '../common/rng.ts';
import { sideTimesFromRegression } from '../env/compute-times.ts';
import { loadSplitTraces } from '../env/load-traces.ts';
import { VecReplayEnv } from '../env/vec-replay-env.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../runtime/profile/edgent-profiles.ts';
import { modelOrRandom } from './model-or-random.ts';

const { pkg, source: label, cleanup } = await modelOrRandom();
const traces = await loadSplitTraces({ split: 'train' });
const times = {
  device: sideTimesFromRegression(pkg.manifest, EDGENT_RPI3B, Float64Array.of(0.97, 1, 1.04), 1),
  edge: sideTimesFromRegression(pkg.manifest, EDGENT_DESKTOP, Float64Array.of(0.97, 1, 1.04), 0.5),
  source: 'edgent',
};
console.log(`model: ${label}; ${traces.length} train traces`);
for (const numEnvs of [1, 16, 256]) {
  const env = new VecReplayEnv({ manifest: pkg.manifest, actionAccuracy: pkg.actionAccuracy, computeTimes: times, traces, numEnvs });
  env.reset(1);
  const rng = createRng(2);
  const actions = new Int32Array(numEnvs);
  const run = (steps: number): number => {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < numEnvs; i++) actions[i] = rng.int(env.actionCount);
      env.step(actions);
    }
    return performance.now() - t0;
  };
  run(Math.ceil(20_000 / numEnvs)); // warm-up (JIT)
  const steps = Math.ceil(1_000_000 / numEnvs);
  const ms = run(steps);
  const sps = (steps * numEnvs) / (ms / 1000);
  console.log(`numEnvs=${String(numEnvs).padStart(3)}  ${(steps * numEnvs).toLocaleString()} steps in ${ms.toFixed(0)} ms  →  ${Math.round(sps).toLocaleString()} steps/s (goal ≥ 200,000)`);
}
await cleanup();
