/**
 * The co-inference action (docs/architecture.md §1): which exit, where to partition, how to encode the
 * crossing tensor. Shared by the runtime, the envs and the policies.
 */
import { CoinferError } from '../common/errors.ts';
import type { ModelManifest } from './model/manifest.ts';

/**
 * Wire encodings of the crossing tensor; `uint8` and the JPEGs are only for the raw input
 * (partition 0). New encodings are appended: the index is the wire's encoding byte.
 */
export const ENCODINGS = ['f32', 'f16', 'int8', 'uint8', 'jpeg90', 'jpeg50'] as const;
export type Encoding = (typeof ENCODINGS)[number];
/** Encodings of the raw input image (partition 0): raw pixels or a JPEG at the quality in its name. */
export const INPUT_ENCODINGS = ['uint8', 'jpeg90', 'jpeg50'] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];
export type JpegEncoding = Exclude<InputEncoding, 'uint8'>;

/** The JPEG quality of a `jpegNN` encoding, null for any other encoding. */
export function jpegQuality(encoding: string): number | null {
  const m = /^jpeg(\d{1,3})$/.exec(encoding);
  return m ? Number(m[1]) : null;
}

/** True for the JPEG input encodings. */
export function isJpeg(encoding: string): encoding is JpegEncoding {
  return (INPUT_ENCODINGS as readonly string[]).includes(encoding) && encoding !== 'uint8';
}

export interface Action {
  /** 1-based exit number. */
  readonly exit: number;
  /**
   * Backbone stages the device runs before sending (0 = send the raw input). When
   * partition >= the exit's branchStage the device finishes locally and nothing is sent;
   * such actions are normalised to partition = branchStage.
   */
  readonly partition: number;
  /** Encoding of the crossing tensor; 'uint8' or a JPEG when partition is 0, ignored when local. */
  readonly encoding: Encoding;
}

/** True when the action runs entirely on the device. */
export function isLocal(manifest: ModelManifest, action: Action): boolean {
  return action.partition >= exitOf(manifest, action.exit).branchStage;
}

function exitOf(manifest: ModelManifest, exit: number) {
  const ex = manifest.exits[exit - 1];
  if (!ex) {
    throw new CoinferError('ERR_INVALID_ACTION', `Expected exit in [1, ${manifest.exits.length}], actually ${exit}`);
  }
  return ex;
}

/**
 * Checks an action against a model and returns it in canonical form (local actions get
 * partition = branchStage and encoding 'f32'; partition 0 keeps a JPEG encoding, else gets 'uint8').
 * @throws CoinferError ERR_INVALID_ACTION naming the bad field and its valid range.
 */
export function canonicalAction(manifest: ModelManifest, action: Action): Action {
  const ex = exitOf(manifest, action.exit);
  const { partition, encoding } = action;
  if (!Number.isInteger(partition) || partition < 0 || partition > manifest.stages.length) {
    throw new CoinferError('ERR_INVALID_ACTION', `Expected partition in [0, ${manifest.stages.length}], actually ${partition}`);
  }
  if (!(ENCODINGS as readonly string[]).includes(encoding)) {
    throw new CoinferError('ERR_INVALID_ACTION', `Expected encoding one of ${ENCODINGS.join('|')}, actually ${String(encoding)}`);
  }
  if (partition >= ex.branchStage) return { exit: action.exit, partition: ex.branchStage, encoding: 'f32' };
  if (partition === 0) return { exit: action.exit, partition: 0, encoding: isJpeg(encoding) ? encoding : 'uint8' };
  if (isJpeg(encoding)) {
    throw new CoinferError('ERR_INVALID_ACTION', `Encoding ${encoding} is only for the raw input (partition 0), actually partition ${partition}; use f32, f16 or int8`);
  }
  if (encoding === 'uint8') {
    throw new CoinferError('ERR_INVALID_ACTION', `Encoding uint8 is only for the raw input (partition 0), actually partition ${partition}; use f32, f16 or int8`);
  }
  return action;
}

/**
 * Every distinct canonical action of a model, in a stable order (by exit, then partition,
 * then encoding). Offloaded intermediate tensors come in f32, f16 and int8; the raw input in
 * uint8 plus the JPEG encodings listed in `inputEncodings` (none by default).
 */
export function enumerateActions(manifest: ModelManifest, inputEncodings: readonly JpegEncoding[] = []): Action[] {
  const out: Action[] = [];
  for (const ex of manifest.exits) {
    for (let p = 0; p <= ex.branchStage; p++) {
      if (p === 0) {
        out.push({ exit: ex.index, partition: 0, encoding: 'uint8' });
        for (const enc of INPUT_ENCODINGS) if (enc !== 'uint8' && inputEncodings.includes(enc)) out.push({ exit: ex.index, partition: 0, encoding: enc });
      }
      else if (p === ex.branchStage) out.push({ exit: ex.index, partition: p, encoding: 'f32' });
      else for (const enc of ['f32', 'f16', 'int8'] as const) out.push({ exit: ex.index, partition: p, encoding: enc });
    }
  }
  return out;
}

/** A short stable label, e.g. "e5/p3/int8" or "e2/local". */
export function actionLabel(manifest: ModelManifest, a: Action): string {
  return isLocal(manifest, a) ? `e${a.exit}/local` : `e${a.exit}/p${a.partition}/${a.encoding}`;
}
