import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceStatsRow } from '../../cli/commands/traces.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(repo, 'test/runtime/link/fixtures');
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'coinfer-cli-traces-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('coinfer traces', () => {
  it('imports a Mahimahi and a cooked file to CSV, and stats reads the result', async () => {
    const { stdout } = await run('node', ['bin/coinfer.js', 'traces', 'import', join(fixtures, 'TMobile-UMTS-driving.up'), join(fixtures, 'fcc-trace_5642.cooked'), '--out', out], { cwd: repo, timeout: 60_000 });
    expect(stdout).toMatch(/Wrote 2 trace\(s\)/);
    const csv = await readFile(join(out, 'TMobile-UMTS-driving.up.csv'), 'utf8');
    const shipped = await readFile(join(repo, 'data/traces/mahimahi_cellular/TMobile-UMTS-driving.up.csv'), 'utf8');
    expect(csv).toBe(`${shipped.split('\n').slice(0, 15).join('\n')}\n`); // header + 14 full windows
    const stats = await run('node', ['bin/coinfer.js', 'traces', 'stats', out, '--json'], { cwd: repo, timeout: 60_000 });
    const rows = JSON.parse(stats.stdout) as TraceStatsRow[];
    expect(rows.map((r) => r.trace.split('/').pop())).toEqual(['TMobile-UMTS-driving.up.csv', 'fcc-trace_5642.cooked.csv', 'all']);
    expect(rows[0]!.durationS).toBe(14);
    expect(rows[2]!.durationS).toBeCloseTo(14 + 150, 9); // 30 cooked rows 5 s apart
  });

  it('fails with ERR_TRACE_FORMAT and exit code 1 on a bad file', async () => {
    const err = await run('node', ['bin/coinfer.js', 'traces', 'stats', join(fixtures, 'README.md')], { cwd: repo, timeout: 60_000 }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/ERR_TRACE_FORMAT.*README\.md/);
  });
});
