import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile, readdir, utimes } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createGunzip, createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import tarStream from 'tar-stream';
import { loadImageFolder } from '../../../training/data/image-folder.ts';
import { resizeBilinear } from '../../../training/data/resize.ts';

const SHARED_TEST_TAR = resolve(import.meta.dirname, '../../../../shared/data/cifar10-jpeg/cifar10-test-jpeg.tar.gz');
// The real JPEGs come from the shared data folder beside the repository; without it their tests are skipped, saying so.
const HAVE_SHARED = existsSync(SHARED_TEST_TAR);
const needsShared = HAVE_SHARED ? '' : ` — skipped: ${SHARED_TEST_TAR} not found`;
const PER_CLASS = 12;

/** The first PER_CLASS real CIFAR-10 (JPEG copy) test images of every class, as path → bytes. */
async function realJpegs(): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const perClass = new Map<string, number>();
  const extract = tarStream.extract();
  extract.on('entry', (h, stream, next) => {
    const cls = h.name.split('/')[1] ?? '';
    const n = perClass.get(cls) ?? 0;
    if (h.type !== 'file' || n >= PER_CLASS) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    perClass.set(cls, n + 1);
    const chunks: Buffer[] = [];
    stream.on('data', (b: unknown) => void chunks.push(b as Buffer));
    stream.on('end', () => {
      out.set(h.name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(createReadStream(SHARED_TEST_TAR), createGunzip(), extract);
  return out;
}

async function writeTree(root: string, files: Map<string, Buffer>): Promise<void> {
  for (const [name, bytes] of files) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), bytes);
  }
}

async function writeTarGz(file: string, files: Map<string, Buffer>): Promise<void> {
  const pack = tarStream.pack();
  for (const [name, bytes] of files) pack.entry({ name }, bytes);
  pack.finalize();
  await pipeline(pack, createGzip(), createWriteStream(file));
}

describe('image-folder datasets', () => {
  let dir = '';
  let files = new Map<string, Buffer>();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coinfer-imagefolder-'));
    if (HAVE_SHARED) files = await realJpegs();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!HAVE_SHARED)(`reads class folders of real JPEGs from a folder and a .tar.gz identically, classes in sorted order${needsShared}`, async () => {
    await writeTree(join(dir, 'tree'), files);
    await writeTarGz(join(dir, 'test-images.tar.gz'), files);
    const a = await loadImageFolder({ dataDir: join(dir, 'tree'), split: 'test', cacheDir: null });
    const b = await loadImageFolder({ dataDir: join(dir, 'test-images.tar.gz'), split: 'test', cacheDir: null });
    expect(a.count).toBe(10 * PER_CLASS);
    expect(a.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect([a.channels, a.height, a.width]).toEqual([3, 32, 32]);
    expect(b.images).toEqual(a.images);
    expect(b.labels).toEqual(a.labels);
    // The fixed shuffle mixes classes in the first images (so --limit N is not one class).
    expect(new Set(a.labels.subarray(0, 30)).size).toBeGreaterThan(5);
    // Every image is the decoder's pixels, transposed HWC → CHW, under its folder's label.
    const name = [...files.keys()].find((k) => k.includes('/cat/'))!;
    const img = jpeg.decode(files.get(name)!, { useTArray: true, formatAsRGBA: true });
    const idx = Array.from({ length: a.count }, (_, i) => i).find((i) => a.images[i * 3072] === img.data[0] && a.images[i * 3072 + 1024] === img.data[1] && a.images[i * 3072 + 1] === img.data[4] && a.images[i * 3072 + 2048 + 33] === img.data[33 * 4 + 2]);
    expect(idx).toBeDefined();
    expect(a.classNames[a.labels[idx!]!]).toBe('cat');
  });

  it.skipIf(!HAVE_SHARED)(`decodes once, then answers from the cache; a changed source invalidates it${needsShared}`, async () => {
    const cacheDir = join(dir, 'cache');
    let calls = 0;
    const first = await loadImageFolder({ dataDir: join(dir, 'test-images.tar.gz'), split: 'test', cacheDir, onProgress: () => void calls++ });
    expect(calls).toBeGreaterThan(0);
    expect(await readdir(cacheDir)).toHaveLength(1);
    calls = 0;
    const second = await loadImageFolder({ dataDir: join(dir, 'test-images.tar.gz'), split: 'test', cacheDir, onProgress: () => void calls++ });
    expect(calls).toBe(0);
    expect(second.images).toEqual(first.images);
    expect(second.classNames).toEqual(first.classNames);
    await utimes(join(dir, 'test-images.tar.gz'), new Date(), new Date(Date.now() + 5000));
    await loadImageFolder({ dataDir: join(dir, 'test-images.tar.gz'), split: 'test', cacheDir, onProgress: () => void calls++ });
    expect(calls).toBeGreaterThan(0);
  });

  it.skipIf(!HAVE_SHARED)(`reads PNGs, resizes to --image-size, and finds per-split archives in a folder${needsShared}`, async () => {
    const png = new PNG({ width: 40, height: 20 });
    for (let i = 0; i < 40 * 20; i++) png.data.set([i % 256, 100, 200, 255], i * 4);
    const pngBytes = PNG.sync.write(png);
    const trainFiles = new Map([['train/a/1.png', pngBytes], ['train/b/2.png', pngBytes]]);
    await mkdir(join(dir, 'archives'), { recursive: true });
    await writeTarGz(join(dir, 'archives', 'my-train.tar.gz'), trainFiles);
    await writeTarGz(join(dir, 'archives', 'my-test.tar.gz'), new Map([['test/a/1.png', pngBytes]]));
    const train = await loadImageFolder({ dataDir: join(dir, 'archives'), split: 'train', size: 16, cacheDir: null });
    expect([train.count, train.height, train.width]).toEqual([2, 16, 16]);
    expect(train.classNames).toEqual(['a', 'b']);
    const want = resizeBilinear(png.data, 40, 20, 16);
    expect(train.images[0 * 256 + 5]).toBe(want[5 * 4]); // R plane of the first image
    expect(train.images[2 * 256 + 7]).toBe(200); // B is constant
    const test = await loadImageFolder({ dataDir: join(dir, 'archives'), split: 'test', size: 16, cacheDir: null });
    expect(test.count).toBe(1);
  });

  it.skipIf(!HAVE_SHARED)(`fails clearly on a missing split, a non-square image without --image-size and a corrupt image${needsShared}`, async () => {
    await expect(loadImageFolder({ dataDir: join(dir, 'tree'), split: 'train', cacheDir: null })).rejects.toMatchObject({ code: 'ERR_DATASET_NOT_FOUND' });
    await expect(loadImageFolder({ dataDir: join(dir, 'nope'), split: 'train', cacheDir: null })).rejects.toMatchObject({ code: 'ERR_DATASET_NOT_FOUND' });
    await expect(loadImageFolder({ dataDir: join(dir, 'archives'), split: 'train', cacheDir: null })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await mkdir(join(dir, 'bad', 'test', 'x'), { recursive: true });
    await writeFile(join(dir, 'bad', 'test', 'x', '1.jpg'), Buffer.from('not a jpeg'));
    await expect(loadImageFolder({ dataDir: join(dir, 'bad'), split: 'test', cacheDir: null })).rejects.toMatchObject({ code: 'ERR_DATASET_CORRUPT' });
  });
});

describe('resizeBilinear', () => {
  it('keeps a constant image constant and is the identity at the same size', () => {
    const img = new Uint8Array(6 * 4 * 4).fill(77);
    expect(Array.from(resizeBilinear(img, 6, 4, 3)).every((v) => v === 77)).toBe(true);
    const ramp = Uint8Array.from({ length: 5 * 5 * 4 }, (_, i) => i % 251);
    expect(resizeBilinear(ramp, 5, 5, 5)).toEqual(ramp);
  });
});
