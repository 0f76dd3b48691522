import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScenarios, loadSuite } from '../../cli/scenario-setup.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { scenarioEnvInput } from '../../env/scenario-file.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const coinfer = (args: string[]) => run(process.execPath, [join(repo, 'bin', 'coinfer.js'), ...args], { cwd: repo, maxBuffer: 16 << 20 });
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-suite-'));
  await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 3, sampleCount: 8 });
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('shipped scenarios and suites', () => {
  it('every shipped scenario validates and resolves to an env config', async () => {
    const all = await listScenarios();
    expect(all.length).toBeGreaterThanOrEqual(17);
    for (const s of all) expect(() => resolveEnvConfig(scenarioEnvInput(s)), s.name).not.toThrow();
  });
  it('the default suite has the issue\'s worlds (at least 14, one per trace family among them)', async () => {
    const suite = await loadSuite();
    const names = suite.scenarios.map((s) => s.name);
    expect(names.length).toBeGreaterThanOrEqual(14);
    for (const n of ['base', 'native-device', 'device-2x-slower', 'device-4x-slower', 'device-heavy-load', 'edge-contention', 'edge-20x-slower', 'tight-deadlines', 'long-deadlines', 'link-x0.1', 'link-x0.03', 'rtt-150', 'slow-link-slow-device', 'slow-link-device-load', 'norway-hsdpa', 'fcc-broadband', 'mahimahi-cellular']) expect(names).toContain(n);
  });
  it('an unknown suite name fails naming the shipped suites', async () => {
    await expect(loadSuite('no-such-suite')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/default, off-suite, smoke/) });
  });
  it('the off-suite worlds load from their folder, none of them a default-suite world', async () => {
    const [off, def] = await Promise.all([loadSuite('off-suite'), loadSuite()]);
    expect(off.scenarios).toHaveLength(8);
    for (const s of off.scenarios) {
      expect(def.scenarios.map((d) => d.name)).not.toContain(s.name);
      expect(() => resolveEnvConfig(scenarioEnvInput(s)), s.name).not.toThrow();
    }
  });
});

describe('coinfer scenarios / eval --scenario / eval --suite (smoke)', () => {
  it('lists and shows scenarios', async () => {
    const list = JSON.parse((await coinfer(['scenarios', 'list', '--json'])).stdout) as { name: string }[];
    expect(list.map((s) => s.name)).toContain('base');
    const shown = JSON.parse((await coinfer(['scenarios', 'show', 'device-2x-slower', '--json'])).stdout) as { envConfig: { variation: { deviceSlowdown: number } } };
    expect(shown.envConfig.variation.deviceSlowdown).toBe(2);
    await expect(coinfer(['scenarios', 'show', 'no-such-world'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('ERR_INVALID_ARGUMENT') });
  });

  it('rejects a bad scenario file naming the key', async () => {
    const bad = join(root, 'bad.json');
    await writeFile(bad, JSON.stringify({ device: { slowdown: -1 }, rtt: 5 }));
    const e = await coinfer(['eval', '--model', join(root, 'pkg'), '--scenario', bad, '--policies', 'edgent', '--episodes', '1']).catch((x: { stderr: string }) => x);
    expect((e as { stderr: string }).stderr).toContain('ERR_INVALID_CONFIG');
    expect((e as { stderr: string }).stderr).toContain('device.slowdown');
    expect((e as { stderr: string }).stderr).toContain("unknown key 'rtt'");
  });

  it('evaluates in a scenario on given trace files', async () => {
    const trace = join(repo, 'data', 'traces', 'norway_hsdpa_3g', 'bus.ljansbakken-oslo-report.2010-09-28_1407CEST.log.csv');
    const { stdout } = await coinfer(['eval', '--model', join(root, 'pkg'), '--scenario', 'link-x0.1', '--traces', trace, '--policies', 'edgent,oracle', '--episodes', '2', '--episode-requests', '10', '--json']);
    const rows = JSON.parse(stdout) as { policy: string; requests: number }[];
    expect(rows.map((r) => [r.policy, r.requests])).toEqual([['edgent', 20], ['oracle', 20]]);
  });

  it('runs a tiny suite and prints the documented JSON shape, markdown and HTML', async () => {
    const suite = join(root, 'tiny.json');
    await writeFile(suite, JSON.stringify({ name: 'tiny', scenarios: ['base', 'device-2x-slower'], episodes: 3 }));
    const md = join(root, 'suite.md'), html = join(root, 'suite.html');
    const { stdout } = await coinfer(['eval', '--model', join(root, 'pkg'), '--suite', suite, '--policies', 'edge-only,device-only', '--episode-requests', '20', '--json', '--markdown', md, '--html', html]);
    const out = JSON.parse(stdout) as { suite: string; runSeconds: number; scenarios: { name: string; headroomPoints: number; policies: Record<string, unknown>[] }[] };
    expect(out.suite).toBe('tiny');
    expect(out.runSeconds).toBeGreaterThan(0);
    expect(out.scenarios.map((s) => s.name)).toEqual(['base', 'device-2x-slower']);
    for (const w of out.scenarios) {
      expect(typeof w.headroomPoints).toBe('number');
      expect(w.policies.map((p) => p['policy'])).toEqual(['edge-only', 'device-only', 'edgent', 'oracle']);
      for (const p of w.policies) {
        for (const k of ['accuracy', 'hitRate', 'meanLatencyMs', 'p95LatencyMs', 'energyMjPerRequest', 'rewardVsOracle']) expect(typeof p[k], k).toBe('number');
        expect(p['accuracy']).toBeLessThanOrEqual(1);
        const d = p['deltaVsEdgent'] as { mean: number; lo: number; hi: number };
        expect(d.lo).toBeLessThanOrEqual(d.mean);
        expect(d.hi).toBeGreaterThanOrEqual(d.mean);
        expect('headroomCaptured' in p).toBe(true);
        expect(p['deltaVsCalibrated']).toBeNull(); // the calibrated planner did not run
      }
      expect(w.policies.find((p) => p['policy'] === 'edgent')!['deltaVsEdgent']).toEqual({ mean: 0, lo: 0, hi: 0 });
    }
    expect(await readFile(md, 'utf8')).toContain('## device-2x-slower');
    expect(await readFile(html, 'utf8')).toContain('<svg');
  });
});
