import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointRegistry } from '../../checkpoints/checkpoint-registry.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const coinfer = (args: string[]) => run(process.execPath, [join(repo, 'bin', 'coinfer.js'), ...args], { cwd: repo, maxBuffer: 16 << 20 });
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-train-'));
  await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 9, sampleCount: 8 });
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('coinfer train → eval → demo (smoke, tiny budgets)', () => {
  it('trains, checkpoints with eval metrics, and resumes with lineage', async () => {
    // 32 lanes by default: budgets in whole vector steps of 32 env steps
    const { stdout } = await coinfer(['train', '--model', join(root, 'pkg'), '--steps', '1280', '--eval-every', '1000', '--eval-episodes', '1', '--out', join(root, 'ck'), '--json', '--dqn', '{"hidden":[16],"learningStarts":200}']);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const done = lines.at(-1)!;
    expect(done['event']).toBe('done');
    expect(done['step']).toBe(1280);
    expect(typeof done['eval/mean_reward']).toBe('number');
    const entries = await new CheckpointRegistry(join(root, 'ck')).list();
    expect(entries.length).toBeGreaterThanOrEqual(1);

    const resumed = await coinfer(['train', '--model', join(root, 'pkg'), '--steps', '1024', '--eval-every', '1024', '--eval-episodes', '1', '--out', join(root, 'ck'), '--resume', 'latest', '--json']);
    const last = JSON.parse(resumed.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(last['step']).toBe(2304);
    const after = await new CheckpointRegistry(join(root, 'ck')).list();
    expect(after.at(-1)!.parentId).toBe(entries.at(-1)!.id);
  });

  it('trains against the live env (real split inference, own edge on loopback)', async () => {
    const { stdout } = await coinfer(['train', '--env', 'live', '--model', join(root, 'pkg'), '--steps', '20', '--eval-every', '20', '--eval-episodes', '1', '--out', join(root, 'ck-live'), '--json', '--dqn', '{"hidden":[8],"learningStarts":8,"batchSize":4}']);
    const done = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(done['event']).toBe('done');
    expect(done['step']).toBe(20);
    expect((await new CheckpointRegistry(join(root, 'ck-live')).list()).length).toBe(1);
  });

  it('evaluates the checkpoint beside the baselines on identical streams', async () => {
    const { stdout } = await coinfer(['eval', '--model', join(root, 'pkg'), '--checkpoints', join(root, 'ck'), '--policies', 'dqn:latest,edgent,edge-only,oracle', '--episodes', '2', '--json']);
    const rows = JSON.parse(stdout) as { policy: string; requests: number; accuracy: number; hitRate: number; rewardVsOracle: number | null }[];
    expect(rows.map((r) => r.policy)).toEqual(['dqn:latest', 'edgent', 'edge-only', 'oracle']);
    for (const r of rows) {
      expect(r.requests).toBe(400);
      expect(r.hitRate).toBeGreaterThanOrEqual(0);
      expect(r.hitRate).toBeLessThanOrEqual(1);
    }
    expect(rows.at(-1)!.rewardVsOracle).toBe(1);
  });

  it('evaluates policies on the live env with real split inference', async () => {
    const { stdout } = await coinfer(['eval', '--env', 'live', '--model', join(root, 'pkg'), '--checkpoints', join(root, 'ck'), '--policies', 'dqn:latest,edgent', '--episodes', '1', '--episode-requests', '5', '--json']);
    const rows = JSON.parse(stdout) as { policy: string; requests: number; rewardVsOracle: number | null }[];
    expect(rows.map((r) => [r.policy, r.requests, r.rewardVsOracle])).toEqual([['dqn:latest', 5, null], ['edgent', 5, null]]);
    await expect(coinfer(['eval', '--env', 'live', '--model', join(root, 'pkg'), '--policies', 'oracle', '--episodes', '1'])).rejects.toMatchObject({ stderr: expect.stringContaining('ERR_POLICY_UNKNOWN') });
  });

  it('rejects an unknown policy with a clear error and a non-zero exit', async () => {
    await expect(coinfer(['eval', '--model', join(root, 'pkg'), '--policies', 'nope', '--episodes', '1'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('ERR_POLICY_UNKNOWN') });
  });

  it('runs the main job on loopback and writes the HTML report', async () => {
    const report = join(root, 'demo.html');
    const { stdout } = await coinfer(['demo', '--model', join(root, 'pkg'), '--checkpoints', join(root, 'ck'), '--policy', 'dqn:latest', '--requests', '4', '--episodes', '1', '--report', report, '--json']);
    const out = JSON.parse(stdout) as { live: { policy: string; requests: number }[]; replay: { policy: string }[]; report: string };
    expect(out.live.map((r) => [r.policy, r.requests])).toEqual([['dqn:latest', 4], ['edgent', 4]]);
    expect(out.replay.map((r) => r.policy)).toContain('oracle');
    const html = await readFile(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('latency vs deadline');
  });
});
