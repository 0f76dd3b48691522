import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointRegistry } from '../../checkpoints/checkpoint-registry.ts';
import type { CheckpointMeta } from '../../checkpoints/checkpoint-meta.ts';
import { listTraces } from '../../runtime/link/trace-catalog.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const coinfer = (args: string[]) => run(process.execPath, [join(repo, 'bin', 'coinfer.js'), ...args], { cwd: repo, maxBuffer: 16 << 20 });
let root: string;
const TINY = ['--steps', '300', '--eval-every', '300', '--eval-episodes', '3', '--json', '--dqn', '{"hidden":[8],"learningStarts":100}'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-select-'));
  await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 5, sampleCount: 8 });
});
afterAll(async () => rm(root, { recursive: true, force: true }));

async function metas(dir: string): Promise<CheckpointMeta[]> {
  const entries = await new CheckpointRegistry(dir).list();
  return Promise.all(entries.map(async (e) => JSON.parse(await readFile(join(dir, e.dir, 'checkpoint.json'), 'utf8')) as CheckpointMeta));
}

describe('coinfer train: honest selection', () => {
  it('scores every checkpoint on validation traces only (test traces never reach selection) and records objective and scenario', async () => {
    const out = join(root, 'ck');
    await coinfer(['train', '--model', join(root, 'pkg'), '--out', out, '--scenario', 'mahimahi-cellular', '--energy-lambda', '0.1', ...TINY]);
    const validation = new Set((await listTraces({ split: 'validation' })).filter((e) => e.source === 'mahimahi_cellular').map((e) => e.name));
    const test = new Set((await listTraces({ split: 'test' })).map((e) => e.name));
    const all = await metas(out);
    expect(all.length).toBe(1);
    for (const m of all) {
      expect(m.evalSplit).toBe('validation');
      expect(m.evalTraces!.length).toBeGreaterThan(0);
      for (const t of m.evalTraces!) {
        expect(validation.has(t), t).toBe(true);
        expect(test.has(t), t).toBe(false);
      }
      expect(m.traceSplit!.test).toEqual([]);
      expect(m.traceSplit!.train.some((t) => test.has(t) || validation.has(t))).toBe(false);
      expect(m.objective).toEqual({ rewardKind: 'normalized-accuracy', energyLambdaPerJ: 0.1 });
      expect(m.scenario).toBe('mahimahi-cellular');
    }
  });

  it('honours --seed together with --resume', async () => {
    const out = join(root, 'ck-seed');
    await coinfer(['train', '--model', join(root, 'pkg'), '--out', out, '--seed', '3', ...TINY]);
    await coinfer(['train', '--model', join(root, 'pkg'), '--out', out, '--resume', 'latest', '--seed', '7', ...TINY]);
    await coinfer(['train', '--model', join(root, 'pkg'), '--out', out, '--resume', 'latest', ...TINY]);
    expect((await metas(out)).map((m) => m.dqnConfig.seed)).toEqual([3, 7, 7]);
  });

  it('trains one run per seed with --seeds and reports mean ± CI over seeds', async () => {
    const { stdout } = await coinfer(['train', '--model', join(root, 'pkg'), '--out', join(root, 'ck-seeds'), '--seeds', '1,2', ...TINY]);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e['event'] === 'done').map((e) => e['seed'])).toEqual([1, 2]);
    const summary = events.at(-1)! as { event: string; seeds: number[]; 'eval/accuracy': { mean: number; lo: number; hi: number; clusters: number } };
    expect(summary.event).toBe('seeds');
    expect(summary.seeds).toEqual([1, 2]);
    expect(summary['eval/accuracy'].clusters).toBe(2);
    expect(summary['eval/accuracy'].lo).toBeLessThanOrEqual(summary['eval/accuracy'].mean);
    await expect(coinfer(['train', '--model', join(root, 'pkg'), '--seeds', '1,1'])).rejects.toMatchObject({ code: 2 });
  });
});
