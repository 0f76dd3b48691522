/**
 * `checkpoint.json`: what a checkpoint directory says about itself (DESIGN §7) — schema and
 * package version, lineage, step, the full DqnConfig, the env config (opaque JSON), the trace
 * split, eval metrics and the network's interface (observation size, actions and their labels).
 * Parsing validates everything: damaged files are ERR_CHECKPOINT_CORRUPT, files from another
 * schema are ERR_CHECKPOINT_INCOMPATIBLE.
 */
import { resolveDqnConfig, type DqnConfig, type DqnConfigInput } from '../agent/dqn-config.ts';
import { CoinferError } from '../common/errors.ts';

/** Bumped when checkpoint.json or the directory layout changes incompatibly. */
export const CHECKPOINT_SCHEMA_VERSION = 1;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Which bandwidth traces (ids or file names) training and evaluation drew from. */
export interface TraceSplit {
  readonly train: readonly string[];
  readonly test: readonly string[];
}

export interface CheckpointMeta {
  readonly schemaVersion: number;
  /** coinfer's package.json version that wrote it. */
  readonly packageVersion: string;
  readonly id: string;
  /** The checkpoint training resumed from, or null. */
  readonly parentId: string | null;
  /** Global environment step at save time. */
  readonly step: number;
  /** ISO 8601 time of writing. */
  readonly createdAt: string;
  readonly dqnConfig: DqnConfig;
  /** The env configuration, opaque to checkpoints/ (the CLI knows its type). */
  readonly envConfig: JsonValue;
  readonly traceSplit: TraceSplit | null;
  /** Evaluation metrics at save time, namespaced keys (`eval/mean_reward`, …). */
  readonly evalMetrics: Readonly<Record<string, number>>;
  readonly observationSize: number;
  readonly actionCount: number;
  /** A human label per action index (length actionCount). */
  readonly actionLabels: readonly string[];
}

function corrupt(file: string, what: string): never {
  throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${file}: ${what}; the checkpoint is damaged: delete its directory (or restore it) and pick another`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * Validates parsed checkpoint.json content.
 * @param file the path, for messages.
 * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE for another schema version or a config this version rejects;
 *   ERR_CHECKPOINT_CORRUPT for missing or mistyped fields.
 */
export function parseCheckpointMeta(raw: unknown, file: string): CheckpointMeta {
  if (!isObject(raw)) corrupt(file, 'expected a JSON object');
  if (raw.schemaVersion !== CHECKPOINT_SCHEMA_VERSION) {
    throw new CoinferError(
      'ERR_CHECKPOINT_INCOMPATIBLE',
      `${file}: expected checkpoint schema ${CHECKPOINT_SCHEMA_VERSION}, actually ${JSON.stringify(raw.schemaVersion)} (written by coinfer ${String(raw.packageVersion)}): use that coinfer version or retrain`,
    );
  }
  if (typeof raw.id !== 'string' || raw.id === '') corrupt(file, 'id must be a non-empty string');
  if (raw.parentId !== null && typeof raw.parentId !== 'string') corrupt(file, 'parentId must be a string or null');
  if (typeof raw.packageVersion !== 'string') corrupt(file, 'packageVersion must be a string');
  if (typeof raw.step !== 'number' || !Number.isInteger(raw.step) || raw.step < 0) corrupt(file, 'step must be an integer >= 0');
  if (typeof raw.createdAt !== 'string' || Number.isNaN(Date.parse(raw.createdAt))) corrupt(file, 'createdAt must be an ISO date');
  if (!isCount(raw.observationSize) || !isCount(raw.actionCount)) corrupt(file, 'observationSize and actionCount must be positive integers');
  if (!isStringArray(raw.actionLabels) || raw.actionLabels.length !== raw.actionCount) corrupt(file, `actionLabels must be ${raw.actionCount} strings`);
  if (!isObject(raw.evalMetrics) || !Object.values(raw.evalMetrics).every((v) => typeof v === 'number')) corrupt(file, 'evalMetrics must map names to numbers');
  const split = raw.traceSplit;
  if (split !== null && !(isObject(split) && isStringArray(split.train) && isStringArray(split.test))) corrupt(file, 'traceSplit must be null or { train: string[], test: string[] }');
  if (!('envConfig' in raw)) corrupt(file, 'envConfig is missing');
  if (!isObject(raw.dqnConfig)) corrupt(file, 'dqnConfig must be an object');
  let dqnConfig: DqnConfig;
  try {
    dqnConfig = resolveDqnConfig(raw.dqnConfig as DqnConfigInput);
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `${file}: its dqnConfig does not validate under this coinfer version (${(e as Error).message}): use the version that wrote it`, { cause: e });
  }
  return { ...(raw as unknown as CheckpointMeta), dqnConfig };
}

/** What a caller needs a checkpoint to match. */
export interface CheckpointExpectation {
  readonly observationSize?: number;
  readonly actionCount?: number;
  /** When given, the action labels must be equal (same actions in the same order). */
  readonly actionLabels?: readonly string[];
}

/** @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE naming the first mismatch. */
export function checkCompatibility(meta: CheckpointMeta, expect: CheckpointExpectation = {}): void {
  const mismatch = (what: string, expected: unknown, actual: unknown): never => {
    throw new CoinferError(
      'ERR_CHECKPOINT_INCOMPATIBLE',
      `Checkpoint ${meta.id}: expected ${what} ${JSON.stringify(expected)}, actually ${JSON.stringify(actual)}: pick a checkpoint trained for this env configuration`,
    );
  };
  if (expect.observationSize !== undefined && expect.observationSize !== meta.observationSize) mismatch('observation size', expect.observationSize, meta.observationSize);
  if (expect.actionCount !== undefined && expect.actionCount !== meta.actionCount) mismatch('action count', expect.actionCount, meta.actionCount);
  if (expect.actionLabels !== undefined) {
    const i = expect.actionLabels.findIndex((l, k) => l !== meta.actionLabels[k]);
    if (i >= 0 || expect.actionLabels.length !== meta.actionLabels.length) {
      const k = i >= 0 ? i : Math.min(expect.actionLabels.length, meta.actionLabels.length);
      mismatch(`action ${k} label`, expect.actionLabels[k] ?? null, meta.actionLabels[k] ?? null);
    }
  }
}
