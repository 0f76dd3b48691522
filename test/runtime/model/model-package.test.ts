import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoinferError } from '../../../common/errors.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage, packageDataSource, writeModelPackage, type ModelPackage } from '../../../runtime/model/model-package.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { loadSamples } from '../../../runtime/model/samples.ts';

const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
let root: string;
let pkg: ModelPackage;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-pkg-'));
  pkg = await createRandomModelPackage({ dir: join(root, 'base'), spec, seed: 21, sampleCount: 12 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectReject(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CoinferError);
  expect((err as CoinferError).code).toBe(code);
}

/** A copy of the base package with manifest.json edited. */
async function withManifest(name: string, edit: (m: Record<string, any>) => unknown): Promise<string> {
  const dir = join(root, name);
  await cp(pkg.dir, dir, { recursive: true });
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const replaced = edit(m);
  await writeFile(join(dir, 'manifest.json'), typeof replaced === 'string' ? replaced : JSON.stringify(m));
  return dir;
}

describe('model package', () => {
  it('round-trips write → load: manifest, bytes, model id and samples', async () => {
    const dir = join(root, 'copy');
    await writeModelPackage(dir, { onnx: pkg.onnx, manifest: pkg.manifest });
    const back = await loadModelPackage(dir);
    expect(back.manifest).toEqual(pkg.manifest);
    expect(Buffer.from(back.onnx).equals(Buffer.from(pkg.onnx))).toBe(true);
    expect(back.modelId).toBe(Number.parseInt(pkg.manifest.onnxSha256.slice(0, 8), 16));
    expect(back.manifest.exits.every((e) => e.accuracy === null && e.correct === null)).toBe(true);
    await expectReject(loadSamples(back), 'ERR_DATASET_NOT_FOUND'); // written without samples

    const samples = await loadSamples(pkg);
    expect(samples.count).toBe(12);
    expect(samples.shape).toEqual([1, 28, 28]);
    expect(samples.images.length).toBe(12 * 784);
    expect(samples.labels.every((l) => l < 10)).toBe(true);
  });

  it('replaces an existing package atomically, leaving no temp directories', async () => {
    const dir = join(root, 'replace');
    await writeModelPackage(dir, { onnx: pkg.onnx, manifest: pkg.manifest });
    const other = await createRandomModelPackage({ dir: join(root, 'other'), spec, seed: 22, sampleCount: 0 });
    await writeModelPackage(dir, { onnx: other.onnx, manifest: other.manifest });
    expect((await loadModelPackage(dir)).manifest.onnxSha256).toBe(other.manifest.onnxSha256);
    expect((await readdir(root)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('refuses to write a manifest whose sha256 does not match the ONNX bytes', async () => {
    const other = await loadModelPackage(join(root, 'other'));
    await expectReject(writeModelPackage(join(root, 'mismatch'), { onnx: other.onnx, manifest: pkg.manifest }), 'ERR_MODEL_MANIFEST');
  });

  it('rejects a missing directory or missing files with ERR_MODEL_NOT_FOUND', async () => {
    await expectReject(loadModelPackage(join(root, 'does-not-exist')), 'ERR_MODEL_NOT_FOUND');
    const dir = join(root, 'no-onnx');
    await cp(pkg.dir, dir, { recursive: true });
    await rm(join(dir, 'model.onnx'));
    await expectReject(loadModelPackage(dir), 'ERR_MODEL_NOT_FOUND');
  });

  it('rejects corrupt manifests with ERR_MODEL_MANIFEST', async () => {
    const cases: [string, (m: Record<string, any>) => unknown][] = [
      ['not-json', () => '{"schemaVersion": 1,'],
      ['schema', (m) => { m.schemaVersion = 2; }],
      ['sha', (m) => { m.onnxSha256 = 'a'.repeat(64); }],
      ['stage-tensor', (m) => { m.stages[3].output = 'no_such_tensor'; }],
      ['exit-tensor', (m) => { m.exits[0].output = 'conv1'; }], // a tensor, but not a graph output
      ['stage-shape', (m) => { m.stages[0].outputShape = [32, 27, 28]; }],
      ['branch', (m) => { m.exits[1].branchStage = 99; }],
      ['accuracy', (m) => { m.exits[2].accuracy = 1.5; }],
      ['correct', (m) => { m.exits[2].correct = 'AAAA'; m.exits[2].evalSamples = 100; }],
      ['input-name', (m) => { m.input.name = 'image'; }],
      ['mean', (m) => { m.input.preprocessing.mean = [0, 0, 0]; }],
      ['stages-missing', (m) => { delete m.stages; }],
    ];
    for (const [name, edit] of cases) {
      const dir = await withManifest(`bad-${name}`, edit);
      await expectReject(loadModelPackage(dir), 'ERR_MODEL_MANIFEST');
    }
  });

  it('rejects garbage model.onnx bytes', async () => {
    const dir = join(root, 'garbage-onnx');
    await cp(pkg.dir, dir, { recursive: true });
    await writeFile(join(dir, 'model.onnx'), 'not a model');
    await expectReject(loadModelPackage(dir), 'ERR_MODEL_MANIFEST'); // sha mismatch comes first
  });

  it('points DEFAULT_MODEL_DIR at <repo>/models/cifar10-alexnet', () => {
    expect(DEFAULT_MODEL_DIR.endsWith(join('models', 'cifar10-alexnet'))).toBe(true);
    expect(DEFAULT_MODEL_DIR).toBe(join(new URL('../../..', import.meta.url).pathname, 'models', 'cifar10-alexnet'));
  });

  it('resolves the recorded data source against the package folder, then the working directory', async () => {
    const base = await mkdtemp(join(tmpdir(), 'coinfer-ds-'));
    try {
      const dir = join(base, 'models', 'm');
      await mkdir(join(base, 'data', 'set'), { recursive: true });
      await mkdir(dir, { recursive: true });
      const withSource = (dataSource: string | undefined) => ({ dir, manifest: { ...pkg.manifest, input: { ...pkg.manifest.input, ...(dataSource !== undefined ? { dataSource } : {}) } } });
      expect(packageDataSource(withSource('../../data/set'))).toBe(join(base, 'data', 'set'));
      expect(packageDataSource(withSource('/abs/where'))).toBe('/abs/where');
      expect(packageDataSource(withSource('not/under/the/package'))).toBe(resolve('not/under/the/package'));
      expect(packageDataSource({ dir, manifest: { ...pkg.manifest, input: { ...pkg.manifest.input, dataSource: undefined } } })).toBeUndefined();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
