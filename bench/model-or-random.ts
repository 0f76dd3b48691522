/**
 * The model a benchmark measures: a given package, else the shipped default, else (a fresh
 * clone without the shipped model) a random-weight package of the same architecture in a temp
 * dir, said so in `source`.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alexNetSpec } from '../runtime/model/architecture.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage, type ModelPackage } from '../runtime/model/model-package.ts';
import { createRandomModelPackage } from '../runtime/model/random-package.ts';

export async function modelOrRandom(modelDir?: string): Promise<{ pkg: ModelPackage; source: string; cleanup: () => Promise<void> }> {
  const dir = modelDir ?? DEFAULT_MODEL_DIR;
  if (modelDir !== undefined || (await stat(dir).then((s) => s.isDirectory(), () => false))) {
    return { pkg: await loadModelPackage(dir), source: dir, cleanup: async () => {} };
  }
  const tmp = await mkdtemp(join(tmpdir(), 'coinfer-bench-'));
  const pkg = await createRandomModelPackage({ dir: join(tmp, 'm'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 1, sampleCount: 32 });
  return { pkg, source: `random package in ${tmp} (${DEFAULT_MODEL_DIR} does not exist)`, cleanup: () => rm(tmp, { recursive: true, force: true }) };
}
