/**
 * The versioned weights the learner publishes and actors pick up, pure (no I/O): "CFWT" magic,
 * u32 LE header length, UTF-8 JSON header, padding to 4, then every tensor's float32 values in
 * header order. The header carries what an actor must check before acting with the weights:
 * the objective they were trained for (reward kind, miss penalty, energy λ — the reward's
 * normalisation follows from its kind) and the observation version the network reads.
 */
import { CoinferError } from '../../common/errors.ts';
import type { NetworkWeights } from '../q-network.ts';

export const WEIGHTS_CODEC_VERSION = 1;
const MAGIC = 0x54574643; // "CFWT" as a little-endian u32

/** What a policy is trained to maximise; actors and learner must agree on all of it. */
export interface DistributedObjective {
  /** The reward signal ('correctness', 'accuracy', 'normalized-accuracy'). */
  readonly rewardKind: string;
  /** Reward of a missed deadline (≤ 0). */
  readonly missPenalty: number;
  /** Energy weight λ per joule of device energy. */
  readonly energyLambdaPerJ: number;
}

/** The published header. */
export interface WeightsHeader {
  /** The learner run (a resumed learner keeps its run's id): versions compare within one run only. */
  readonly runId: string;
  /** Increases by 1 per publication of one learner run (a resumed run continues it). */
  readonly version: number;
  /** Transitions the learner has learned from (drives the actors' ε schedule). */
  readonly envSteps: number;
  readonly gradientSteps: number;
  readonly objective: DistributedObjective;
  readonly observationVersion: number;
  readonly observationSize: number;
  readonly actionCount: number;
}

export interface WeightsMessage extends WeightsHeader {
  readonly weights: NetworkWeights;
}

/** What an actor needs the weights to match. */
export interface WeightsExpectation {
  readonly objective: DistributedObjective;
  readonly observationVersion: number;
  readonly observationSize: number;
  readonly actionCount: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export function encodeWeights(m: WeightsMessage): Uint8Array {
  const header = JSON.stringify({
    codecVersion: WEIGHTS_CODEC_VERSION, runId: m.runId, version: m.version, envSteps: m.envSteps, gradientSteps: m.gradientSteps, objective: m.objective,
    observationVersion: m.observationVersion, observationSize: m.observationSize, actionCount: m.actionCount,
    tensors: m.weights.map((w) => ({ name: w.name, shape: w.shape })),
  });
  const json = new TextEncoder().encode(header);
  const start = pad4(8 + json.length);
  const total = start + 4 * m.weights.reduce((s, w) => s + w.values.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  let at = start;
  for (const w of m.weights) {
    new Float32Array(bytes.buffer, at, w.values.length).set(w.values);
    at += 4 * w.values.length;
  }
  return bytes;
}

const bad = (what: string): CoinferError => new CoinferError('ERR_FRAME_MALFORMED', `Weights message: ${what}: the weights key holds something a coinfer learner did not write; restart the learner`);

/**
 * @throws CoinferError ERR_FRAME_BAD_MAGIC, ERR_FRAME_BAD_VERSION (another codec version: run
 *   actors and the learner from one coinfer version), ERR_FRAME_MALFORMED.
 */
export function decodeWeights(input: Uint8Array): WeightsMessage {
  const bytes = input.byteOffset % 4 === 0 ? input : new Uint8Array(input); // a copy (Buffer#slice would share)
  if (bytes.byteLength < 8) throw bad(`expected at least 8 bytes, actually ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new CoinferError('ERR_FRAME_BAD_MAGIC', 'Weights message: expected the magic "CFWT", actually other bytes: the weights key holds something else');
  const len = view.getUint32(4, true);
  if (8 + len > bytes.byteLength) throw bad(`header of ${len} bytes in a message of ${bytes.byteLength}`);
  let h: WeightsHeader & { codecVersion: number; tensors: { name: string; shape: number[] }[] };
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as typeof h;
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  if (h.codecVersion !== WEIGHTS_CODEC_VERSION) throw new CoinferError('ERR_FRAME_BAD_VERSION', `Weights message: expected codec version ${WEIGHTS_CODEC_VERSION}, actually ${String(h.codecVersion)}: run actors and the learner from one coinfer version`);
  if (!Array.isArray(h.tensors) || typeof h.objective !== 'object' || h.objective === null) throw bad('header without tensors or objective');
  let at = bytes.byteOffset + pad4(8 + len);
  const end = bytes.byteOffset + bytes.byteLength;
  const weights = h.tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (at + 4 * n > end) throw bad(`tensor ${t.name} runs past the end`);
    const values = new Float32Array(bytes.buffer.slice(at, at + 4 * n));
    at += 4 * n;
    return { name: t.name, shape: t.shape, values };
  });
  if (at !== end) throw bad(`${end - at} bytes after the last tensor`);
  return {
    runId: String(h.runId), version: h.version, envSteps: h.envSteps, gradientSteps: h.gradientSteps, objective: h.objective,
    observationVersion: h.observationVersion, observationSize: h.observationSize, actionCount: h.actionCount, weights,
  };
}

/** A stable one-line form of an objective (for messages and comparisons). */
export function describeObjective(o: DistributedObjective): string {
  return `${o.rewardKind}, miss ${o.missPenalty}, λ=${o.energyLambdaPerJ}/J`;
}

/**
 * Refuses weights trained for another objective or reading another observation (an actor
 * acting with them would pursue another goal, or misread its inputs).
 * @throws CoinferError ERR_WEIGHTS_INCOMPATIBLE naming the first mismatch.
 */
export function checkWeightsCompatible(h: WeightsHeader, expect: WeightsExpectation): void {
  const fail = (what: string, mine: string | number, theirs: string | number): never => {
    throw new CoinferError('ERR_WEIGHTS_INCOMPATIBLE', `Weights version ${h.version}: expected ${what} ${mine} (this actor), actually ${theirs} (the learner's): refused; start the actor with the learner's scenario and --energy-lambda, or point it at a learner of this objective`);
  };
  if (describeObjective(h.objective) !== describeObjective(expect.objective)) fail('objective', describeObjective(expect.objective), describeObjective(h.objective));
  if (h.observationVersion !== expect.observationVersion) fail('observation version', expect.observationVersion, h.observationVersion);
  if (h.observationSize !== expect.observationSize) fail('observation size', expect.observationSize, h.observationSize);
  if (h.actionCount !== expect.actionCount) fail('action count', expect.actionCount, h.actionCount);
}
