/**
 * One `coinfer learner` run: a DQN learner and its replay memory (fresh, or resumed from a
 * checkpoint with its learner state and ingest state), the learner loop over the broker, and a
 * checkpoint with the learner state after every `checkpointEveryTransitions` (scored on the
 * world's validation traces when asked), whose entries are acknowledged once it is on disk.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { BrokerConfig, LearnerLoopConfig } from '../agent/distributed/distributed-config.ts';
import { runLearner, type DistributedLearnerState, type LearnerProgress, type LearnerResult } from '../agent/distributed/learner-loop.ts';
import { RedisBroker } from '../agent/distributed/redis-broker.ts';
import { describeObjective } from '../agent/distributed/weights-codec.ts';
import { DqnLearner } from '../agent/dqn-learner.ts';
import { applyLearnerState } from '../agent/learner-state.ts';
import { readWeights } from '../agent/q-network.ts';
import { ReplayMemory } from '../agent/replay-memory.ts';
import { loadCheckpoint, readLearnerState, saveCheckpoint } from '../checkpoints/checkpoint-io.ts';
import { resolveCheckpoint } from '../checkpoints/resolve-checkpoint.ts';
import { CoinferError } from '../common/errors.ts';
import { createRng } from '../common/rng.ts';
import { loadTf } from '../common/tf-backend.ts';
import { OBSERVATION_SIZE, OBSERVATION_VERSION } from '../env/observation.ts';
import { objectiveOf } from '../env/scenario-file.ts';
import { distributedDqnConfig, distributedObjective, type DistributedWorld } from './distributed-world.ts';
import { DEFAULT_TRAIN_SEED } from './commands/train.ts';
import { EVAL_SEED } from './train-run.ts';
import { validationEvaluator } from './train-callbacks.ts';

export interface LearnerRunOptions {
  readonly world: DistributedWorld;
  readonly broker: BrokerConfig;
  readonly loop: LearnerLoopConfig;
  /** `--dqn` overrides (JSON) over the `coinfer train` defaults, or over a resumed checkpoint's config. */
  readonly dqnJson: string;
  /** undefined: the resumed checkpoint's seed, else the default one. */
  readonly seed: number | undefined;
  readonly out: string;
  readonly resume: string | undefined;
  /** Validation episodes scored at each checkpoint (0: none). */
  readonly evalEpisodes: number;
  readonly consumer: string | undefined;
  readonly signal: AbortSignal;
  readonly onProgress: (p: LearnerProgress) => void;
  readonly onCheckpoint: (c: { readonly id: string; readonly ingested: number; readonly metrics: Readonly<Record<string, number>> }) => void;
  readonly say: (line: string) => void;
}

/** The ingest state a learner checkpoint stores in its env config. */
function savedState(envConfig: unknown, id: string): DistributedLearnerState {
  const d = (envConfig as { distributed?: DistributedLearnerState } | null)?.distributed;
  if (!d || typeof d !== 'object' || typeof d.runId !== 'string') {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Checkpoint ${id} was not written by coinfer learner (no ingest state): resume a learner checkpoint, or start afresh without --resume`);
  }
  return d;
}

export async function learnerRun(o: LearnerRunOptions): Promise<LearnerResult> {
  const { tf } = await loadTf();
  const { world } = o;
  const A = world.codec.size;
  const ck = o.resume ? await resolveCheckpoint(o.out, o.resume, { expect: { observationSize: OBSERVATION_SIZE, actionCount: A, actionLabels: world.codec.labels } }) : null;
  const dqn = ck ? distributedDqnConfig(o.dqnJson, o.seed, ck.meta.dqnConfig) : distributedDqnConfig(o.dqnJson, o.seed ?? DEFAULT_TRAIN_SEED);
  const learner = new DqnLearner(tf, { config: dqn, observationSize: OBSERVATION_SIZE, actionCount: A });
  const memory = new ReplayMemory({ capacity: dqn.replayCapacity, observationSize: OBSERVATION_SIZE, actionCount: A, prioritized: dqn.prioritized });
  let sampleRng = createRng(dqn.seed + 1);
  let resume: DistributedLearnerState | undefined;
  let parentId: string | null = null;
  let broker: RedisBroker | null = null;
  try {
    broker = await RedisBroker.connect(o.broker);
    o.say(`replay ratio ${(dqn.batchSize * dqn.gradientSteps) / dqn.trainEvery} samples per transition, seed ${dqn.seed}`);
    if (ck) {
      resume = savedState(ck.meta.envConfig, ck.id);
      const reward = (ck.meta.envConfig as { reward?: Parameters<typeof distributedObjective>[0] }).reward;
      const theirs = reward ? describeObjective(distributedObjective(reward)) : 'unrecorded';
      if (theirs !== describeObjective(world.objective)) throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Checkpoint ${ck.id}: expected objective ${describeObjective(world.objective)} (this run), actually ${theirs}: resume with its scenario and --energy-lambda`);
      const { model } = await loadCheckpoint(tf, ck.dir);
      learner.setWeights(readWeights(model));
      model.dispose();
      const state = await readLearnerState(ck.dir, ck.meta);
      if (state) sampleRng = (await applyLearnerState(state, { learner, memory })).rngs['sample'] ?? sampleRng;
      parentId = ck.id;
      o.say(`resuming learner run ${resume.runId} from checkpoint ${ck.id}: ${resume.ingested} transitions learned, ${memory.size} in replay, ${learner.gradientSteps} gradient steps; pending entries are re-read first`);
    }
    const evaluator = o.evalEpisodes > 0
      ? validationEvaluator({ manifest: world.pkg.manifest, actionAccuracy: world.pkg.actionAccuracy, computeTimes: world.times.computeTimes, traces: world.validation, config: world.evalInput, codec: world.codec, episodes: o.evalEpisodes, seed: EVAL_SEED })
      : null;
    const envConfig = JSON.parse(JSON.stringify(world.envConfig)) as Record<string, unknown>;
    return await runLearner({
      learner, memory, source: broker, weights: broker, config: o.loop, objective: world.objective, observationVersion: OBSERVATION_VERSION, sampleRng,
      consumer: o.consumer ?? `${hostname()}-${process.pid}`, runId: randomBytes(6).toString('hex'),
      ...(resume ? { resume } : {}),
      signal: o.signal, onProgress: o.onProgress, onWarning: (m) => o.say(`warning: ${m}`),
      onCheckpoint: async (e) => {
        const metrics = evaluator ? await evaluator.evaluate(e.learner, e.state.ingested) : {};
        const learnerState = await e.captureLearnerState();
        const ck = await saveCheckpoint(tf, {
          root: o.out, model: e.learner.onlineNet, step: e.state.ingested, dqnConfig: dqn, parentId, learnerState,
          envConfig: JSON.parse(JSON.stringify({ ...envConfig, distributed: e.state })),
          objective: objectiveOf(world.envConfig.reward), scenario: world.world.name, actionLabels: world.codec.labels,
          traceSplit: { train: world.train.map((t) => t.name), validation: world.validation.map((t) => t.name), test: [] },
          evalMetrics: metrics, evalSplit: evaluator ? 'validation' : null, evalTraces: evaluator?.lastTraces() ?? [],
        });
        parentId = ck.id;
        o.onCheckpoint({ id: ck.id, ingested: e.state.ingested, metrics });
      },
    });
  } finally {
    learner.dispose();
    await broker?.close();
  }
}
