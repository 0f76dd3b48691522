/**
 * DQN agent throughput on this machine (tfjs backend from loadTf(), one process):
 *  - env steps/s, acting only: batched ε-greedy over the replay env's lanes + n-step + replay
 *    inserts, no learning (the default numEnvs, and 1 lane for comparison);
 *  - env steps/s, acting + learning: `trainDqn` with the `coinfer train` defaults
 *    (agent/train-defaults.ts), and with the single-env cadence the loop had before
 *    vectorisation (1 lane, a batch of 64 every 2 env steps) through the same loop;
 *  - learner updates/s (train rounds of one gradient step) at the default batch and at 64;
 *  - the decision time of the shipped policy `dqn` (µs per request, one request at a time on
 *    one core, through the Policy the device calls).
 *
 *   npm run bench:agent -- [--learn-steps 100000] [--legacy-steps 10000] [--seconds 4] [--json]
 */
import { parseArgs } from 'node:util';
import { ActingPolicy } from '../agent/acting-policy.ts';
import { replayRatio, resolveDqnConfig, type DqnConfig } from '../agent/dqn-config.ts';
import { DqnLearner } from '../agent/dqn-learner.ts';
import { readWeights } from '../agent/q-network.ts';
import { ReplayMemory } from '../agent/replay-memory.ts';
import { TRAIN_DQN_DEFAULTS, TRAIN_ENV_DEFAULTS } from '../agent/train-defaults.ts';
import { trainDqn } from '../agent/train-loop.ts';
import { VecNStep } from '../agent/vec-n-step.ts';
import { SHIPPED_CHECKPOINT_ROOT } from '../checkpoints/resolve-checkpoint.ts';
import { createRng } from '../common/rng.ts';
import { loadTf, type Tf } from '../common/tf-backend.ts';
import { sideTimesFromRegression, stageProfilesOf, type ComputeTimes } from '../env/compute-times.ts';
import { loadPolicy, resolvePolicyCheckpoint } from '../cli/load-policy.ts';
import type { DecisionContext } from '../env/decision-context.ts';
import { loadSplitTraces } from '../env/load-traces.ts';
import { VecReplayEnv } from '../env/vec-replay-env.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../runtime/profile/edgent-profiles.ts';
import { modelOrRandom } from './model-or-random.ts';

const { values } = parseArgs({
  options: {
    'learn-steps': { type: 'string', default: '100000' },
    'legacy-steps': { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const learnSteps = Number(values['learn-steps']);
const legacySteps = Number(values['legacy-steps']);
const seconds = Number(values.seconds);
for (const [k, v] of [['--learn-steps', learnSteps], ['--legacy-steps', legacySteps], ['--seconds', seconds]] as const) {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`Expected ${k} a positive number, actually ${v}`);
}
const say = (line: string) => { if (!values.json) process.stdout.write(`${line}\n`); };

interface World {
  readonly manifest: ModelManifest;
  readonly computeTimes: ComputeTimes;
  readonly traces: readonly BandwidthTrace[];
}
const makeEnv = (w: World, numEnvs: number) => new VecReplayEnv({ manifest: w.manifest, computeTimes: w.computeTimes, traces: w.traces, numEnvs, config: TRAIN_ENV_DEFAULTS });

/** Acting only: the loop's collection path (batched ε-greedy, step, n-step rows, replay inserts) for about `seconds`. */
function actingOnly(w: World, config: DqnConfig, weights: ReturnType<typeof readWeights>): number {
  const env = makeEnv(w, config.numEnvs);
  env.reset(1);
  const [N, O, A] = [env.numEnvs, env.observationSize, env.actionCount];
  const policy = new ActingPolicy(weights);
  const memory = new ReplayMemory({ capacity: config.replayCapacity, observationSize: O, actionCount: A });
  const nStep = new VecNStep({ numEnvs: N, observationSize: O, actionCount: A, nStep: config.nStep, gamma: config.gamma });
  const rng = createRng(2);
  const obs = new Float32Array(N * O);
  const actions = new Int32Array(N);
  const nextObs = new Float32Array(N * O);
  const run = (ms: number): number => {
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      obs.set(env.observations);
      policy.decideBatch(obs, env.masks, { rows: N, epsilon: 0.05, rng, out: actions });
      env.step(actions);
      nextObs.set(env.observations);
      for (let i = 0; i < N; i++) if (env.truncated[i]) nextObs.set(env.finalObservations.subarray(i * O, (i + 1) * O), i * O);
      memory.addRows(nStep.push({ observations: obs, actions, rewards: env.rewards, nextObservations: nextObs, nextActionMasks: env.masks, terminated: env.terminated, truncated: env.truncated }));
      steps += N;
    }
    return steps / ((performance.now() - t0) / 1000);
  };
  run(500); // JIT warm-up
  return run(seconds * 1000);
}

/** Acting + learning through `trainDqn`: env steps/s and gradient steps/s over the whole call (learningStarts included). */
async function actingAndLearning(tf: Tf, w: World, config: DqnConfig, steps: number): Promise<{ envStepsPerS: number; updatesPerS: number; gradientSteps: number; seconds: number }> {
  const t0 = performance.now();
  const r = await trainDqn(tf, { env: makeEnv(w, config.numEnvs), config, steps, progressEvery: steps });
  const s = (performance.now() - t0) / 1000;
  const gradientSteps = r.learner.gradientSteps;
  r.learner.dispose();
  return { envStepsPerS: (r.step) / s, updatesPerS: gradientSteps / s, gradientSteps, seconds: s };
}

/** Train rounds of one gradient step at `batchSize`, on a memory of random transitions. */
function learnerUpdates(tf: Tf, config: DqnConfig, batchSize: number, O: number, A: number): { updatesPerS: number; msPerUpdate: number } {
  const c = { ...config, batchSize, gradientSteps: 1 };
  const learner = new DqnLearner(tf, { config: c, observationSize: O, actionCount: A });
  const memory = new ReplayMemory({ capacity: 10_000, observationSize: O, actionCount: A, prioritized: c.prioritized });
  const rng = createRng(3);
  const n = 10_000;
  memory.addRows({
    size: n, observations: new Float32Array(n * O).map(() => rng.next()), actions: new Int32Array(n).map(() => rng.int(A)), rewards: new Float32Array(n).map(() => rng.next()),
    nextObservations: new Float32Array(n * O).map(() => rng.next()), discounts: new Float32Array(n).fill(c.gamma), nextActionMasks: new Uint8Array(n * A).fill(1),
  });
  for (let i = 0; i < 5; i++) learner.trainRound(memory, rng, n); // kernels, Adam state
  const rounds = 40;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) learner.trainRound(memory, rng, n);
  const ms = (performance.now() - t0) / rounds;
  learner.dispose();
  return { updatesPerS: 1000 / ms, msPerUpdate: ms };
}

/**
 * µs per decision of the shipped `dqn` through its Policy as `coinfer eval` and the device load
 * it (cli/load-policy.ts: its observation prefix and its deadline mask, when trained with one),
 * one request at a time, on real observations and contexts.
 */
async function shippedDecision(tf: Tf, w: World): Promise<{ checkpoint: string; meanUs: number; p50Us: number; p99Us: number }> {
  const env = makeEnv(w, 64);
  env.reset(4);
  const policyDeps = { manifest: w.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, stageProfiles: stageProfilesOf(w.manifest, w.computeTimes), actions: env.codec.actions };
  const ck = (await resolvePolicyCheckpoint('dqn', SHIPPED_CHECKPOINT_ROOT))!;
  const { policy } = await loadPolicy('dqn', { codec: env.codec, observationSize: env.observationSize, policyDeps, checkpointsRoot: SHIPPED_CHECKPOINT_ROOT, tf, report: () => {} });
  const samples: { obs: Float32Array; ctx: DecisionContext }[] = [];
  const rng = createRng(5);
  const actions = new Int32Array(env.numEnvs);
  while (samples.length < 4096) {
    for (let i = 0; i < env.numEnvs; i++) samples.push({ obs: env.observations.slice(i * env.observationSize, (i + 1) * env.observationSize), ctx: env.context(i) });
    for (let i = 0; i < env.numEnvs; i++) actions[i] = rng.int(env.actionCount);
    env.step(actions);
  }
  let sink = 0;
  for (let i = 0; i < 50_000; i++) sink += policy.decide(samples[i % samples.length]!.obs, samples[i % samples.length]!.ctx).exit; // JIT warm-up
  const n = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink += policy.decide(samples[i % samples.length]!.obs, samples[i % samples.length]!.ctx).exit;
  const meanUs = ((performance.now() - t0) * 1000) / n;
  const each = new Float64Array(20_000);
  for (let i = 0; i < each.length; i++) {
    const s = samples[i % samples.length]!;
    const t = process.hrtime.bigint();
    sink += policy.decide(s.obs, s.ctx).exit;
    each[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  each.sort();
  if (sink < 0) say(''); // keeps the decisions from being optimised away
  return { checkpoint: ck.id, meanUs, p50Us: each[Math.floor(each.length * 0.5)]!, p99Us: each[Math.floor(each.length * 0.99)]! };
}

const { tf, backend } = await loadTf();
const { pkg, source, cleanup } = await modelOrRandom();
const world: World = {
  manifest: pkg.manifest,
  traces: await loadSplitTraces({ split: 'train' }),
  computeTimes: {
    device: sideTimesFromRegression(pkg.manifest, EDGENT_RPI3B, Float64Array.of(0.97, 1, 1.04), 1),
    edge: sideTimesFromRegression(pkg.manifest, EDGENT_DESKTOP, Float64Array.of(0.97, 1, 1.04), 0.5),
    source: 'edgent',
  },
};
const config = resolveDqnConfig(TRAIN_DQN_DEFAULTS);
const legacy = resolveDqnConfig({ ...TRAIN_DQN_DEFAULTS, numEnvs: 1, batchSize: 64, trainEvery: 2, targetUpdateEvery: 500, learningStarts: 2_000 });
const probe = makeEnv(world, 1);
const [O, A] = [probe.observationSize, probe.actionCount];
say(`model: ${source}; backend ${backend}; ${world.traces.length} train traces; ${O} features → ${A} actions; hidden ${config.hidden.join('-')}`);
say(`defaults: ${config.numEnvs} lanes, batch ${config.batchSize} every ${config.trainEvery} env steps (${(config.gradientSteps / config.trainEvery).toFixed(4)} updates and ${replayRatio(config)} samples per env step); before: 1 lane, batch ${legacy.batchSize} every ${legacy.trainEvery} (${(legacy.gradientSteps / legacy.trainEvery).toFixed(2)} updates, ${replayRatio(legacy)} samples per env step)`);

const fresh = new DqnLearner(tf, { config, observationSize: O, actionCount: A });
const weights = fresh.getWeights();
fresh.dispose();
const acting = { lanes: actingOnly(world, config, weights), single: actingOnly(world, { ...config, numEnvs: 1 }, weights) };
say(`acting only:        ${Math.round(acting.lanes).toLocaleString()} env steps/s with ${config.numEnvs} lanes, ${Math.round(acting.single).toLocaleString()} with 1 lane`);
const updates = { default: learnerUpdates(tf, config, config.batchSize, O, A), batch64: learnerUpdates(tf, config, 64, O, A) };
say(`learner updates:    ${updates.default.updatesPerS.toFixed(1)}/s at batch ${config.batchSize} (${updates.default.msPerUpdate.toFixed(2)} ms), ${updates.batch64.updatesPerS.toFixed(1)}/s at batch 64 (${updates.batch64.msPerUpdate.toFixed(2)} ms)`);
const learned = await actingAndLearning(tf, world, config, learnSteps);
say(`acting + learning:  ${Math.round(learned.envStepsPerS).toLocaleString()} env steps/s (${learnSteps.toLocaleString()} steps in ${learned.seconds.toFixed(1)} s, ${learned.gradientSteps} updates, ${learned.updatesPerS.toFixed(1)}/s) with the defaults → 1 M env steps ≈ ${(1e6 / learned.envStepsPerS / 60).toFixed(1)} min`);
const before = await actingAndLearning(tf, world, legacy, legacySteps);
say(`                    ${Math.round(before.envStepsPerS).toLocaleString()} env steps/s (${legacySteps.toLocaleString()} steps in ${before.seconds.toFixed(1)} s, ${before.updatesPerS.toFixed(1)} updates/s) with the single-env cadence of before`);
const decision = await shippedDecision(tf, world);
say(`shipped dqn:        ${decision.meanUs.toFixed(1)} µs per decision (p50 ${decision.p50Us.toFixed(1)}, p99 ${decision.p99Us.toFixed(1)} µs; one request at a time, one core; checkpoint ${decision.checkpoint})`);
if (values.json) {
  process.stdout.write(`${JSON.stringify({
    model: source, backend, numEnvs: config.numEnvs, batchSize: config.batchSize, trainEvery: config.trainEvery, replayRatio: replayRatio(config),
    actingOnlyEnvStepsPerS: acting.lanes, actingOnlySingleLaneEnvStepsPerS: acting.single,
    learnerUpdatesPerS: updates.default.updatesPerS, learnerUpdatesPerSBatch64: updates.batch64.updatesPerS,
    actingLearningEnvStepsPerS: learned.envStepsPerS, actingLearningUpdatesPerS: learned.updatesPerS, actingLearningSteps: learnSteps,
    legacyEnvStepsPerS: before.envStepsPerS, legacyUpdatesPerS: before.updatesPerS, legacySteps,
    decisionUs: decision.meanUs, decisionP50Us: decision.p50Us, decisionP99Us: decision.p99Us, shippedCheckpoint: decision.checkpoint,
  })}\n`);
}
await cleanup();
