/**
 * Learner state for online learning (`coinfer device --learn`): build the trainer from a
 * checkpoint's learner state when it has one (replay, Adam, target net, counters, sampling
 * stream), say which happened, and capture the state again for `--save-learner-state`.
 */
import type { DqnLearner } from '../agent/dqn-learner.ts';
import { DqnTrainer } from '../agent/dqn-trainer.ts';
import { applyLearnerState, captureLearnerState, type LearnerState } from '../agent/learner-state.ts';
import { ReplayMemory } from '../agent/replay-memory.ts';
import { readLearnerState } from '../checkpoints/checkpoint-io.ts';
import type { CheckpointMeta } from '../checkpoints/checkpoint-meta.ts';
import type { Rng } from '../common/rng.ts';

/** `12.3 MB` (decimal units, as `ls -h --si`). */
export function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(1)} kB` : `${bytes} B`;
}

/**
 * A trainer for `learner` (holding the checkpoint's weights) that continues from the
 * checkpoint's learner state when present, else starts with an empty replay and fresh Adam.
 * @throws CoinferError ERR_CHECKPOINT_CORRUPT / ERR_CHECKPOINT_INCOMPATIBLE from the state file.
 */
export async function resumedTrainer(
  learner: DqnLearner,
  o: { readonly dir: string; readonly meta: CheckpointMeta; /** Sampling stream when there is no saved one. */ readonly rng: Rng; readonly say: (line: string) => void },
): Promise<DqnTrainer> {
  const t0 = performance.now();
  const state = await readLearnerState(o.dir, o.meta);
  if (!state) {
    o.say(`learning from checkpoint ${o.meta.id}'s weights only (it has no learner state: replay starts empty, Adam fresh)`);
    return new DqnTrainer(learner, { rng: o.rng });
  }
  const c = learner.config;
  const memory = new ReplayMemory({ capacity: c.replayCapacity, observationSize: learner.spec.observationSize, actionCount: learner.spec.actionCount, prioritized: c.prioritized });
  const applied = await applyLearnerState(state, { learner, memory });
  o.say(`continuing checkpoint ${o.meta.id}'s learner state: ${memory.size} replay transitions, ${learner.gradientSteps} gradient steps, Adam state (${formatBytes(o.meta.learnerState!.bytes)}, loaded in ${Math.round(performance.now() - t0)} ms)`);
  return new DqnTrainer(learner, { rng: applied.rngs['sample'] ?? o.rng, memory, transitions: applied.envSteps });
}

/** The trainer's learner state now (β and ε positions: the transitions it has recorded). */
export function captureTrainerState(trainer: DqnTrainer): Promise<LearnerState> {
  return captureLearnerState({ learner: trainer.learner, memory: trainer.memory, envSteps: trainer.transitions, betaSteps: trainer.transitions, rngs: { sample: trainer.rng } });
}
