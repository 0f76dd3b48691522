/**
 * Image-folder datasets: one folder per class (`<class>/<image>.jpg|.jpeg|.png`), the layout
 * torchvision's ImageFolder and Keras' image_dataset_from_directory read. The source may be a
 * folder or a `.tar`/`.tar.gz` archive; train and test splits live under `train/` and `test/`
 * (in the folder, in one archive, or in one archive each, e.g. the shared CIFAR-10 JPEG copy).
 * Decoding uses jpeg-js and pngjs; the decoded split is cached on disk (keyed by the sources'
 * sizes and mtimes and the target size), so a second run reads one file instead of decoding.
 * Class order is the sorted folder names (CIFAR-10's folders sort into its label order).
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import tarStream from 'tar-stream';
import { CoinferError } from '../../common/errors.ts';
import { validateDataset, type DatasetSplit, type ImageDataset } from './dataset.ts';
import { resizeBilinear } from './resize.ts';
import { createRng } from '../../common/rng.ts';
import { permutation } from '../batches.ts';

/** Bump when the decoded layout or the decoding changes, so old caches are not reused. */
const CACHE_VERSION = 2;
/** Seed of the fixed image order (changing it changes every cached split and sample set). */
const ORDER_SEED = 20_091_009;
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png']);
const ARCHIVE_RE = /\.(tar|tar\.gz|tgz)$/i;

export interface ImageFolderOptions {
  /** A folder or a .tar/.tar.gz archive. */
  readonly dataDir: string;
  readonly split: DatasetSplit;
  /** Square side every image is resized to; default: the first image's size (must be square). */
  readonly size?: number;
  /** Where decoded splits are cached; null disables the cache. */
  readonly cacheDir?: string | null;
  /** Called while decoding (not when the cache answers). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One encoded image found in the source: its class folder and its bytes (read lazily for folders). */
interface Entry {
  readonly className: string;
  readonly path: string;
  readonly read: () => Promise<Uint8Array>;
}

const notFound = (msg: string): CoinferError =>
  new CoinferError('ERR_DATASET_NOT_FOUND', `${msg}; expected class folders (<class>/<image>.jpg|.png) under train/ and test/, in a folder or a .tar/.tar.gz archive`);

/** Splits `train/cat/0001.jpg` into split, class and file; null for anything else. */
function classify(relPath: string): { split: string; className: string } | null {
  const parts = relPath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length < 3 || !IMAGE_EXT.has(extname(parts[parts.length - 1]!).toLowerCase())) return null;
  return { split: parts[parts.length - 3]!, className: parts[parts.length - 2]! };
}

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await walk(dir, r)));
    else if (d.isFile()) out.push(r);
  }
  return out;
}

async function entriesFromArchive(file: string, split: DatasetSplit): Promise<Entry[]> {
  const entries: Entry[] = [];
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const c = header.type === 'file' ? classify(header.name) : null;
    if (!c || c.split !== split) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (b: unknown) => void chunks.push(b as Buffer));
    stream.on('end', () => {
      const bytes = Buffer.concat(chunks);
      entries.push({ className: c.className, path: `${file}:${header.name}`, read: async () => bytes });
      next();
    });
  });
  const source = createReadStream(file);
  try {
    await (/\.(gz|tgz)$/i.test(file) ? pipeline(source, createGunzip(), extract) : pipeline(source, extract));
  } catch (e) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${file}: not a readable tar archive (${(e as Error).message})`, { cause: e });
  }
  return entries;
}

/** The files that make up a source (for the cache key) and the entries of one split. */
async function listSource(dataDir: string, split: DatasetSplit): Promise<{ sources: string[]; entries: Entry[] }> {
  let st;
  try {
    st = await stat(dataDir);
  } catch (e) {
    throw notFound(`image folder ${dataDir} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (st.isFile()) {
    if (!ARCHIVE_RE.test(dataDir)) throw notFound(`${dataDir} is a file but not a .tar/.tar.gz archive`);
    return { sources: [dataDir], entries: await entriesFromArchive(dataDir, split) };
  }
  const files = await walk(dataDir);
  const images = files.flatMap((rel) => {
    const c = classify(rel);
    return c && c.split === split ? [{ className: c.className, path: join(dataDir, rel), read: () => readFile(join(dataDir, rel)) }] : [];
  });
  if (images.length > 0) return { sources: [dataDir, ...images.map((e) => e.path)], entries: images };
  // No loose images of this split: read the archives in the folder (one per split, or one for all).
  const archives = files.filter((f) => !f.includes('/') && ARCHIVE_RE.test(f)).sort();
  const preferred = archives.filter((a) => basename(a).toLowerCase().includes(split));
  const entries: Entry[] = [];
  const used: string[] = [];
  for (const a of preferred.length > 0 ? preferred : archives) {
    const found = await entriesFromArchive(join(dataDir, a), split);
    if (found.length > 0) used.push(join(dataDir, a));
    entries.push(...found);
  }
  return { sources: used, entries };
}

function decode(bytes: Uint8Array, path: string): { width: number; height: number; rgba: Uint8Array } {
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, rgba: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (e) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${path}: cannot decode the image (${(e as Error).message}); remove or replace the file`, { cause: e });
  }
}

async function cacheKey(sources: readonly string[], split: DatasetSplit, size: number | undefined, count: number): Promise<string> {
  const h = createHash('sha1').update(`v${CACHE_VERSION}|${split}|${size ?? 'auto'}|${count}`);
  // Folders: every file's path is in `sources`, so their stats cover edits. Archives: one stat each.
  for (const s of sources) {
    const st = await stat(s);
    h.update(`|${resolve(s)}|${st.isFile() ? `${st.size}:${st.mtimeMs}` : 'dir'}`);
  }
  return h.digest('hex').slice(0, 16);
}

interface CacheHeader {
  readonly version: number;
  readonly count: number;
  readonly size: number;
  readonly classNames: readonly string[];
}

async function readCache(file: string): Promise<ImageDataset | null> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch {
    return null;
  }
  const headerLen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as CacheHeader;
  const per = 3 * header.size * header.size;
  const body = buf.subarray(4 + headerLen);
  if (header.version !== CACHE_VERSION || body.length !== header.count * (per + 1)) return null; // stale or torn: decode again
  return {
    name: 'imagefolder', split: 'train', count: header.count, channels: 3, height: header.size, width: header.size,
    images: new Uint8Array(body.subarray(0, header.count * per)), labels: new Uint8Array(body.subarray(header.count * per)), classNames: header.classNames,
  };
}

async function writeCache(file: string, ds: ImageDataset): Promise<void> {
  const header: CacheHeader = { version: CACHE_VERSION, count: ds.count, size: ds.height, classNames: ds.classNames };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  await mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, Buffer.concat([len, json, ds.images, ds.labels]));
  await rename(tmp, file); // atomic: a killed run leaves no torn cache
}

/**
 * Loads one split of an image-folder dataset as 3-channel uint8 NCHW.
 * @throws CoinferError ERR_DATASET_NOT_FOUND (no images of the split) / ERR_DATASET_CORRUPT
 */
export async function loadImageFolder(opts: ImageFolderOptions): Promise<ImageDataset> {
  const { sources, entries } = await listSource(opts.dataDir, opts.split);
  if (entries.length === 0) throw notFound(`no ${opts.split} images found in ${opts.dataDir}`);
  if (opts.size !== undefined && (!Number.isInteger(opts.size) || opts.size < 8 || opts.size > 512)) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected image size an integer in [8, 512], actually ${opts.size}`);
  }
  const cacheDir = opts.cacheDir === undefined ? join('.coinfer', 'cache', 'imagefolder') : opts.cacheDir;
  const cacheFile = cacheDir === null ? null : join(cacheDir, `${await cacheKey(sources, opts.split, opts.size, entries.length)}.bin`);
  if (cacheFile) {
    const cached = await readCache(cacheFile);
    if (cached) return validateDataset({ ...cached, split: opts.split }, `image folder ${opts.dataDir} (cache ${cacheFile})`);
  }

  // Stable order: sorted by path (archive and readdir orders are not guaranteed), then a fixed
  // seeded shuffle, so that the first N images (--limit, the package's samples) mix the classes.
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const order = permutation(entries.length, createRng(ORDER_SEED));
  const shuffled = Array.from(order, (i) => entries[i]!);
  entries.splice(0, entries.length, ...shuffled);
  const classNames = [...new Set(entries.map((e) => e.className))].sort();
  const classIndex = new Map(classNames.map((c, i) => [c, i]));
  let size = opts.size ?? 0;
  let images = new Uint8Array(0);
  const labels = new Uint8Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const img = decode(await e.read(), e.path);
    if (size === 0) {
      if (img.width !== img.height) throw new CoinferError('ERR_INVALID_ARGUMENT', `${e.path} is ${img.width}×${img.height}; pass an image size (--image-size N) to resize non-square images`);
      size = img.width;
    }
    if (images.length === 0) images = new Uint8Array(entries.length * 3 * size * size);
    const rgb = img.width === size && img.height === size ? img.rgba : resizeBilinear(img.rgba, img.width, img.height, size);
    const plane = size * size;
    const base = i * 3 * plane;
    for (let p = 0; p < plane; p++) {
      images[base + p] = rgb[p * 4]!;
      images[base + plane + p] = rgb[p * 4 + 1]!;
      images[base + 2 * plane + p] = rgb[p * 4 + 2]!;
    }
    labels[i] = classIndex.get(e.className)!;
    if (opts.onProgress && (i % 500 === 0 || i === entries.length - 1)) opts.onProgress(i + 1, entries.length);
  }
  const ds = validateDataset(
    { name: 'imagefolder', split: opts.split, count: entries.length, channels: 3, height: size, width: size, images, labels, classNames },
    `image folder ${opts.dataDir}`,
  );
  if (cacheFile) await writeCache(cacheFile, ds);
  return ds;
}
