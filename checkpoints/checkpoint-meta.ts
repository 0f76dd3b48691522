/**
 * `checkpoint.json`: what a checkpoint directory says about itself — schema and package
 * version, lineage, step, the full DqnConfig, the env config (opaque JSON), the objective and
 * scenario it was trained for, the trace split, eval metrics (and the split and traces they were
 * measured on) and the network's interface (observation size, actions and their labels).
 * Parsing validates everything with zod: damaged files are ERR_CHECKPOINT_CORRUPT, files from
 * another schema are ERR_CHECKPOINT_INCOMPATIBLE.
 */
import { z } from 'zod';
import { resolveDqnConfig, type DqnConfig, type DqnConfigInput } from '../agent/dqn-config.ts';
import { CoinferError } from '../common/errors.ts';
import { parseWith } from '../common/schema.ts';

/** Bumped when checkpoint.json or the directory layout changes incompatibly. */
export const CHECKPOINT_SCHEMA_VERSION = 1;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Which bandwidth traces (ids or file names) training and evaluation drew from. */
export interface TraceSplit {
  readonly train: readonly string[];
  /** Where checkpoints were scored (absent in checkpoints written before the validation split). */
  readonly validation?: readonly string[];
  readonly test: readonly string[];
}

/**
 * What a checkpoint was trained to maximise: the reward kind and the energy weight λ.
 * Checkpoints of different objectives are never ranked together (`best`).
 */
export interface Objective {
  readonly rewardKind: string;
  readonly energyLambdaPerJ: number;
}

/** A stable text key of an objective (null: unrecorded, in older checkpoints). */
export function objectiveKey(o: Objective | null | undefined): string {
  return o ? `${o.rewardKind}, λ=${o.energyLambdaPerJ}/J` : 'unrecorded';
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
  /** The training objective (null in checkpoints written before it was recorded). */
  readonly objective?: Objective | null;
  /** The scenario (world) trained in, by name (null: unrecorded). */
  readonly scenario?: string | null;
  /** Evaluation metrics at save time, namespaced keys (`eval/mean_reward`, …). */
  readonly evalMetrics: Readonly<Record<string, number>>;
  /** The trace split the metrics were measured on (validation since that split exists). */
  readonly evalSplit?: 'validation' | 'test' | null;
  /** Names of the traces the evaluation episodes actually replayed. */
  readonly evalTraces?: readonly string[];
  readonly observationSize: number;
  /**
   * The env's OBSERVATION_VERSION the network was trained on (same size, other meaning per
   * version); absent in checkpoints written before it was recorded, which observed version 1.
   */
  readonly observationVersion?: number;
  readonly actionCount: number;
  /** A human label per action index (length actionCount). */
  readonly actionLabels: readonly string[];
  /** The saved learner state (`--save-learner-state`), absent when only the weights were saved. */
  readonly learnerState?: LearnerStateInfo;
  /** Why an online learner made this version from its parent (absent: not an online version). */
  readonly lineage?: Lineage;
}

/** An online learner's weight version: why it was made and after which served request. */
export interface Lineage {
  /** 'learned': the guard promoted the learner's weights; 'rollback': it restored the last good ones. */
  readonly reason: 'learned' | 'rollback';
  /** 0-based index of the served request after which the swap happened. */
  readonly requestIndex: number;
}

/** The zod schema of a Lineage. */
export const lineageSchema = z.strictObject({ reason: z.enum(['learned', 'rollback']), requestIndex: z.int().min(0) });

/** Where a checkpoint's learner state is and how large it is. */
export interface LearnerStateInfo {
  /** File name inside the checkpoint directory. */
  readonly file: string;
  /** Its size in bytes (a shorter file is a truncated copy). */
  readonly bytes: number;
  /** Replay transitions it holds. */
  readonly replaySize: number;
}

const names = z.array(z.string());
const count = z.number().int().min(1);

/** The zod schema of checkpoint.json (the schema version and dqnConfig are checked apart: they make a file incompatible, not corrupt). */
const checkpointMetaSchema = z.looseObject({
  schemaVersion: z.literal(CHECKPOINT_SCHEMA_VERSION),
  packageVersion: z.string(),
  id: z.string().min(1),
  parentId: z.string().nullable(),
  step: z.number().int().min(0),
  createdAt: z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: 'expected an ISO date' }),
  dqnConfig: z.record(z.string(), z.unknown()),
  envConfig: z.unknown().refine((v) => v !== undefined, { message: 'expected the env config (any JSON)' }),
  traceSplit: z.strictObject({ train: names, validation: names.optional(), test: names }).nullable(),
  objective: z.strictObject({ rewardKind: z.string(), energyLambdaPerJ: z.number().min(0) }).nullable().optional(),
  scenario: z.string().nullable().optional(),
  evalMetrics: z.record(z.string(), z.number()),
  evalSplit: z.enum(['validation', 'test']).nullable().optional(),
  evalTraces: names.optional(),
  observationSize: count,
  observationVersion: z.int().min(1).optional(),
  actionCount: count,
  actionLabels: names,
  learnerState: z.strictObject({ file: z.string().regex(/^[\w.-]+$/), bytes: z.int().min(0), replaySize: z.int().min(0) }).optional(),
  lineage: lineageSchema.optional(),
}).refine((m) => m.actionLabels.length === m.actionCount, { message: 'expected one action label per action', path: ['actionLabels'] });

/**
 * Validates parsed checkpoint.json content.
 * @param file the path, for messages.
 * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE for another schema version or a config this version rejects;
 *   ERR_CHECKPOINT_CORRUPT for missing or mistyped fields.
 */
export function parseCheckpointMeta(raw: unknown, file: string): CheckpointMeta {
  const version = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['schemaVersion'] : undefined;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && version !== CHECKPOINT_SCHEMA_VERSION) {
    throw new CoinferError(
      'ERR_CHECKPOINT_INCOMPATIBLE',
      `${file}: expected checkpoint schema ${CHECKPOINT_SCHEMA_VERSION}, actually ${JSON.stringify(version)} (written by coinfer ${String((raw as Record<string, unknown>)['packageVersion'])}): use that coinfer version or retrain`,
    );
  }
  let meta: z.output<typeof checkpointMetaSchema>;
  try {
    meta = parseWith(checkpointMetaSchema, raw, `checkpoint ${file}`, 'ERR_CHECKPOINT_CORRUPT');
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${(e as Error).message}\nThe checkpoint is damaged: delete its directory (or restore it) and pick another`, { cause: e });
  }
  let dqnConfig: DqnConfig;
  try {
    dqnConfig = resolveDqnConfig(meta.dqnConfig as DqnConfigInput);
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `${file}: its dqnConfig does not validate under this coinfer version (${(e as Error).message}): use the version that wrote it`, { cause: e });
  }
  return { ...(meta as unknown as CheckpointMeta), dqnConfig };
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
