import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { sideTimesFromRegression, type ComputeTimes } from '../../env/compute-times.ts';

/** A random-weight 28×28 package in a temp dir (caller removes `dir`). */
export async function randomPackage(): Promise<{ pkg: ModelPackage; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'coinfer-env-'));
  const pkg = await createRandomModelPackage({ dir: join(dir, 'model'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 7, sampleCount: 8 });
  return { pkg, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Edgent's Pi 3b device and desktop edge, with a small fixed jitter. */
export function edgentTimes(pkg: ModelPackage, jitter: Float64Array = Float64Array.of(0.95, 1, 1.05)): ComputeTimes {
  return {
    device: sideTimesFromRegression(pkg.manifest, EDGENT_RPI3B, jitter, 1),
    edge: sideTimesFromRegression(pkg.manifest, EDGENT_DESKTOP, jitter, 0.5),
    source: 'edgent published coefficients',
  };
}
