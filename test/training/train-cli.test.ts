import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../../common/rng.ts';
import { encodeIdx } from '../../runtime/model/idx.ts';
import { loadModelPackage } from '../../runtime/model/model-package.ts';
import { loadSamples } from '../../runtime/model/samples.ts';
import { decodeCorrectness } from '../../runtime/model/manifest-build.ts';

const run = promisify(execFile);
const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cli = join(repoRoot, 'bin', 'coinfer.js');

/** A small learnable Fashion-MNIST-shaped dataset: the class is the brightest image quadrant-ish band. */
async function writeDataset(dir: string): Promise<void> {
  const rng = createRng(1);
  const make = (n: number): { images: Uint8Array; labels: Uint8Array } => {
    const images = new Uint8Array(n * 784);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const label = rng.int(10);
      labels[i] = label;
      for (let p = 0; p < 784; p++) images[i * 784 + p] = Math.floor(p / 78.4) === label ? 200 + rng.int(56) : rng.int(40);
    }
    return { images, labels };
  };
  await mkdir(dir, { recursive: true });
  for (const [prefix, n] of [['train', 256], ['t10k', 300]] as const) {
    const { images, labels } = make(n);
    await writeFile(join(dir, `${prefix}-images-idx3-ubyte.gz`), encodeIdx({ dims: [n, 28, 28], data: images }));
    await writeFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`), encodeIdx({ dims: [n], data: labels }));
  }
}

describe('coinfer model train / eval (smoke)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coinfer-train-cli-'));
    await writeDataset(join(dir, 'data'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains 1 epoch on 256 images and writes a loadable, evaluated package', async () => {
    const out = join(dir, 'pkg');
    const { stdout } = await run(process.execPath, [cli, 'model', 'train', '--dataset', 'fashion-mnist', '--data-dir', join(dir, 'data'), '--out', out,
      '--limit', '256', '--epochs', '1', '--batch', '32', '--state-dir', join(dir, 'state'), '--json'], { cwd: repoRoot, timeout: 60_000 });
    const report = JSON.parse(stdout) as { exits: { name: string; accuracy: number }[]; samples: number };
    expect(report.exits.map((e) => e.name)).toEqual(['exit1', 'exit2', 'exit3', 'exit4', 'exit5']);
    expect(report.samples).toBe(300);

    const pkg = await loadModelPackage(out);
    const m = pkg.manifest;
    expect(m.input.dataset).toBe('fashion-mnist');
    expect(m.input.preprocessing.scale).toBeCloseTo(1 / 255, 12);
    expect(m.input.preprocessing.std[0]).toBeGreaterThan(0);
    expect(m.provenance.trainingCommand).toContain('model train --dataset fashion-mnist');
    expect(m.provenance.training).toMatchObject({ epochsDone: 1, epochsPlanned: 1, steps: 8 });
    expect(m.provenance.training!.epochSeconds).toHaveLength(1);
    expect(m.provenance.training!.lastEpochTrainAccuracy).toHaveLength(5);
    m.exits.forEach((e, k) => {
      expect(e.evalSamples).toBe(300);
      expect(e.accuracy).toBeCloseTo(report.exits[k]!.accuracy, 12);
      const bits = decodeCorrectness(e.correct!, 300);
      expect(bits.reduce((a, b) => a + b, 0) / 300).toBeCloseTo(e.accuracy!, 12);
    });
    const samples = await loadSamples(pkg);
    expect(samples.count).toBe(300); // min(1000, test images)

    // eval reproduces the manifest on the same data …
    const ev = await run(process.execPath, [cli, 'model', 'eval', '--model', out, '--data-dir', join(dir, 'data'), '--json'], { cwd: repoRoot, timeout: 60_000 });
    const evr = JSON.parse(ev.stdout) as { exits: { name: string; accuracy: number }[]; samples: number; source: string };
    expect(evr.samples).toBe(300);
    expect(evr.source).toBe('dataset');
    evr.exits.forEach((e, k) => expect(e.accuracy).toBeCloseTo(m.exits[k]!.accuracy!, 12));
    // … and fails when the named data folder is absent, rather than quietly scoring the package samples
    const fb = await run(process.execPath, [cli, 'model', 'eval', '--model', out, '--data-dir', join(dir, 'absent'), '--json'], { cwd: repoRoot, timeout: 60_000 }).catch((e: { code: number; stderr: string; stdout: string }) => e);
    expect(fb).toMatchObject({ code: 1, stdout: '' });
    expect(fb.stderr).toContain('ERR_DATASET_NOT_FOUND');

    // --package-state packages the saved state as it stands: the same weights, no further steps
    const again = join(dir, 'pkg-again');
    const bad = await run(process.execPath, [cli, 'model', 'train', '--dataset', 'fashion-mnist', '--data-dir', join(dir, 'data'), '--out', again, '--package-state'], { cwd: repoRoot, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    const ps = await run(process.execPath, [cli, 'model', 'train', '--dataset', 'fashion-mnist', '--data-dir', join(dir, 'data'), '--out', again,
      '--limit', '256', '--state-dir', join(dir, 'state'), '--resume', '--package-state', '--json'], { cwd: repoRoot, timeout: 60_000 });
    const psr = JSON.parse(ps.stdout) as { exits: { name: string; accuracy: number }[] };
    psr.exits.forEach((e, k) => expect(e.accuracy).toBeCloseTo(m.exits[k]!.accuracy!, 12));
    expect((await loadModelPackage(again)).manifest.onnxSha256).toBe(m.onnxSha256);
  }, 150_000);
});
