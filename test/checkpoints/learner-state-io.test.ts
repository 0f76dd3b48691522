import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { DqnTrainer } from '../../agent/dqn-trainer.ts';
import { captureLearnerState } from '../../agent/learner-state.ts';
import { LEARNER_STATE_FILE, loadCheckpoint, readCheckpoint, readLearnerState, saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

let tf: Tf;
let root: string;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-ls-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = resolveDqnConfig({ hidden: [8], batchSize: 4, replayCapacity: 30, learningStarts: 4, nStep: 1, prioritized: {} });

async function trained(withState: boolean) {
  const learner = new DqnLearner(tf, { config, observationSize: 3, actionCount: 2 });
  const trainer = new DqnTrainer(learner, { rng: createRng(2) });
  for (let k = 0; k < 12; k++) {
    trainer.record({ observation: new Float32Array([k, 1, 0]), action: k % 2, reward: k % 3, nextObservation: new Float32Array([k + 1, 1, 0]), terminated: false, truncated: k % 5 === 4, nextActionMask: new Uint8Array([1, 1]) });
    trainer.trainRound();
  }
  const learnerState = withState ? await captureLearnerState({ learner, memory: trainer.memory, envSteps: 12, betaSteps: 12, rngs: { sample: trainer.rng } }) : undefined;
  const ck = await saveCheckpoint(tf, { root, model: learner.onlineNet, step: 12, dqnConfig: config, ...(learnerState ? { learnerState } : {}) });
  learner.dispose();
  return ck;
}

describe('learner state in checkpoints', () => {
  it('is written inside the checkpoint, recorded in checkpoint.json and read back', async () => {
    const ck = await trained(true);
    const bytes = (await readFile(join(ck.dir, LEARNER_STATE_FILE))).byteLength;
    expect(ck.meta.learnerState).toEqual({ file: LEARNER_STATE_FILE, bytes, replaySize: 12 });
    const meta = await readCheckpoint(ck.dir);
    expect(meta.learnerState?.bytes).toBe(bytes);
    const state = (await readLearnerState(ck.dir, meta))!;
    expect(state.memory.size).toBe(12);
    expect(state.optimizer.gradientSteps).toBe(9); // rounds from transition 4 to 12
    expect(state.memory.priorities).toHaveLength(12);
  });

  it('leaves checkpoints without it as before: no file, no key, null state, loadable', async () => {
    const ck = await trained(false);
    expect('learnerState' in ck.meta).toBe(false);
    expect(await readLearnerState(ck.dir, await readCheckpoint(ck.dir))).toBeNull();
    const { model } = await loadCheckpoint(tf, ck.dir);
    model.dispose();
  });

  it('refuses a truncated or missing state file as ERR_CHECKPOINT_CORRUPT naming the file', async () => {
    const ck = await trained(true);
    const file = join(ck.dir, LEARNER_STATE_FILE);
    const full = await readFile(file);
    await writeFile(file, full.subarray(0, full.byteLength - 100));
    const meta = await readCheckpoint(ck.dir);
    const p = readLearnerState(ck.dir, meta);
    await expect(p).rejects.toBeInstanceOf(CoinferError);
    await expect(p).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_CORRUPT', message: expect.stringContaining(file) });
    await rm(file);
    await expect(readLearnerState(ck.dir, meta)).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_CORRUPT' });
  });
});
