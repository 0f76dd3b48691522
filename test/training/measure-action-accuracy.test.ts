import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModelPackage, type ModelPackage } from '../../runtime/model/model-package.ts';
import { loadSamples } from '../../runtime/model/samples.ts';
import { decodeCorrectness } from '../../runtime/model/manifest-build.ts';
import { measureActionAccuracy } from '../../training/measure-action-accuracy.ts';
import { ACTION_ACCURACY_FILE, loadActionAccuracy, saveActionAccuracy } from '../../runtime/model/action-accuracy.ts';

const MODEL = resolve(import.meta.dirname, '../../models/fmnist-alexnet');
const N = 60;

describe('measureActionAccuracy', () => {
  let pkg: ModelPackage;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coinfer-accuracy-'));
    await cp(MODEL, join(dir, 'm'), { recursive: true });
    pkg = await loadModelPackage(join(dir, 'm'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures every lossy action against the same samples, and stores it beside the manifest', async () => {
    const s = await loadSamples(pkg);
    const per = s.shape.reduce((a, b) => a * b, 1);
    const file = await measureActionAccuracy({ onnx: pkg.onnx, manifest: pkg.manifest, images: s.images.subarray(0, N * per), labels: s.labels.subarray(0, N), jpegQualities: [95, 10] });
    const m = pkg.manifest;
    const lastBranch = Math.max(...m.exits.map((e) => e.branchStage));
    const pairs = m.stages.filter((st) => st.index < lastBranch).reduce((a, st) => a + m.exits.filter((e) => e.branchStage > st.index).length, 0);
    expect(file.entries.filter((e) => e.encoding === 'f16')).toHaveLength(pairs);
    expect(file.entries.filter((e) => e.encoding === 'int8')).toHaveLength(pairs);
    expect(file.entries.filter((e) => e.encoding === 'jpeg')).toHaveLength(2 * m.exits.length);
    // f32 on these samples equals the manifest's per-sample vectors.
    m.exits.forEach((e, k) => {
      const bits = decodeCorrectness(e.correct!, e.evalSamples).subarray(0, N);
      expect(file.exitAccuracy[k]).toBeCloseTo(bits.reduce((a, b) => a + b, 0) / N, 12);
    });
    // f16 keeps ~3 significant digits: at most one answer in 60 may flip.
    for (const e of file.entries.filter((x) => x.encoding === 'f16')) expect(Math.abs(e.accuracy - file.exitAccuracy[e.exit - 1]!)).toBeLessThanOrEqual(1 / N + 1e-12);
    const q = (quality: number, exit: number) => file.entries.find((e) => e.encoding === 'jpeg' && e.quality === quality && e.exit === exit)!;
    expect(q(95, 5).accuracy).toBeGreaterThanOrEqual(q(10, 5).accuracy - 2 / N); // heavier compression is not better
    const [hi, lo] = file.inputEncodings;
    expect(hi!.meanBytes).toBeGreaterThan(lo!.meanBytes);
    expect(hi!.encodeMsMedian).toBeGreaterThan(0);

    await saveActionAccuracy(pkg.dir, file);
    expect(await loadActionAccuracy(pkg.dir, m.onnxSha256)).toEqual(file);
    await expect(loadActionAccuracy(pkg.dir, 'f'.repeat(64))).rejects.toMatchObject({ code: 'ERR_MODEL_MANIFEST' });
  });

  it('reads no file as null and a malformed one as a clear error naming the key', async () => {
    const other = join(dir, 'empty');
    await cp(MODEL, other, { recursive: true, filter: (src) => !src.endsWith(ACTION_ACCURACY_FILE) });
    expect(await loadActionAccuracy(other, pkg.manifest.onnxSha256)).toBeNull();
    await writeFile(join(other, ACTION_ACCURACY_FILE), JSON.stringify({ schemaVersion: 1, onnxSha256: pkg.manifest.onnxSha256, evalSamples: -1 }));
    await expect(loadActionAccuracy(other, pkg.manifest.onnxSha256)).rejects.toThrow(/evalSamples/);
  });
});
