import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { createQNetwork } from '../../agent/q-network.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import type { RegistryEntry } from '../../checkpoints/checkpoint-registry.ts';
import { loadTf } from '../../common/tf-backend.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/coinfer.js', import.meta.url).pathname;
let root: string;
let ids: string[];

beforeAll(async () => {
  const { tf } = await loadTf();
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-ckpt-'));
  const model = createQNetwork(tf, { observationSize: 3, actionCount: 2, hidden: [4], dueling: true });
  const config = resolveDqnConfig({ hidden: [4] });
  const a = await saveCheckpoint(tf, { root, model, step: 10, dqnConfig: config, evalMetrics: { 'eval/mean_reward': 0.25 } });
  const b = await saveCheckpoint(tf, { root, model, step: 20, dqnConfig: config, evalMetrics: { 'eval/mean_reward': 0.5 }, parentId: a.id });
  ids = [a.id, b.id];
  model.dispose();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('coinfer checkpoints (CLI smoke)', () => {
  it('list --json prints the registry as one JSON array', async () => {
    const { stdout } = await run(process.execPath, [bin, 'checkpoints', 'list', '--json', '--root', root]);
    const entries = JSON.parse(stdout) as RegistryEntry[];
    expect(entries.map((e) => e.id)).toEqual(ids);
    expect(entries[1]).toMatchObject({ step: 20, parentId: ids[0], evalMetrics: { 'eval/mean_reward': 0.5 } });
  });

  it('show best --json resolves and prints checkpoint.json; an unknown ref exits non-zero', async () => {
    const { stdout } = await run(process.execPath, [bin, 'checkpoints', 'show', 'best', '--json', '--root', root]);
    expect(JSON.parse(stdout)).toMatchObject({ id: ids[1], step: 20, actionCount: 2, observationSize: 3 });
    const failed = await run(process.execPath, [bin, 'checkpoints', 'show', 'nope', '--root', root]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('ERR_CHECKPOINT_NOT_FOUND');
  });
});
