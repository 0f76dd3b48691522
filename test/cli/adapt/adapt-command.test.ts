import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointRegistry } from '../../../checkpoints/checkpoint-registry.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../..', import.meta.url));
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-adapt-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

interface Shift { name: string; recovery: number | null; requestsToRecover: number | null; longestBelowFrozen: number; policies: Record<string, unknown>; seeds: { seed: number; rollbacks: number; promotions: number }[] }

describe('coinfer adapt (smoke, tiny budgets)', () => {
  it('runs a shift over two seeds on the shipped network and prints the JSON scripts rely on, the HTML plot and the lineage versions', async () => {
    const html = join(root, 'adapt.html');
    const versions = join(root, 'versions');
    // the bare network (`dqn:best`): the shipped `dqn` keeps its planner's actions at tiny budgets, so its guard only holds
    const { stdout } = await run('node', ['bin/coinfer.js', 'adapt', '--policy', 'dqn:best', '--shifts', 'edge-contention', '--seeds', '1,2', '--before', '40', '--after', '80', '--horizon', '60', '--window', '20',
      '--guard-window', '20', '--epsilon', '0.5', '--learning-rate', '0.01', '--versions', versions, '--html', html, '--json'], { cwd: repo, timeout: 120_000 });
    const doc = JSON.parse(stdout) as { shifts: Shift[] };
    expect(doc.shifts).toHaveLength(1);
    const s = doc.shifts[0]!;
    expect(s.name).toBe('edge-contention');
    expect(s.recovery === null || typeof s.recovery === 'number').toBe(true);
    expect(s.requestsToRecover === null || Number.isInteger(s.requestsToRecover)).toBe(true);
    expect(Number.isInteger(s.longestBelowFrozen)).toBe(true);
    expect(Object.keys(s.policies).sort()).toEqual(['calibrated', 'dqn', 'dqn-online', 'dqn-online-eps0', 'dqn-online-greedy', 'dqn-resim', 'edgent', 'oracle', 'risk-aware', 'tracking']);
    expect(s.seeds.map((x) => x.seed)).toEqual([1, 2]);
    // every guard decision that was not a hold is one version in the registry
    const entries = await new CheckpointRegistry(versions).list();
    expect(entries).toHaveLength(s.seeds.reduce((a, x) => a + x.rollbacks + x.promotions, 0));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(['learned', 'rollback']).toContain(e.lineage?.reason);
    const page = await readFile(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('edge-contention');
  });

  it('re-simulates after the device slows down: the measured speed triggers a fine-tune in a replay of that world, served after its training time', async () => {
    // the bare network (`dqn:best`): the shipped `dqn` keeps its planner's actions at tiny budgets, so its guard only holds
    const { stdout } = await run('node', ['bin/coinfer.js', 'adapt', '--policy', 'dqn:best', '--shifts', 'device-2x-slower', '--seeds', '1', '--before', '60', '--after', '120', '--horizon', '100', '--window', '20',
      '--resim-window', '30', '--resim-steps', '2000', '--no-versions', '--json'], { cwd: repo, timeout: 120_000 });
    const s = (JSON.parse(stdout) as { shifts: (Shift & { resim: { recovery: number | null; longestBelowFrozen: number } | null; seeds: { resim: { fineTunes: { requestIndex: number; servingFrom: number; speeds: { device: number } }[] } }[] })[] }).shifts[0]!;
    expect(s.resim).not.toBeNull();
    expect(Number.isInteger(s.resim!.longestBelowFrozen)).toBe(true);
    const tunes = s.seeds[0]!.resim.fineTunes;
    expect(tunes.length).toBeGreaterThanOrEqual(1);
    expect(tunes[0]!.requestIndex).toBeGreaterThanOrEqual(60); // not before the shift: the world before is the reference
    expect(tunes[0]!.speeds.device).toBeGreaterThan(1.25); // it measured the slower device (still settling after 15 requests)
    expect(tunes[0]!.servingFrom).toBeGreaterThan(tunes[0]!.requestIndex);
  });

  it('refuses the device shift live, where nothing slows the device down (exit 2)', async () => {
    const err = await run('node', ['bin/coinfer.js', 'adapt', '--env', 'live', '--shifts', 'device-2x-slower'], { cwd: repo, timeout: 60_000 }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/applies no slowdown/);
  });
});
