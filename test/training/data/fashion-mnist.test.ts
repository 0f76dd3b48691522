import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CoinferError } from '../../../common/errors.ts';
import { encodeIdx, readIdx } from '../../../runtime/model/idx.ts';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_DEFAULT_DIR, fashionMnistFromIdx, loadFashionMnist } from '../../../training/data/fashion-mnist.ts';
import { channelStats, takeFirst } from '../../../training/data/dataset.ts';

const N = 12;
function images(n = N): Uint8Array {
  const a = new Uint8Array(n * 28 * 28);
  for (let i = 0; i < a.length; i++) a[i] = (i * 7) % 256;
  return a;
}
function labels(n = N, max = 9): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % (max + 1));
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(CoinferError);
  expect((e as CoinferError).code).toBe(code);
}

describe('loadFashionMnist', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coinfer-fmnist-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeSplit(sub: string, img: Uint8Array | null, imgDims: number[], lbl: Uint8Array, gzip = true): Promise<string> {
    const d = join(dir, sub);
    await import('node:fs/promises').then((fs) => fs.mkdir(d, { recursive: true }));
    const ext = gzip ? '.gz' : '';
    if (img) await writeFile(join(d, `t10k-images-idx3-ubyte${ext}`), encodeIdx({ dims: imgDims, data: img }, gzip));
    await writeFile(join(d, `t10k-labels-idx1-ubyte${ext}`), encodeIdx({ dims: [lbl.length], data: lbl }, gzip));
    return d;
  }

  it('reads gzipped and plain IDX files', async () => {
    for (const gzip of [true, false]) {
      const d = await writeSplit(`ok-${gzip}`, images(), [N, 28, 28], labels(), gzip);
      const ds = await loadFashionMnist({ split: 'test', dataDir: d });
      expect(ds).toMatchObject({ count: N, channels: 1, height: 28, width: 28, name: 'fashion-mnist', split: 'test' });
      expect(new Uint8Array(ds.images)).toEqual(images());
      expect(Array.from(ds.labels)).toEqual(Array.from(labels()));
      expect(ds.classNames).toHaveLength(10);
    }
  });

  it('fails with ERR_DATASET_NOT_FOUND when the files are missing', async () => {
    await expectCode(loadFashionMnist({ split: 'test', dataDir: join(dir, 'nowhere') }), 'ERR_DATASET_NOT_FOUND');
    const d = await writeSplit('no-images', null, [], labels());
    await expectCode(loadFashionMnist({ split: 'test', dataDir: d }), 'ERR_DATASET_NOT_FOUND');
  });

  it('rejects a wrong magic, truncated data, wrong dims and labels out of range', async () => {
    const bad = await writeSplit('magic', images(), [N, 28, 28], labels());
    await writeFile(join(bad, 't10k-images-idx3-ubyte.gz'), gzipSync(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])));
    await expectCode(loadFashionMnist({ split: 'test', dataDir: bad }), 'ERR_DATASET_CORRUPT');

    const trunc = await writeSplit('trunc', images(), [N, 28, 28], labels());
    const full = encodeIdx({ dims: [N, 28, 28], data: images() }, false);
    await writeFile(join(trunc, 't10k-images-idx3-ubyte.gz'), gzipSync(full.subarray(0, full.length - 100)));
    await expectCode(loadFashionMnist({ split: 'test', dataDir: trunc }), 'ERR_DATASET_CORRUPT');

    const dims = await writeSplit('dims', new Uint8Array(N * 32 * 32), [N, 32, 32], labels());
    await expectCode(loadFashionMnist({ split: 'test', dataDir: dims }), 'ERR_DATASET_CORRUPT');

    const count = await writeSplit('count', images(), [N, 28, 28], labels(N - 1));
    await expectCode(loadFashionMnist({ split: 'test', dataDir: count }), 'ERR_DATASET_CORRUPT');

    const range = await writeSplit('range', images(), [N, 28, 28], labels(N, 10));
    await expectCode(loadFashionMnist({ split: 'test', dataDir: range }), 'ERR_DATASET_CORRUPT');
  });

  it.skipIf(!existsSync(FASHION_MNIST_DEFAULT_DIR))('loads the installed test split (10,000 images, all 10 classes)', async () => {
    const ds = await loadFashionMnist({ split: 'test' });
    expect(ds.count).toBe(10_000);
    const hist = new Array<number>(10).fill(0);
    ds.labels.forEach((l) => hist[l]!++);
    expect(hist).toEqual(new Array<number>(10).fill(1000));
    const first = takeFirst(ds, 100);
    expect(first.images.length).toBe(100 * 784);
    const { mean, std } = channelStats(ds);
    expect(mean[0]).toBeGreaterThan(0.2);
    expect(mean[0]).toBeLessThan(0.4);
    expect(std[0]).toBeGreaterThan(0.25);
  });
});

const SHIPPED = fileURLToPath(new URL('../../../models/fmnist-alexnet/samples', import.meta.url));

describe('the shipped model package samples', () => {
  it.skipIf(!existsSync(SHIPPED))('are the first 1000 Fashion-MNIST test images, valid for the loader', async () => {
    const images = await readIdx(join(SHIPPED, 'images.idx.gz'));
    const labels = await readIdx(join(SHIPPED, 'labels.idx.gz'));
    expect(images.dims).toEqual([1000, 1, 28, 28]);
    const ds = fashionMnistFromIdx({ dims: [1000, 28, 28], data: images.data }, labels, { split: 'test', source: SHIPPED });
    expect(ds.count).toBe(1000);
    if (existsSync(FASHION_MNIST_DEFAULT_DIR)) {
      const test = takeFirst(await loadFashionMnist({ split: 'test' }), 1000);
      expect(Buffer.from(ds.images).equals(Buffer.from(test.images))).toBe(true);
      expect(Buffer.from(ds.labels).equals(Buffer.from(test.labels))).toBe(true);
    }
  });
});
