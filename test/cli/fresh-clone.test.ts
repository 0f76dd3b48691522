// What a new user types first, from a folder with no runs/ (a fresh clone): the shipped model
// and the shipped policy must be found without flags.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/coinfer.js', import.meta.url));
let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'coinfer-fresh-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('a fresh clone', () => {
  it('`model eval --json` uses the shipped model without --model', async () => {
    const { stdout } = await run('node', [bin, 'model', 'eval', '--json', '--limit', '5'], { cwd, timeout: 120_000 });
    const doc = JSON.parse(stdout) as { exits: { name: string; accuracy: number }[]; samples: number };
    expect(doc.exits).toHaveLength(5);
    expect(doc.samples).toBe(5);
  });

  it('`eval --policies dqn:latest` resolves in the shipped registry and says so on stderr', async () => {
    const { stdout, stderr } = await run('node', [bin, 'eval', '--policies', 'dqn:latest', '--episodes', '1', '--episode-requests', '3', '--json'], { cwd, timeout: 120_000 });
    expect(stderr).toMatch(/dqn:latest: checkpoint \S+ \(step \d+\) in the shipped registry .*models\/dqn-policy/);
    const rows = JSON.parse(stdout) as { policy: string }[];
    expect(rows.map((r) => r.policy)).toEqual(['dqn:latest']);
  });

  it('`eval --suite` says where the shipped dqn resolved once, not once a world', async () => {
    const suite = join(cwd, 'two-worlds.json');
    await writeFile(suite, JSON.stringify({ name: 'two', scenarios: ['base', 'device-2x-slower'], episodes: 1 }));
    const { stdout, stderr } = await run('node', [bin, 'eval', '--suite', suite, '--policies', 'dqn', '--episode-requests', '3', '--json'], { cwd, timeout: 120_000 });
    expect(stderr.match(/checkpoint \S+ \(step \d+\) in the shipped registry/g)).toHaveLength(1);
    expect((JSON.parse(stdout) as { scenarios: unknown[] }).scenarios).toHaveLength(2);
  });
});
