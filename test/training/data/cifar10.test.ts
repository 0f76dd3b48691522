import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CoinferError } from '../../../common/errors.ts';
import { CIFAR10_RECORD_BYTES, loadCifar10, parseCifarBatch } from '../../../training/data/cifar10.ts';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
// CI runs with shared/ beside the repository.
const SHARED = resolve(repoRoot, '../shared/data/cifar10');
const haveShared = existsSync(SHARED);

function records(labels: number[]): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR10_RECORD_BYTES);
  labels.forEach((l, i) => {
    out[i * CIFAR10_RECORD_BYTES] = l;
    for (let j = 1; j < CIFAR10_RECORD_BYTES; j++) out[i * CIFAR10_RECORD_BYTES + j] = (i + j) % 256;
  });
  return out;
}

function codeOf(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    return (e as CoinferError).code;
  }
}

describe('parseCifarBatch', () => {
  it('parses plain and gzipped records into N×3×32×32', () => {
    const raw = records([3, 8, 0]);
    for (const bytes of [raw, gzipSync(raw)]) {
      const r = parseCifarBatch(bytes);
      expect(r.count).toBe(3);
      expect(Array.from(r.labels)).toEqual([3, 8, 0]);
      expect(r.images.length).toBe(3 * 3072);
      expect(r.images[3072]).toBe(raw[CIFAR10_RECORD_BYTES + 1]);
    }
  });

  it('rejects a size that is not a multiple of 3073, an empty file and labels > 9', () => {
    const raw = records([1, 2]);
    expect(codeOf(() => parseCifarBatch(raw.subarray(0, raw.length - 1)))).toBe('ERR_DATASET_CORRUPT');
    expect(codeOf(() => parseCifarBatch(new Uint8Array(0)))).toBe('ERR_DATASET_CORRUPT');
    expect(codeOf(() => parseCifarBatch(records([1, 10])))).toBe('ERR_DATASET_CORRUPT');
    expect(codeOf(() => parseCifarBatch(gzipSync(raw).subarray(0, 50)))).toBe('ERR_DATASET_CORRUPT');
  });
});

describe('loadCifar10', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coinfer-cifar-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the official layout (cifar-10-batches-bin/) and reports missing files', async () => {
    const bin = join(dir, 'cifar-10-batches-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'test_batch.bin'), records([0, 1, 2, 3]));
    const test = await loadCifar10({ split: 'test', dataDir: dir });
    expect(test).toMatchObject({ count: 4, channels: 3, height: 32, width: 32, name: 'cifar10' });
    const e = await loadCifar10({ split: 'train', dataDir: dir }).catch((x: unknown) => x);
    expect((e as CoinferError).code).toBe('ERR_DATASET_NOT_FOUND');
    const e2 = await loadCifar10({ split: 'test', dataDir: join(dir, 'absent') }).catch((x: unknown) => x);
    expect((e2 as CoinferError).code).toBe('ERR_DATASET_NOT_FOUND');
  });

  // Skipped, with the reason in its name, when shared/ is not beside the repository.
  it.skipIf(!haveShared)(`loads the shared partial CIFAR-10 (first 1017 records of each batch)${haveShared ? '' : ` — skipped: ${SHARED} not found`}`, async () => {
    const test = await loadCifar10({ split: 'test', dataDir: SHARED });
    expect(test.count).toBe(1017);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    const train = await loadCifar10({ split: 'train', dataDir: SHARED });
    expect(train.count).toBe(5 * 1017);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
  });
});
