import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const coinfer = (args: string[]) => run(process.execPath, [join(repo, 'bin', 'coinfer.js'), ...args], { cwd: repo, maxBuffer: 16 << 20 });
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-ls-'));
  await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 9, sampleCount: 8 });
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('coinfer train --save-learner-state (smoke, tiny budgets)', () => {
  it('saves the learner state with each checkpoint, shows it, and resumes from it', async () => {
    const ck = join(root, 'ck');
    const base = ['train', '--model', join(root, 'pkg'), '--eval-episodes', '1', '--out', ck];
    const { stdout } = await coinfer([...base, '--steps', '640', '--eval-every', '640', '--json', '--save-learner-state', '--dqn', '{"hidden":[16],"learningStarts":200,"replayCapacity":5000}']);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const saved = lines.find((l) => l['event'] === 'learner_state')!;
    expect(saved['replaySize']).toBe(640);
    expect(saved['bytes']).toBeGreaterThan(640 * 9 * 4 * 2);

    const show = await coinfer(['checkpoints', 'show', 'latest', '--root', ck]);
    expect(show.stdout).toMatch(/learner\s+learner-state\.bin: .*640 replay transitions/);

    const resumed = await coinfer([...base, '--steps', '64', '--eval-every', '64', '--resume', 'latest']);
    expect(resumed.stderr).toMatch(/with its learner state: 640 replay transitions/);
    const again = await coinfer([...base, '--steps', '64', '--eval-every', '64', '--resume', 'latest']);
    expect(again.stderr).toMatch(/from its weights only/); // the resumed run did not save one
  });
});
