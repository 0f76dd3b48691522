/**
 * Size and save/load time of a learner state (`--save-learner-state`) at the `coinfer train`
 * defaults (agent/train-defaults.ts): a full replay ring of random transitions of the env's
 * observation size, Adam allocated by one gradient step, then
 *  - save: capture + encode + the atomic checkpoint write (weights, checkpoint.json, state);
 *  - load: read + check + decode the state file, and apply it to a fresh learner and memory.
 * Medians over `--repeats` runs, into a temp registry that is removed afterwards.
 *
 *   node bin/run-ts.js bench/learner-state.ts [--actions 41] [--capacity 200000] [--repeats 3] [--per] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDqnConfig } from '../agent/dqn-config.ts';
import { DqnLearner } from '../agent/dqn-learner.ts';
import { applyLearnerState, captureLearnerState } from '../agent/learner-state.ts';
import { ReplayMemory } from '../agent/replay-memory.ts';
import { TRAIN_DQN_DEFAULTS } from '../agent/train-defaults.ts';
import { readCheckpoint, readLearnerState, saveCheckpoint } from '../checkpoints/checkpoint-io.ts';
import { createRng } from '../common/rng.ts';
import { loadTf } from '../common/tf-backend.ts';
import { OBSERVATION_SIZE } from '../env/observation.ts';

const { values: args } = parseArgs({
  options: { actions: { type: 'string', default: '41' }, capacity: { type: 'string' }, repeats: { type: 'string', default: '3' }, per: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const actionCount = Number(args.actions);
const repeats = Number(args.repeats);
const config = resolveDqnConfig({ ...TRAIN_DQN_DEFAULTS, ...(args.capacity ? { replayCapacity: Number(args.capacity) } : {}), ...(args.per ? { prioritized: {} } : {}) });
const { tf, backend } = await loadTf();
const rng = createRng(1);

const learner = new DqnLearner(tf, { config, observationSize: OBSERVATION_SIZE, actionCount });
const memory = new ReplayMemory({ capacity: config.replayCapacity, observationSize: OBSERVATION_SIZE, actionCount, prioritized: config.prioritized });
const n = config.replayCapacity;
const rows = {
  size: n,
  observations: Float32Array.from({ length: n * OBSERVATION_SIZE }, () => rng.next()),
  nextObservations: Float32Array.from({ length: n * OBSERVATION_SIZE }, () => rng.next()),
  actions: Int32Array.from({ length: n }, () => rng.int(actionCount)),
  rewards: Float32Array.from({ length: n }, () => rng.next()),
  discounts: new Float32Array(n).fill(config.gamma),
  nextActionMasks: new Uint8Array(n * actionCount).fill(1),
};
memory.addRows(rows);
learner.trainRound(memory, rng, n); // allocates Adam's moments

const root = await mkdtemp(join(tmpdir(), 'coinfer-bench-ls-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const saveMs: number[] = [];
const loadMs: number[] = [];
let bytes = 0;
try {
  for (let r = 0; r < repeats; r++) {
    let t0 = performance.now();
    const state = await captureLearnerState({ learner, memory, envSteps: n, betaSteps: n, rngs: { sample: rng } });
    const ck = await saveCheckpoint(tf, { root, model: learner.onlineNet, step: n + r, dqnConfig: config, learnerState: state });
    saveMs.push(performance.now() - t0);
    bytes = ck.meta.learnerState!.bytes;
    t0 = performance.now();
    const loaded = (await readLearnerState(ck.dir, await readCheckpoint(ck.dir)))!;
    const fresh = new DqnLearner(tf, { config, observationSize: OBSERVATION_SIZE, actionCount, initialWeights: learner.getWeights() });
    const freshMemory = new ReplayMemory({ capacity: config.replayCapacity, observationSize: OBSERVATION_SIZE, actionCount, prioritized: config.prioritized });
    await applyLearnerState(loaded, { learner: fresh, memory: freshMemory });
    loadMs.push(performance.now() - t0);
    fresh.dispose();
  }
} finally {
  await rm(root, { recursive: true, force: true });
  learner.dispose();
}
const result = { backend, replayCapacity: n, observationSize: OBSERVATION_SIZE, actionCount, prioritized: config.prioritized !== null, bytes, saveMs: Math.round(median(saveMs)), loadMs: Math.round(median(loadMs)), repeats };
if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`learner state at replay capacity ${n} (${OBSERVATION_SIZE} features, ${actionCount} actions, ${result.prioritized ? 'PER' : 'uniform'}, backend ${backend}): ${(bytes / 1e6).toFixed(1)} MB; save ${result.saveMs} ms, load ${result.loadMs} ms (median of ${repeats})\n`);
