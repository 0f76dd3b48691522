import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { readCheckpoint, saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CheckpointRegistry, rebuildRegistry } from '../../checkpoints/checkpoint-registry.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { isCoinferError } from '../../common/errors.ts';
import { parseCheckpointMeta } from '../../checkpoints/checkpoint-meta.ts';

let tf: Tf;
let root: string;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-lineage-'));
});
afterEach(async () => rm(root, { recursive: true, force: true }));

describe('checkpoint lineage of online versions', () => {
  it('writes each version with its parent, reason and request index, and lists them in order', async () => {
    const config = resolveDqnConfig({ hidden: [4], batchSize: 2, replayCapacity: 8, learningStarts: 2 });
    const learner = new DqnLearner(tf, { config, observationSize: 3, actionCount: 2 });
    const base = await saveCheckpoint(tf, { root, model: learner.onlineNet, step: 10, dqnConfig: config });
    const learned = await saveCheckpoint(tf, { root, model: learner.onlineNet, step: 110, dqnConfig: config, parentId: base.id, lineage: { reason: 'learned', requestIndex: 99 } });
    const rolled = await saveCheckpoint(tf, { root, model: learner.onlineNet, step: 310, dqnConfig: config, parentId: learned.id, lineage: { reason: 'rollback', requestIndex: 299 } });
    learner.dispose();
    const entries = await new CheckpointRegistry(root).list();
    expect(entries.map((e) => [e.parentId, e.lineage ?? null])).toEqual([
      [null, null],
      [base.id, { reason: 'learned', requestIndex: 99 }],
      [learned.id, { reason: 'rollback', requestIndex: 299 }],
    ]);
    expect((await readCheckpoint(rolled.dir)).lineage).toEqual({ reason: 'rollback', requestIndex: 299 });
    // a rebuilt registry recovers the lineage from the directories
    const rebuilt = await rebuildRegistry(root);
    expect(rebuilt.find((e) => e.id === rolled.id)?.lineage).toEqual({ reason: 'rollback', requestIndex: 299 });
  });

  it('rejects a lineage with an unknown reason as a damaged checkpoint', async () => {
    const config = resolveDqnConfig({ hidden: [4], batchSize: 2, replayCapacity: 8, learningStarts: 2 });
    const learner = new DqnLearner(tf, { config, observationSize: 3, actionCount: 2 });
    const ck = await saveCheckpoint(tf, { root, model: learner.onlineNet, step: 1, dqnConfig: config, lineage: { reason: 'learned', requestIndex: 0 } });
    learner.dispose();
    try {
      parseCheckpointMeta({ ...ck.meta, lineage: { reason: 'guessed', requestIndex: 0 } }, 'x');
      expect.unreachable();
    } catch (e) {
      expect(isCoinferError(e) && e.code).toBe('ERR_CHECKPOINT_CORRUPT');
    }
  });
});
