/**
 * The learner-state file format (pure bytes, no I/O): "CFLS" magic, uint32 LE header length,
 * UTF-8 JSON header, then raw little-endian arrays in header order, each starting on an 8-byte
 * boundary (so Float64 priorities can be viewed in place). Only the filled replay rows are
 * written, so a young memory makes a small file.
 */
import { z } from 'zod';
import { CoinferError } from '../common/errors.ts';
import { parseWith } from '../common/schema.ts';
import type { LearnerState } from './learner-state.ts';

export const LEARNER_STATE_SCHEMA_VERSION = 1;
const MAGIC = 'CFLS';
const ALIGN = 8;

type DType = 'float32' | 'float64' | 'int32' | 'uint8';
const CTOR = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;
type Typed = Float32Array | Float64Array | Int32Array | Uint8Array;
const dtypeOf = (a: Typed): DType => (a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'uint8');

const uint = z.number().int().min(0);
const rngState = z.strictObject({ words: z.tuple([uint, uint, uint, uint]), spare: z.number().nullable() });
const headerSchema = z.strictObject({
  schemaVersion: z.literal(LEARNER_STATE_SCHEMA_VERSION),
  observationSize: uint,
  actionCount: uint,
  replayCapacity: uint,
  prioritized: z.strictObject({ alpha: z.number(), eps: z.number() }).nullable(),
  envSteps: uint,
  betaSteps: uint,
  roundsDue: uint,
  rngs: z.record(z.string(), rngState),
  memory: z.strictObject({ next: uint, size: uint, maxPriority: z.number() }),
  optimizer: z.strictObject({ gradientSteps: uint, iterations: uint, accBeta1: z.number().nullable(), accBeta2: z.number().nullable() }),
  arrays: z.array(z.strictObject({ name: z.string(), dtype: z.enum(['float32', 'float64', 'int32', 'uint8']), shape: z.array(uint) })),
});
type Header = z.output<typeof headerSchema>;

const pad = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** The bytes of a learner state. */
export function encodeLearnerState(s: LearnerState): Uint8Array {
  const r = s.memory.rows;
  const arrays: { name: string; shape: number[]; data: Typed }[] = [
    { name: 'memory/observations', shape: [r.size, s.observationSize], data: r.observations },
    { name: 'memory/next_observations', shape: [r.size, s.observationSize], data: r.nextObservations },
    { name: 'memory/actions', shape: [r.size], data: r.actions },
    { name: 'memory/rewards', shape: [r.size], data: r.rewards },
    { name: 'memory/discounts', shape: [r.size], data: r.discounts },
    { name: 'memory/next_action_masks', shape: [r.size, s.actionCount], data: r.nextActionMasks },
    ...(s.memory.priorities ? [{ name: 'memory/priorities', shape: [r.size], data: s.memory.priorities }] : []),
    ...s.targetWeights.map((w) => ({ name: `target/${w.name}`, shape: [...w.shape], data: w.values })),
    ...s.optimizer.moments.map((m, i) => ({ name: `adam/${i < s.optimizer.moments.length / 2 ? 'm' : 'v'}/${i % (s.optimizer.moments.length / 2)}`, shape: [...m.shape], data: m.values })),
  ];
  const header: Header = {
    schemaVersion: LEARNER_STATE_SCHEMA_VERSION,
    observationSize: s.observationSize, actionCount: s.actionCount, replayCapacity: s.replayCapacity, prioritized: s.prioritized,
    envSteps: s.envSteps, betaSteps: s.betaSteps, roundsDue: s.roundsDue,
    rngs: Object.fromEntries(Object.entries(s.rngs).map(([k, v]) => [k, { words: [...v.words], spare: v.spare }])) as Header['rngs'],
    memory: { next: s.memory.next, size: s.memory.size, maxPriority: s.memory.maxPriority },
    optimizer: { gradientSteps: s.optimizer.gradientSteps, iterations: s.optimizer.iterations, accBeta1: s.optimizer.accBeta1, accBeta2: s.optimizer.accBeta2 },
    arrays: arrays.map((a) => ({ name: a.name, dtype: dtypeOf(a.data), shape: a.shape })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let offset = pad(8 + json.byteLength);
  const total = arrays.reduce((n, a) => pad(n + a.data.byteLength), offset);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.byteLength, true);
  out.set(json, 8);
  for (const a of arrays) {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), offset); // typed arrays are little-endian on every platform Node runs on
    offset = pad(offset + a.data.byteLength);
  }
  return out;
}

/**
 * Parses learner-state bytes.
 * @param file the path, for messages.
 * @throws CoinferError ERR_CHECKPOINT_CORRUPT (bad magic, header, sizes or truncation);
 *   ERR_CHECKPOINT_INCOMPATIBLE for another schema version.
 */
export function decodeLearnerState(bytes: Uint8Array, file: string): LearnerState {
  const corrupt = (why: string): never => {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${file}: ${why}: the learner state is damaged (truncated copy?); delete that file to resume from the weights only, or pick another checkpoint`);
  };
  if (bytes.byteLength < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) corrupt(`expected the "${MAGIC}" magic, actually ${bytes.byteLength < 4 ? `${bytes.byteLength} bytes` : JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 4)))}`);
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + headerBytes > bytes.byteLength) corrupt(`expected a ${headerBytes}-byte header, actually ${bytes.byteLength - 8} bytes after the magic`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes)));
  } catch {
    return corrupt('the header is not valid JSON');
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== LEARNER_STATE_SCHEMA_VERSION) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `${file}: expected learner-state schema ${LEARNER_STATE_SCHEMA_VERSION}, actually ${JSON.stringify(version)}: use the coinfer version that wrote it, or delete the file to resume from the weights only`);
  }
  let h: Header;
  try {
    h = parseWith(headerSchema, raw, `learner state ${file}`, 'ERR_CHECKPOINT_CORRUPT');
  } catch (e) {
    return corrupt((e as Error).message);
  }
  const data = new Map<string, Typed>();
  let offset = pad(8 + headerBytes);
  for (const a of h.arrays) {
    const ctor = CTOR[a.dtype];
    const length = a.shape.reduce((x, y) => x * y, 1);
    const end = offset + length * ctor.BYTES_PER_ELEMENT;
    if (end > bytes.byteLength) corrupt(`expected ${a.name} to end at byte ${end}, actually the file has ${bytes.byteLength} bytes`);
    const copy = new Uint8Array(length * ctor.BYTES_PER_ELEMENT); // aligned copy, independent of the file buffer
    copy.set(bytes.subarray(offset, end));
    data.set(a.name, new ctor(copy.buffer));
    offset = pad(end);
  }
  if (offset < bytes.byteLength) corrupt(`expected ${offset} bytes, actually ${bytes.byteLength}`);
  const n = h.memory.size;
  const get = <T extends Typed>(name: string, ctor: new (n: number) => T, length: number): T => {
    const a = data.get(name);
    if (!(a instanceof ctor) || a.length !== length) corrupt(`expected array ${name} of ${length} values, actually ${a ? a.length : 'none'}`);
    return a as T;
  };
  const momentNames = h.arrays.filter((a) => a.name.startsWith('adam/'));
  return {
    observationSize: h.observationSize, actionCount: h.actionCount, replayCapacity: h.replayCapacity, prioritized: h.prioritized,
    envSteps: h.envSteps, betaSteps: h.betaSteps, roundsDue: h.roundsDue,
    rngs: h.rngs as LearnerState['rngs'],
    memory: {
      next: h.memory.next, size: n, maxPriority: h.memory.maxPriority,
      rows: {
        size: n,
        observations: get('memory/observations', Float32Array, n * h.observationSize),
        nextObservations: get('memory/next_observations', Float32Array, n * h.observationSize),
        actions: get('memory/actions', Int32Array, n),
        rewards: get('memory/rewards', Float32Array, n),
        discounts: get('memory/discounts', Float32Array, n),
        nextActionMasks: get('memory/next_action_masks', Uint8Array, n * h.actionCount),
      },
      priorities: data.has('memory/priorities') ? get('memory/priorities', Float64Array, n) : null,
    },
    targetWeights: h.arrays.filter((a) => a.name.startsWith('target/')).map((a) => ({ name: a.name.slice('target/'.length), shape: a.shape, values: get(a.name, Float32Array, a.shape.reduce((x, y) => x * y, 1)) })),
    optimizer: {
      ...h.optimizer,
      moments: momentNames.map((a) => ({ shape: a.shape, values: get(a.name, Float32Array, a.shape.reduce((x, y) => x * y, 1)) })),
    },
  };
}
