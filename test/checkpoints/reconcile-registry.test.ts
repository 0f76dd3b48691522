import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { createQNetwork } from '../../agent/q-network.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CheckpointRegistry, REGISTRY_FILE, type RegistryData, type RegistryEntry } from '../../checkpoints/checkpoint-registry.ts';
import { reconcileRegistry } from '../../checkpoints/reconcile-registry.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
let tf: Tf;
let root: string;

beforeAll(async () => {
  tf = (await loadTf()).tf;
  root = await mkdtemp(join(tmpdir(), 'coinfer-reconcile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function save(dir: string, step: number): Promise<string> {
  const model = createQNetwork(tf, { observationSize: 3, actionCount: 2, hidden: [4], dueling: false });
  try {
    return (await saveCheckpoint(tf, { root: dir, model, step, dqnConfig: resolveDqnConfig({ hidden: [4] }) })).id;
  } finally {
    model.dispose();
  }
}

/** Removes ids from registry.json as a writer killed between its rename and its add would have left it. */
async function unregister(dir: string, ids: readonly string[]): Promise<void> {
  const file = join(dir, REGISTRY_FILE);
  const data = JSON.parse(await readFile(file, 'utf8')) as RegistryData;
  await writeFile(file, JSON.stringify({ ...data, checkpoints: data.checkpoints.filter((c) => !ids.includes(c.id)) }));
}

/** A writer that made its temp folder and was killed with SIGKILL before finishing. */
async function killedWriter(dir: string, id: string): Promise<string> {
  const child = spawn(process.execPath, ['-e', `require('fs').mkdirSync(process.argv[1] + '/.tmp-p' + process.pid + '@' + process.argv[2] + '-' + process.argv[3]); console.log('made'); setInterval(() => {}, 1000);`, dir, host, id], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  return `.tmp-p${child.pid}@${host}-${id}`;
}

describe('reconciling the registry with its folders after kill -9', () => {
  it('checkpoints list removes a killed writer\'s temp folder, recovers an unregistered finished checkpoint, and reports both and a deleted folder', async () => {
    const dir = join(root, 'cli');
    const [a, b, c] = [await save(dir, 1), await save(dir, 2), await save(dir, 3)];
    await unregister(dir, [b]);
    await rm(join(dir, c), { recursive: true });
    const tmp = await killedWriter(dir, '20250101-000000-s9-abcdef');
    await cp(join(dir, a), join(dir, 'not-a-checkpoint'), { recursive: true });
    await rm(join(dir, 'not-a-checkpoint', 'checkpoint.json'));

    const { stdout, stderr } = await run(process.execPath, ['bin/coinfer.js', 'checkpoints', 'list', '--json', '--root', dir], { cwd: repo, timeout: 60_000 });
    const ids = (JSON.parse(stdout) as RegistryEntry[]).map((e) => e.id);
    expect(ids).toContain(a);
    expect(ids).toContain(b); // recovered
    expect(stderr).toContain(`removed stale temp folder ${tmp}`);
    expect(stderr).toContain(`recovered checkpoint ${b}`);
    expect(stderr).toContain(`registered checkpoint ${c} has no folder`);
    expect(stderr).toContain('folder not-a-checkpoint is not a readable checkpoint');
    expect(await readdir(dir)).not.toContain(tmp);

    // reconciled: a second list has only the standing reports left
    const again = await run(process.execPath, ['bin/coinfer.js', 'checkpoints', 'list', '--root', dir], { cwd: repo, timeout: 60_000 });
    expect(again.stderr).not.toContain('removed stale');
    expect(again.stderr).not.toContain('recovered');
  }, 90_000);

  it('a save cleans up after killed writers too, and leaves a live writer\'s temp folder alone', async () => {
    const dir = join(root, 'save');
    const first = await save(dir, 1);
    await unregister(dir, [first]);
    const dead = await killedWriter(dir, '20250101-000000-s9-abcdef');
    const live = `.tmp-p${process.pid}@${host}-20250101-000000-s8-abcdef`;
    await cp(join(dir, first), join(dir, live), { recursive: true });
    const second = await save(dir, 2);
    const names = await readdir(dir);
    expect(names).not.toContain(dead);
    expect(names).toContain(live);
    expect((await new CheckpointRegistry(dir).list()).map((e) => e.id)).toEqual([first, second]);
    const report = await reconcileRegistry(dir);
    expect(report.recovered).toEqual([]);
    expect(report.temps).toEqual([{ name: live, state: 'in-progress', reason: expect.stringContaining(`${process.pid}`) }]);
  }, 60_000);
});
