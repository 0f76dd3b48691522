/**
 * `coinfer learner` + `coinfer actor` (smoke, tiny budgets, a real redis-server): an actor's
 * transitions are learned and checkpointed with the learner state; an actor of another λ refuses
 * the weights; a resumed learner continues the run.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointRegistry } from '../../checkpoints/checkpoint-registry.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';
import { startRedis, type RedisHandle } from '../helpers/redis-server.ts';

const server = await startRedis();
const repo = fileURLToPath(new URL('../..', import.meta.url));
const coinfer = (args: string[]) => promisify(execFile)(process.execPath, [join(repo, 'bin', 'coinfer.js'), ...args], { cwd: repo, maxBuffer: 16 << 20 });
const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
let root: string;

(typeof server === 'string' ? describe.skip : describe)(`coinfer learner / actor (smoke)${typeof server === 'string' ? ` (skipped: ${server})` : ''}`, () => {
  const redis = server as RedisHandle;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'coinfer-cli-dist-'));
    await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 9, sampleCount: 8 });
  });
  afterAll(async () => {
    await redis.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('learns an actor\'s transitions, checkpoints them with the learner state, refuses another λ, and resumes', async () => {
    const common = ['--broker', redis.url, '--model', join(root, 'pkg'), '--json', '--dqn', '{"hidden":[16],"learningStarts":128,"batchSize":32}'];
    const learnerArgs = ['learner', ...common, '--out', join(root, 'ck'), '--max-transitions', '1024', '--idle-exit-s', '20', '--checkpoint-every', '512', '--eval-episodes', '1'];
    const learning = coinfer(learnerArgs);
    // an actor of another objective: the learner refuses its transitions, it refuses the learner's weights
    const other = spawn(process.execPath, [join(repo, 'bin', 'coinfer.js'), 'actor', ...common, '--energy-lambda', '0.5', '--lanes', '2'], { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'] });
    let otherOut = '';
    other.stdout.on('data', (d: Buffer) => { otherOut += d.toString(); });
    const actor = await coinfer(['actor', ...common, '--steps', '1024', '--lanes', '4', '--batch-transitions', '64', '--max-rate', '200']);
    const done = jsonLines(actor.stdout).at(-1)!;
    expect(done).toMatchObject({ event: 'done', steps: 1024, sent: 1024, droppedInFlight: 0, droppedLag: 0, weightsRefused: 0 });
    expect(done['weightsSwaps'] as number).toBeGreaterThan(0);
    const learner = jsonLines((await learning).stdout);
    expect(learner.at(-1)).toMatchObject({ event: 'done', ingested: 1024, duplicates: 0 });
    expect(learner.at(-1)!['rejected'] as number).toBeGreaterThan(0); // the other λ's batches
    other.kill('SIGTERM');
    await new Promise((r) => other.once('exit', r));
    expect(jsonLines(otherOut).some((e) => e['event'] === 'weights_refused')).toBe(true);
    const checkpoints = await new CheckpointRegistry(join(root, 'ck')).list();
    expect(checkpoints[0]!.step).toBe(512);
    expect(checkpoints.at(-1)!.step).toBe(1024); // (a last one after paying the rounds owed, when it had not)
    expect(typeof checkpoints.at(-1)!.evalMetrics['eval/mean_reward']).toBe('number');
    // resumed with a new actor: continues the run's counters and lineage
    const resuming = coinfer(['learner', ...common, '--out', join(root, 'ck'), '--resume', 'latest', '--max-transitions', '1280', '--idle-exit-s', '20', '--eval-episodes', '0']);
    await coinfer(['actor', ...common, '--steps', '256', '--lanes', '4', '--batch-transitions', '64']);
    const resumed = jsonLines((await resuming).stdout);
    expect(resumed.at(-1)).toMatchObject({ event: 'done', ingested: 1280, runId: learner.at(-1)!['runId'] });
    const after = await new CheckpointRegistry(join(root, 'ck')).list();
    expect(after.at(-1)!.step).toBe(1280);
    expect(after.at(-1)!.parentId).toBe(checkpoints.at(-1)!.id);
  });
});
