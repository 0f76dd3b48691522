/**
 * Maps typed actions {exit, partition, encoding} to the DQN's discrete indices and back, with a
 * validity mask. The index order is enumerateActions' order restricted to the configured
 * encodings, so it is stable for a given model and config (checkpoints store the labels).
 */
import { CoinferError } from '../common/errors.ts';
import { actionLabel, canonicalAction, enumerateActions, isJpeg, isLocal, type Action, type Encoding } from '../runtime/action.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';

export class ActionCodec {
  readonly actions: readonly Action[];
  readonly labels: readonly string[];
  readonly size: number;
  readonly #index = new Map<string, number>();
  readonly #localMask: Uint8Array;

  /**
   * @param manifest the model whose actions are encoded
   * @param encodings the wire encodings offered for intermediate tensors, plus any JPEG input
   *   encodings (jpeg90, jpeg50) offered at partition 0 (raw uint8 input and local actions are
   *   always offered)
   */
  constructor(manifest: ModelManifest, encodings: readonly Encoding[] = ['f32', 'f16', 'int8']) {
    const all = enumerateActions(manifest, encodings.filter(isJpeg));
    this.actions = all.filter((a) => a.partition === 0 || isLocal(manifest, a) || encodings.includes(a.encoding));
    this.labels = this.actions.map((a) => actionLabel(manifest, a));
    this.size = this.actions.length;
    this.actions.forEach((a, i) => this.#index.set(key(a), i));
    this.#localMask = Uint8Array.from(this.actions, (a) => (isLocal(manifest, a) ? 1 : 0));
    this.manifest = manifest;
  }

  readonly manifest: ModelManifest;

  /** The typed action of an index. @throws CoinferError ERR_INVALID_ACTION when out of range. */
  decode(index: number): Action {
    const a = this.actions[index];
    if (!Number.isInteger(index) || a === undefined) {
      throw new CoinferError('ERR_INVALID_ACTION', `Expected an action index in [0, ${this.size - 1}], actually ${index}`);
    }
    return a;
  }

  /** The index of a typed action (canonicalised first). @throws ERR_INVALID_ACTION if not offered. */
  encode(action: Action): number {
    const i = this.#index.get(key(canonicalAction(this.manifest, action)));
    if (i === undefined) {
      throw new CoinferError('ERR_INVALID_ACTION', `Action ${actionLabel(this.manifest, action)} is not offered by this codec (encodings configured out?)`);
    }
    return i;
  }

  /** All-valid mask (a fresh array). */
  fullMask(): Uint8Array {
    return new Uint8Array(this.size).fill(1);
  }

  /** Mask of on-device actions only (used when the edge is unreachable). A fresh array. */
  localOnlyMask(): Uint8Array {
    return this.#localMask.slice();
  }

  /** Whether the action at `index` runs entirely on the device. */
  isLocal(index: number): boolean {
    return this.#localMask[index] === 1;
  }
}

function key(a: Action): string {
  return `${a.exit}/${a.partition}/${a.encoding}`;
}
