/**
 * Writing and reading checkpoint directories: `model.json` + `weights.bin` (the tfjs layers
 * format, written through `tf.io.withSaveHandler` and read through `tf.io.fromMemory`, since pure
 * tfjs has no file:// handler) and `checkpoint.json` (checkpoints/checkpoint-meta.ts). A save
 * writes into a hidden temp directory named after its writer and renames it into place, then
 * registers it; readers therefore see a whole checkpoint or none. Each save first reconciles the
 * root (reconcile-registry.ts): stale temp folders of killed writers are removed and finished
 * but unregistered checkpoints registered.
 */
import { OBSERVATION_VERSION } from '../env/observation.ts';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as TfNs from '@tensorflow/tfjs';
import type { DqnConfig } from '../agent/dqn-config.ts';
import { decodeLearnerState, encodeLearnerState } from '../agent/learner-state-codec.ts';
import type { LearnerState } from '../agent/learner-state.ts';
import { inferQNetworkSpec, type LayersModel } from '../agent/q-network.ts';
import { CoinferError } from '../common/errors.ts';
import type { Tf } from '../common/tf-backend.ts';
import {
  CHECKPOINT_SCHEMA_VERSION,
  checkCompatibility,
  parseCheckpointMeta,
  type CheckpointExpectation,
  type CheckpointMeta,
  type JsonValue,
  type Lineage,
  type Objective,
  type TraceSplit,
} from './checkpoint-meta.ts';
import { CheckpointRegistry } from './checkpoint-registry.ts';
import { tempFolderName } from './checkpoint-temps.ts';
import { reconcileRegistry } from './reconcile-registry.ts';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const META_FILE = 'checkpoint.json';
export const LEARNER_STATE_FILE = 'learner-state.bin';

const packageVersion = (JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface SaveCheckpointOptions {
  /** Registry root; the checkpoint becomes `<root>/<id>/`. */
  readonly root: string;
  /** The Q-network to save (the learner's online net). */
  readonly model: LayersModel;
  readonly step: number;
  readonly dqnConfig: DqnConfig;
  /** Env configuration, stored as given (must be JSON-serialisable). */
  readonly envConfig?: JsonValue;
  readonly traceSplit?: TraceSplit | null;
  /** The training objective (reward kind, λ): `best` ranks only checkpoints that share it. */
  readonly objective?: Objective | null;
  /** The scenario trained in, by name. */
  readonly scenario?: string | null;
  readonly evalMetrics?: Readonly<Record<string, number>>;
  /** The split the metrics were measured on, and the traces the evaluation replayed. */
  readonly evalSplit?: 'validation' | 'test' | null;
  readonly evalTraces?: readonly string[];
  readonly parentId?: string | null;
  /** One label per action (default: the indices as strings). */
  readonly actionLabels?: readonly string[];
  /** Clock for `createdAt` and the id (default: now). */
  readonly now?: Date;
  /** Replay memory, Adam and counters to save beside the weights (opt-in: tens of MB at full replay). */
  readonly learnerState?: LearnerState;
  /** An online learner's version: why it was made from `parentId` (reason, request index). */
  readonly lineage?: Lineage;
}

export interface SavedCheckpoint {
  readonly id: string;
  readonly dir: string;
  readonly meta: CheckpointMeta;
}

/** A sortable, unique id: `20250101-120000-s4000-a1b2c3`. */
function newId(now: Date, step: number): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-s${step}-${randomBytes(3).toString('hex')}`;
}

/**
 * Saves a model with its metadata atomically and registers it in `<root>/registry.json`.
 * @example const { id } = await saveCheckpoint(tf, { root: 'runs/checkpoints', model: learner.onlineNet, step, dqnConfig: config });
 */
export async function saveCheckpoint(tf: Tf, options: SaveCheckpointOptions): Promise<SavedCheckpoint> {
  const { observationSize, actionCount } = inferQNetworkSpec(options.model);
  const labels = options.actionLabels ?? Array.from({ length: actionCount }, (_, i) => String(i));
  if (labels.length !== actionCount) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${actionCount} action labels (one per model output), actually ${labels.length}`);
  }
  if (!Number.isInteger(options.step) || options.step < 0) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected step an integer >= 0, actually ${options.step}`);
  const now = options.now ?? new Date();
  const id = newId(now, options.step);
  let meta: CheckpointMeta = {
    schemaVersion: CHECKPOINT_SCHEMA_VERSION,
    packageVersion,
    id,
    parentId: options.parentId ?? null,
    step: options.step,
    createdAt: now.toISOString(),
    dqnConfig: options.dqnConfig,
    envConfig: options.envConfig ?? null,
    traceSplit: options.traceSplit ?? null,
    objective: options.objective ?? null,
    scenario: options.scenario ?? null,
    evalMetrics: { ...(options.evalMetrics ?? {}) },
    evalSplit: options.evalSplit ?? null,
    evalTraces: [...(options.evalTraces ?? [])],
    observationSize,
    observationVersion: OBSERVATION_VERSION,
    actionCount,
    actionLabels: [...labels],
  };
  if (options.lineage) meta = { ...meta, lineage: { ...options.lineage } };
  const learnerBytes = options.learnerState ? encodeLearnerState(options.learnerState) : null;
  if (learnerBytes) meta = { ...meta, learnerState: { file: LEARNER_STATE_FILE, bytes: learnerBytes.byteLength, replaySize: options.learnerState!.memory.size } };
  const dir = join(options.root, id);
  const tmp = join(options.root, tempFolderName(id));
  await reconcileRegistry(options.root);
  await mkdir(tmp, { recursive: true });
  try {
    await options.model.save(
      tf.io.withSaveHandler(async (artifacts: TfNs.io.ModelArtifacts) => {
        const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
        const modelJson = {
          format: artifacts.format ?? 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        };
        await writeFile(join(tmp, MODEL_FILE), JSON.stringify(modelJson));
        await writeFile(join(tmp, WEIGHTS_FILE), new Uint8Array(weights));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    if (learnerBytes) await writeFile(join(tmp, LEARNER_STATE_FILE), learnerBytes);
    await writeFile(join(tmp, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await new CheckpointRegistry(options.root).add({ id, dir: id, parentId: meta.parentId, step: meta.step, createdAt: meta.createdAt, evalMetrics: meta.evalMetrics, objective: meta.objective ?? null, ...(meta.lineage ? { lineage: meta.lineage } : {}) });
  return { id, dir, meta };
}

interface ModelFiles {
  readonly modelTopology: TfNs.io.ModelJSON['modelTopology'];
  readonly weightSpecs: TfNs.io.WeightsManifestEntry[];
  readonly weightData: ArrayBuffer;
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

async function readJson(file: string, missing: 'ERR_CHECKPOINT_NOT_FOUND' | 'ERR_CHECKPOINT_CORRUPT'): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CoinferError(missing, `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}): is this a checkpoint directory? See 'coinfer checkpoints list'`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${file} is not valid JSON: the checkpoint is damaged; delete its directory and pick another`, { cause: e });
  }
}

/** Reads model.json and weights.bin and checks the byte length against the weight specs. */
async function readModelFiles(dir: string): Promise<ModelFiles> {
  const file = join(dir, MODEL_FILE);
  const json = (await readJson(file, 'ERR_CHECKPOINT_CORRUPT')) as Partial<TfNs.io.ModelJSON>;
  const specs = json.weightsManifest?.flatMap((g) => g.weights);
  if (!json.modelTopology || !specs) throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${file}: expected modelTopology and weightsManifest: the checkpoint is damaged; delete it and pick another`);
  let expectedBytes = 0;
  for (const s of specs) {
    const per = BYTES_PER_DTYPE[s.dtype];
    if (per === undefined || s.quantization) throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `${file}: weight ${s.name} has dtype ${s.dtype}${s.quantization ? ' (quantised)' : ''}, which coinfer does not load`);
    expectedBytes += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, WEIGHTS_FILE));
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${join(dir, WEIGHTS_FILE)} is missing: the checkpoint is damaged; delete its directory and pick another`, { cause: e });
  }
  if (bytes.byteLength !== expectedBytes) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${join(dir, WEIGHTS_FILE)}: expected ${expectedBytes} bytes, actually ${bytes.byteLength}: the checkpoint is damaged (truncated copy?); delete it and pick another`);
  }
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData };
}

/**
 * Reads and checks a checkpoint directory without building the model: checkpoint.json parses
 * and validates, model.json parses, weights.bin has the bytes the specs promise, and the
 * caller's expectations hold.
 * @throws CoinferError ERR_CHECKPOINT_NOT_FOUND (no checkpoint.json), ERR_CHECKPOINT_CORRUPT, ERR_CHECKPOINT_INCOMPATIBLE.
 */
export async function readCheckpoint(dir: string, expect: CheckpointExpectation = {}): Promise<CheckpointMeta> {
  return (await inspect(dir, expect)).meta;
}

async function inspect(dir: string, expect: CheckpointExpectation): Promise<{ meta: CheckpointMeta; files: ModelFiles }> {
  const file = join(dir, META_FILE);
  const meta = parseCheckpointMeta(await readJson(file, 'ERR_CHECKPOINT_NOT_FOUND'), file);
  const files = await readModelFiles(dir);
  checkCompatibility(meta, expect);
  return { meta, files };
}

export interface LoadedCheckpoint {
  readonly meta: CheckpointMeta;
  /** The Q-network (caller disposes). */
  readonly model: LayersModel;
}

/**
 * Loads a checkpoint directory: metadata checked as in `readCheckpoint`, then the model built
 * from memory and checked against the metadata's observation size and action count.
 * @example const { model, meta } = await loadCheckpoint(tf, (await resolveCheckpoint(root, 'best')).dir);
 */
export async function loadCheckpoint(tf: Tf, dir: string, expect: CheckpointExpectation = {}): Promise<LoadedCheckpoint> {
  const { meta, files } = await inspect(dir, expect);
  let model: LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: files.modelTopology, weightSpecs: files.weightSpecs, weightData: files.weightData }));
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${join(dir, MODEL_FILE)}: tfjs cannot build the model (${(e as Error).message}): the checkpoint is damaged; pick another`, { cause: e });
  }
  const spec = inferQNetworkSpec(model);
  if (spec.observationSize !== meta.observationSize || spec.actionCount !== meta.actionCount) {
    model.dispose();
    throw new CoinferError(
      'ERR_CHECKPOINT_CORRUPT',
      `${dir}: model is ${spec.observationSize} → ${spec.actionCount} but checkpoint.json says ${meta.observationSize} → ${meta.actionCount}: the files do not belong together; pick another checkpoint`,
    );
  }
  return { meta, model };
}

/**
 * Reads a checkpoint's learner state, or null when it was saved with the weights only.
 * @throws CoinferError ERR_CHECKPOINT_CORRUPT naming the file when it is missing, of another
 *   size than checkpoint.json records, or does not decode; ERR_CHECKPOINT_INCOMPATIBLE for another schema.
 */
export async function readLearnerState(dir: string, meta: CheckpointMeta): Promise<LearnerState | null> {
  if (!meta.learnerState) return null;
  const file = join(dir, meta.learnerState.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${file} is missing but checkpoint.json lists it: restore the file, or remove "learnerState" from checkpoint.json to resume from the weights only`, { cause: e });
  }
  if (bytes.byteLength !== meta.learnerState.bytes) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${file}: expected ${meta.learnerState.bytes} bytes, actually ${bytes.byteLength}: the learner state is damaged (truncated copy?); restore it, or remove "learnerState" from checkpoint.json to resume from the weights only`);
  }
  return decodeLearnerState(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}
