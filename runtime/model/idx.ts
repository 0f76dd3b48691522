/**
 * The IDX file format (LeCun's MNIST format, also Fashion-MNIST's and our shipped samples'):
 * magic 0x00 0x00 <type> <rank>, rank big-endian uint32 dims, then the data. Only unsigned
 * bytes (type 0x08) are supported. Files may be gzipped (detected by the gzip magic).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CoinferError } from '../../common/errors.ts';

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Parses IDX bytes (gzipped or not). @throws CoinferError ERR_DATASET_CORRUPT on bad input. */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: gzip stream is corrupt (${(e as Error).message}); re-download or reinstall the file`, { cause: e });
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: bad IDX magic (expected 00 00 08 <rank>); is this an IDX file?`);
  }
  if (buf[2] !== 0x08) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: IDX element type 0x${buf[2]!.toString(16)} is not supported (expected 0x08, unsigned byte)`);
  }
  const rank = buf[3]!;
  const header = 4 + 4 * rank;
  if (rank === 0 || buf.length < header) throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: truncated IDX header (rank ${rank}, ${buf.length} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length - header !== count) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: expected ${count} data bytes for dims [${dims.join(',')}], actually ${buf.length - header}; the file is truncated or corrupt`);
  }
  return { dims, data: buf.subarray(header, header + count) };
}

/** Reads an IDX file. @throws CoinferError ERR_DATASET_NOT_FOUND / ERR_DATASET_CORRUPT. */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new CoinferError('ERR_DATASET_NOT_FOUND', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  return parseIdx(bytes, path);
}

/** Encodes an unsigned-byte IDX array (optionally gzipped). */
export function encodeIdx(arr: IdxArray, gzip = true): Uint8Array {
  const count = arr.dims.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) throw new RangeError(`Expected ${count} bytes for dims [${arr.dims.join(',')}], actually ${arr.data.length}`);
  const out = new Uint8Array(4 + 4 * arr.dims.length + count);
  out[2] = 0x08;
  out[3] = arr.dims.length;
  const view = new DataView(out.buffer);
  arr.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(arr.data, 4 + 4 * arr.dims.length);
  return gzip ? gzipSync(out, { level: 9 }) : out;
}

/** Writes an IDX file. */
export async function writeIdx(path: string, arr: IdxArray, gzip = true): Promise<void> {
  await writeFile(path, encodeIdx(arr, gzip));
}
