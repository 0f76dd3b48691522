import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CheckpointRegistry } from '../../checkpoints/checkpoint-registry.ts';
import { loadTf } from '../../common/tf-backend.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { OBSERVATION_SIZE, OBSERVATION_VERSION, V2_OBSERVATION_SIZE } from '../../env/observation.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
let root: string;
let edge: ChildProcess;
let url: string;
let checkpointId: string;
let oldCheckpointId: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-device-'));
  const pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 5, sampleCount: 4 });
  await writeFile(join(root, 'trace.csv'), 't_s,mbps\n0,20\n30,5\n');
  // a checkpoint with random weights for this model's actions
  const { tf } = await loadTf();
  const codec = new ActionCodec(pkg.manifest, resolveEnvConfig().encodings);
  const dqnConfig = resolveDqnConfig({ hidden: [8] });
  const learner = new DqnLearner(tf, { config: dqnConfig, observationSize: OBSERVATION_SIZE, actionCount: codec.size });
  // trained (here: saved) for the 'accuracy' reward: serving and learning must continue it
  const envConfig = { reward: { signal: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0 } };
  checkpointId = (await saveCheckpoint(tf, { root: join(root, 'ckpt'), model: learner.onlineNet, step: 0, dqnConfig, envConfig, actionLabels: codec.labels })).id;
  // a network trained on observation version 2 (its 9 entries, the prefix of today's vector)
  const v2 = new DqnLearner(tf, { config: dqnConfig, observationSize: V2_OBSERVATION_SIZE, actionCount: codec.size });
  const old = await saveCheckpoint(tf, { root: join(root, 'ckpt'), model: v2.onlineNet, step: 1, dqnConfig, envConfig, actionLabels: codec.labels });
  const metaFile = join(old.dir, 'checkpoint.json');
  const meta = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, unknown>;
  meta['observationVersion'] = 2;
  await writeFile(metaFile, JSON.stringify(meta));
  oldCheckpointId = old.id;
  learner.dispose();
  v2.dispose();
  edge = spawn('node', ['bin/coinfer.js', 'edge', '--port', '0', '--model', join(root, 'pkg'), '--profile', 'edgent-desktop', '--json'], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: edge.stdout! }), 'line')) as [string];
  url = (JSON.parse(line) as { url: string }).url;
});

afterAll(async () => {
  if (edge && edge.exitCode === null) {
    edge.kill('SIGTERM');
    await once(edge, 'exit');
  }
  await rm(root, { recursive: true, force: true });
});

const device = (args: string[]) => run('node', ['bin/coinfer.js', 'device', '--edge', url, '--model', join(root, 'pkg'), '--trace', join(root, 'trace.csv'), '--checkpoints', join(root, 'ckpt'), '--json', ...args], { cwd: repo, timeout: 60_000 });

interface Line { request?: number; label?: string; hit?: boolean; reward?: number; answeredExit?: number; totalMs?: number; summary?: { requests: number; hitRate: number; swaps: number; saved: string[] } }
const parse = (stdout: string): Line[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('coinfer device', () => {
  it('serves requests with a baseline over the spawned edge and prints JSON lines and a summary', async () => {
    const lines = parse((await device(['--policy', 'edgent', '--requests', '3'])).stdout);
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => l.request)).toEqual([0, 1, 2]);
    for (const l of lines.slice(0, 3)) expect(l.totalMs).toBeGreaterThan(0);
    expect(lines[3]!.summary!.requests).toBe(3);
  });

  it('runs a dqn checkpoint, learns online, hot-swaps weights and saves children of the loaded checkpoint', async () => {
    const { stdout } = await device(['--policy', `dqn:${checkpointId}`, '--requests', '6', '--learn', '--learning-starts', '2', '--batch-size', '2', '--train-every', '2', '--save-every', '3']);
    const summary = parse(stdout).at(-1)!.summary!;
    expect(summary.requests).toBe(6);
    expect(summary.swaps).toBeGreaterThanOrEqual(1);
    expect(summary.saved).toHaveLength(2);
    const entries = await new CheckpointRegistry(join(root, 'ckpt')).list();
    for (const id of summary.saved) expect(entries.find((e) => e.id === id)?.parentId).toBe(checkpointId);
    // children carry the objective on, so they can be fine-tuned again
    const child = JSON.parse(await readFile(join(root, 'ckpt', summary.saved[0]!, 'checkpoint.json'), 'utf8')) as { envConfig: { reward: { signal: string } }; objective: { rewardKind: string }; observationVersion: number };
    expect(child.envConfig.reward.signal).toBe('accuracy');
    expect(child.objective.rewardKind).toBe('accuracy');
    expect(child.observationVersion).toBe(OBSERVATION_VERSION);
  });

  it('--learn runs the rollback guard: every promotion or rollback is a version in the registry with its lineage', async () => {
    const before = (await new CheckpointRegistry(join(root, 'ckpt')).list()).length;
    const { stdout } = await device(['--policy', `dqn:${checkpointId}`, '--requests', '8', '--learn', '--learning-starts', '2', '--batch-size', '2', '--train-every', '1', '--guard-window', '2', '--epsilon', '1', '--slack-share', '0', '--explore-any']);
    const summary = parse(stdout).at(-1)!.summary! as unknown as { rollbacks: number; promotions: number };
    const mine = (await new CheckpointRegistry(join(root, 'ckpt')).list()).slice(before);
    expect(mine).toHaveLength(summary.rollbacks + summary.promotions);
    mine.forEach((e, k) => {
      expect(['learned', 'rollback']).toContain(e.lineage?.reason);
      expect(e.lineage!.requestIndex % 2).toBe(1); // at the end of a two-request window
      expect(e.parentId).toBe(k === 0 ? checkpointId : mine[k - 1]!.id);
    });
    expect(mine.filter((e) => e.lineage!.reason === 'rollback')).toHaveLength(summary.rollbacks);
  });

  it("serves a dqn under its checkpoint's own reward (the answering exit's accuracy, not 0/1 correctness)", async () => {
    const { stdout, stderr } = await device(['--policy', `dqn:${checkpointId}`, '--requests', '6']);
    expect(stderr).toMatch(/reward accuracy/);
    const served = parse(stdout).filter((l) => l.request !== undefined);
    // an untrained package's exits score (i + 1) / 6; a hit earns its answering exit's score
    for (const l of served) expect(l.reward).toBeCloseTo(l.hit ? l.answeredExit! / 6 : -1, 6);
  });

  it('refuses to learn online from a checkpoint of another observation version (ERR_CHECKPOINT_INCOMPATIBLE)', async () => {
    const err = await device(['--policy', `dqn:${oldCheckpointId}`, '--requests', '2', '--learn']).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/ERR_CHECKPOINT_INCOMPATIBLE.*observation version 2/);
    // serving it without learning is still allowed
    const { stdout } = await device(['--policy', `dqn:${oldCheckpointId}`, '--requests', '2']);
    expect(parse(stdout).at(-1)!.summary!.requests).toBe(2);
  });

  it('saves the learner state with --save-learner-state and the next --learn continues from it', async () => {
    const first = await device(['--policy', `dqn:${checkpointId}`, '--requests', '4', '--learn', '--learning-starts', '2', '--batch-size', '2', '--save-every', '4', '--save-learner-state']);
    expect(first.stderr).toMatch(/weights only/);
    const child = parse(first.stdout).at(-1)!.summary!.saved[0]!;
    const next = await device(['--policy', `dqn:${child}`, '--requests', '2', '--learn', '--learning-starts', '2', '--batch-size', '2']);
    expect(next.stderr).toMatch(new RegExp(`continuing checkpoint ${child}'s learner state: 4 replay transitions`));
  });

  it('refuses --learn with a baseline (ERR_INVALID_ARGUMENT, exit 2)', async () => {
    const err = await device(['--policy', 'edgent', '--requests', '1', '--learn']).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/ERR_INVALID_ARGUMENT/);
  });
});
