/**
 * The resumable training state: one file `checkpoint.bin` in the state directory, written
 * atomically (temp file, fsync, rename), so a crash leaves either the old or the new state.
 * Layout: "CFTS" magic, uint32 LE header length, UTF-8 JSON header, then the float32 data of
 * every model weight and every optimizer weight, in header order.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CoinferError } from '../common/errors.ts';

export const TRAIN_STATE_SCHEMA_VERSION = 1;
const MAGIC = 'CFTS';

export interface TensorRecord {
  readonly name: string;
  readonly shape: readonly number[];
}

/** JSON part of the state (everything except the tensor data). */
export interface TrainStateHeader {
  readonly schemaVersion: typeof TRAIN_STATE_SCHEMA_VERSION;
  /** ArchitectureSpec name; a state only resumes the same architecture. */
  readonly architecture: string;
  /** The resolved trainer config (JSON). */
  readonly config: unknown;
  /** Normalisation used for the inputs (JSON). */
  readonly normalization: unknown;
  /** Completed epochs. */
  readonly epoch: number;
  /** Completed steps inside epoch `epoch` (0 at an epoch boundary). */
  readonly stepInEpoch: number;
  /** Completed steps overall. */
  readonly globalStep: number;
  /** True once every epoch is done. */
  readonly complete: boolean;
  /** Per-epoch summaries (JSON). */
  readonly history: readonly unknown[];
  /** Free-form run metadata (training command, dataset, start date). */
  readonly meta: Readonly<Record<string, unknown>>;
  readonly weights: readonly TensorRecord[];
  readonly optimizer: readonly TensorRecord[];
}

export interface TrainState {
  readonly header: TrainStateHeader;
  readonly weights: readonly Float32Array[];
  readonly optimizer: readonly Float32Array[];
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function checkpointPath(stateDir: string): string {
  return join(stateDir, 'checkpoint.bin');
}

/** Writes the state atomically into `stateDir/checkpoint.bin`. */
export async function saveTrainState(stateDir: string, state: TrainState): Promise<void> {
  const { header } = state;
  const check = (recs: readonly TensorRecord[], data: readonly Float32Array[], what: string): void => {
    if (recs.length !== data.length) throw new RangeError(`Expected ${recs.length} ${what} arrays, actually ${data.length}`);
    recs.forEach((r, i) => {
      if (size(r.shape) !== data[i]!.length) throw new RangeError(`${what} ${r.name}: expected ${size(r.shape)} values, actually ${data[i]!.length}`);
    });
  };
  check(header.weights, state.weights, 'weight');
  check(header.optimizer, state.optimizer, 'optimizer weight');
  await mkdir(stateDir, { recursive: true });
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(8);
  pre.write(MAGIC, 0, 'ascii');
  pre.writeUInt32LE(json.length, 4);
  const final = checkpointPath(stateDir);
  const tmp = `${final}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(pre);
    await fh.write(json);
    for (const a of [...state.weights, ...state.optimizer]) await fh.write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, final);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Reads `stateDir/checkpoint.bin`, or returns null when there is none.
 * @throws CoinferError ERR_CHECKPOINT_CORRUPT on a damaged file
 */
export async function loadTrainState(stateDir: string): Promise<TrainState | null> {
  let buf: Buffer;
  try {
    buf = await readFile(checkpointPath(stateDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const where = checkpointPath(stateDir);
  if (buf.length < 8 || buf.toString('ascii', 0, 4) !== MAGIC) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${where}: not a training state (expected magic ${MAGIC}); delete it or pick another --state-dir`);
  }
  const len = buf.readUInt32LE(4);
  let header: TrainStateHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + len)) as TrainStateHeader;
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${where}: header is not valid JSON; delete the file to start over`, { cause: e });
  }
  if (header.schemaVersion !== TRAIN_STATE_SCHEMA_VERSION) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `${where}: schema version ${header.schemaVersion}, expected ${TRAIN_STATE_SCHEMA_VERSION}`);
  }
  const recs = [...header.weights, ...header.optimizer];
  const total = recs.reduce((a, r) => a + size(r.shape), 0);
  const dataStart = 8 + len;
  if (buf.length - dataStart !== total * 4) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${where}: expected ${total * 4} data bytes, actually ${buf.length - dataStart}; the file is truncated`);
  }
  // copy into an aligned buffer so Float32Array views are legal
  const data = new Float32Array(total);
  new Uint8Array(data.buffer).set(buf.subarray(dataStart));
  const arrays: Float32Array[] = [];
  let off = 0;
  for (const r of recs) {
    const n = size(r.shape);
    arrays.push(data.subarray(off, off + n));
    off += n;
  }
  return { header, weights: arrays.slice(0, header.weights.length), optimizer: arrays.slice(header.weights.length) };
}
