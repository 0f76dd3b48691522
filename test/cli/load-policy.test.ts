// loadPolicy serves a checkpoint as it was trained: a version-2 network on the first nine
// entries, a network trained under the deadline mask under the same mask.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import type { JsonValue } from '../../checkpoints/checkpoint-meta.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { loadPolicy, reportOnce } from '../../cli/load-policy.ts';
import { profileFromActionTable } from '../../env/action-profile.ts';
import { stageProfilesOf } from '../../env/compute-times.ts';
import { writeDeadlineMask } from '../../env/deadline-mask.ts';
import { OBSERVATION_SIZE, V2_OBSERVATION_SIZE } from '../../env/observation.ts';
import { VecReplayEnv } from '../../env/vec-replay-env.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { edgentTimes, randomPackage } from '../env/fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
let root: string;
let tf: Tf;
beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
  root = await mkdtemp(join(tmpdir(), 'coinfer-load-policy-'));
  ({ tf } = await loadTf());
});
afterAll(async () => {
  await cleanup();
  await rm(root, { recursive: true, force: true });
});

const scenario = { episodeRequests: 50, deadline: { kind: 'uniform', minMs: 5, maxMs: 300 } } as const;

async function save(observationSize: number, envConfig: JsonValue, version?: number, seed = observationSize): Promise<string> {
  const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(2, 3600)], numEnvs: 1 });
  const learner = new DqnLearner(tf, { config: resolveDqnConfig({ hidden: [8], seed }), observationSize, actionCount: env.actionCount });
  const { id, dir } = await saveCheckpoint(tf, { root, model: learner.onlineNet, step: 0, dqnConfig: learner.config, envConfig, actionLabels: env.codec.labels });
  learner.dispose();
  if (version !== undefined) {
    const file = join(dir, 'checkpoint.json');
    const meta = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    meta['observationVersion'] = version;
    await writeFile(file, JSON.stringify(meta));
  }
  return id;
}

async function decisions(spec: string): Promise<{ chosen: number[]; env: VecReplayEnv; masks: Uint8Array[] }> {
  const times = edgentTimes(pkg);
  const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: times, traces: [constantTrace(2, 3600)], numEnvs: 1, config: { scenario } });
  const policyDeps = { manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, stageProfiles: stageProfilesOf(pkg.manifest, times), actions: env.codec.actions };
  const { policy } = await loadPolicy(spec, { codec: env.codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: root, tf, report: () => {} });
  env.reset(3);
  const profile = profileFromActionTable(env.table);
  const chosen: number[] = [];
  const masks: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    const obs = env.observations.slice(0, OBSERVATION_SIZE);
    const m = new Uint8Array(env.actionCount);
    writeDeadlineMask(m, 0, profile, env.context(0), obs, 0, 1);
    masks.push(m);
    const a = env.codec.encode(policy.decide(obs, env.context(0)));
    chosen.push(a);
    env.step(Int32Array.of(a));
  }
  return { chosen, env, masks };
}

describe('loadPolicy', () => {
  it('serves a version-2 checkpoint on the first nine entries of today\'s observation', async () => {
    const id = await save(V2_OBSERVATION_SIZE, { reward: { signal: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0 } }, 2);
    const { chosen } = await decisions(`dqn:${id}`);
    expect(chosen).toHaveLength(50);
  });

  it('refuses a checkpoint whose size is not its version\'s (ERR_CHECKPOINT_INCOMPATIBLE)', async () => {
    const id = await save(V2_OBSERVATION_SIZE, { reward: { signal: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0 } }, 3);
    await expect(decisions(`dqn:${id}`)).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_INCOMPATIBLE' });
  });

  it('loads the networks after & as vetoes of an anchored override, and only with an anchor', async () => {
    const env = { reward: { signal: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0 } };
    const [a, b] = [await save(OBSERVATION_SIZE, env, undefined, 1), await save(OBSERVATION_SIZE, env, undefined, 2)];
    const alone = await decisions(`dqn:${a}+edgent@0`);
    const vetoed = await decisions(`dqn:${a}&${b}+edgent@0`);
    const edgent = await decisions('edgent');
    // with a veto the policy overrides Edgent only where both random networks agree: closer to it
    const same = (x: number[]) => x.filter((v, i) => v === edgent.chosen[i]).length;
    expect(same(vetoed.chosen)).toBeGreaterThan(same(alone.chosen));
    await expect(decisions(`dqn:${a}&${b}`)).rejects.toMatchObject({ code: 'ERR_POLICY_UNKNOWN', message: expect.stringContaining('Expected an anchor') });
    await expect(decisions(`dqn:${a}&`)).rejects.toMatchObject({ code: 'ERR_POLICY_UNKNOWN' });
    const old = await save(V2_OBSERVATION_SIZE, env, 2);
    await expect(decisions(`dqn:${a}&${old}+edgent@0`)).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_INCOMPATIBLE' });
  });

  it('keeps the deadline mask a checkpoint was trained under, and only then', async () => {
    const masked = await save(OBSERVATION_SIZE, { reward: { signal: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0 }, deadlineMaskFactor: 1 });
    const m = await decisions(`dqn:${masked}`);
    m.chosen.forEach((a, i) => expect(m.masks[i]![a]).toBe(1));
    const plain = await save(OBSERVATION_SIZE, { reward: { signal: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0 } });
    const p = await decisions(`dqn:${plain}`);
    // the same random network without the mask picks masked actions at times (the test can fail)
    expect(p.chosen.some((a, i) => p.masks[i]![a] === 0)).toBe(true);
  });
});

describe('reportOnce', () => {
  it('passes each distinct line on once, in first-seen order', () => {
    const said: string[] = [];
    const report = reportOnce((l) => said.push(l));
    for (const l of ['dqn:best: a', 'dqn:best: a', 'dqn:1: b', 'dqn:best: a']) report(l);
    expect(said).toEqual(['dqn:best: a', 'dqn:1: b']);
  });
});
