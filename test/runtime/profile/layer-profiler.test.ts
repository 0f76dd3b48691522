import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../cli/main.ts';
import { CoinferError } from '../../../common/errors.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import type { ModelPackage } from '../../../runtime/model/model-package.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { EDGENT_RPI3B } from '../../../runtime/profile/edgent-profiles.ts';
import { profileModel, resolveProfilerConfig } from '../../../runtime/profile/layer-profiler.ts';
import { predictLayersMs } from '../../../runtime/profile/layer-regression.ts';
import { profileAndFit } from '../../../runtime/profile/profile-and-fit.ts';
import { ProfileStore } from '../../../runtime/profile/profile-store.ts';

const tiny = { reps: 4, warmup: 1, loadReps: 2, processWarmupMs: 0 };
let dir: string;
let pkg: ModelPackage;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coinfer-profile-'));
  pkg = await createRandomModelPackage({ dir: join(dir, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 1, sampleCount: 0 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('profileAndFit (smoke, tiny repetitions)', () => {
  it('measures a random package natively, fits, and writes the lowdb store', async () => {
    const storePath = join(dir, 'runs', 'profiles.json');
    const r = await profileAndFit(pkg, { ...tiny, side: 'edge', profile: 'native', storePath });
    expect(r).toMatchObject({ side: 'edge', profile: 'native', emulated: false, modelSha256: pkg.manifest.onnxSha256 });
    expect(r.machine.cores).toBeGreaterThan(0);
    expect(r.layers).toHaveLength(47);
    for (const item of [...r.layers, ...r.stages, ...r.exits, ...r.paths]) {
      expect(item.samplesMs).toHaveLength(4);
      expect(item.summary.medianMs).toBeGreaterThan(0);
    }
    expect(r.fit.profile.origin).toBe('fitted');
    expect(Number.isFinite(r.fit.evaluation.layerMape)).toBe(true);
    expect(Number.isFinite(r.fit.evaluation.endToEndMape)).toBe(true);
    const json = JSON.parse(await readFile(storePath, 'utf8'));
    expect(json.runs).toHaveLength(1);
    expect(json.runs[0].id).toBe(r.id);
    const store = await ProfileStore.open(storePath);
    expect(store.latestFitted({ side: 'edge' }).origin).toBe('fitted');
    expect(() => store.latestFitted({ side: 'device' })).toThrow(CoinferError);
  });

  it('stretches every time to the emulated profile and says so', async () => {
    const m = await profileModel(pkg, { ...tiny, reps: 2, side: 'device', profile: 'edgent-rpi3b' });
    expect(m.emulated).toBe(true);
    const layers = new Map([...pkg.manifest.stages, ...pkg.manifest.exits].flatMap((s) => s.layers.map((l) => [l.name, l] as const)));
    for (const l of m.layers) for (const s of l.samplesMs) expect(s).toBeGreaterThanOrEqual(predictLayersMs(EDGENT_RPI3B, [layers.get(l.name)!]));
    for (const l of m.loading) for (const s of l.samplesMs) expect(s).toBeGreaterThanOrEqual(842);
  });

  it('refuses a file that is not a profile store', async () => {
    const bogus = join(dir, 'bogus.json');
    await writeFile(bogus, JSON.stringify({ schemaVersion: 99, runs: [] }));
    await expect(ProfileStore.open(bogus)).rejects.toMatchObject({ code: 'ERR_PROFILE_NOT_FOUND' });
  });

  it('rejects an unknown profile and bad counts', async () => {
    await expect(profileModel(pkg, { side: 'device', profile: 'pi5' })).rejects.toMatchObject({ code: 'ERR_PROFILE_NOT_FOUND' });
    expect(() => resolveProfilerConfig({ reps: 1 })).toThrow(CoinferError);
  });

  it('runs through `coinfer profile --json`', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    try {
      await buildProgram().parseAsync(['node', 'coinfer', 'profile', '--model', pkg.dir, '--side', 'device', '--reps', '3', '--warmup', '1', '--load-reps', '2', '--store', join(dir, 'cli.json'), '--json']);
    } finally {
      spy.mockRestore();
    }
    const doc = JSON.parse(out.join(''));
    expect(doc).toMatchObject({ side: 'device', profile: 'native', emulated: false });
    expect(typeof doc.regression.layerMape).toBe('number');
    expect(typeof doc.endToEndMape).toBe('number'); // the calibrated planner's, a fraction
    expect(doc.endToEndMape).toBe(doc.calibrated.endToEndMape);
    expect(doc.calibrated.profile.stageMs).toHaveLength(pkg.manifest.stages.length);
    expect(doc.regression.profile.layers.conv.coef).toHaveLength(2);
  });
});
