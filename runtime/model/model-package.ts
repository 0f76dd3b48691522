/**
 * The model package directory (docs/architecture.md §2): `model.onnx` + `manifest.json`, optionally
 * `samples/images.idx.gz` ([N,C,H,W] raw uint8 pixels) and `samples/labels.idx.gz` ([N]).
 * Loading validates the manifest against its schema and against the ONNX graph, so a stale
 * or hand-edited manifest fails at load time, naming the field, not mid-inference.
 *
 * @example
 * const pkg = await loadModelPackage(DEFAULT_MODEL_DIR);
 * console.log(pkg.manifest.exits.map((e) => e.accuracy), pkg.modelId);
 */
import { loadActionAccuracy, type ActionAccuracyFile } from './action-accuracy.ts';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CoinferError } from '../../common/errors.ts';
import { encodeIdx, type IdxArray } from './idx.ts';
import { decodeOnnx, type OnnxModel } from '../onnx/onnx-proto.ts';
import { architectureInfo } from './layer-shapes.ts';
import { decodeCorrectness, sha256Hex } from './manifest-build.ts';
import { MANIFEST_SCHEMA_VERSION, type ModelManifest } from './manifest.ts';

export interface ModelPackage {
  /** Absolute path of the package directory. */
  readonly dir: string;
  readonly manifest: ModelManifest;
  /** The bytes of model.onnx. */
  readonly onnx: Uint8Array;
  /** uint32 derived from onnxSha256 (first 8 hex digits) — the wire protocol's model id */
  readonly modelId: number;
  /** The measured accuracy of lossy actions (action-accuracy.json), null when not measured. */
  readonly actionAccuracy: ActionAccuracyFile | null;
}

/** File names inside a package. */
export const PACKAGE_FILES = {
  onnx: 'model.onnx',
  manifest: 'manifest.json',
  images: join('samples', 'images.idx.gz'),
  labels: join('samples', 'labels.idx.gz'),
} as const;

/**
 * The folder the package's training run read its dataset from (`manifest.input.dataSource`),
 * or undefined. Recorded relative to the package folder, so it resolves from any working
 * directory; older packages recorded it relative to the directory training ran in, tried second.
 */
export function packageDataSource(pkg: Pick<ModelPackage, 'dir' | 'manifest'>): string | undefined {
  const ds = pkg.manifest.input.dataSource;
  if (ds === undefined || isAbsolute(ds)) return ds;
  const fromPackage = resolve(pkg.dir, ds);
  return existsSync(fromPackage) ? fromPackage : resolve(ds);
}

/** The 5-exit AlexNet trained on CIFAR-10 (Edgent's own workload; docs/model.md). */
export const CIFAR10_MODEL_DIR: string = fileURLToPath(new URL('../../models/cifar10-alexnet', import.meta.url));

/** The small second package (Fashion-MNIST, 28×28 grey): quick demos and tests. */
export const FMNIST_MODEL_DIR: string = fileURLToPath(new URL('../../models/fmnist-alexnet', import.meta.url));

/**
 * The shipped trained model every command defaults to (`--model`): <repo>/models/cifar10-alexnet.
 * The one place to switch the default package.
 */
export const DEFAULT_MODEL_DIR: string = CIFAR10_MODEL_DIR;

/** The wire protocol's model id: the first 32 bits of the ONNX sha256. */
export function modelIdOf(onnxSha256: string): number {
  return Number.parseInt(onnxSha256.slice(0, 8), 16) >>> 0;
}

function bad(field: string, expected: string, actual: unknown): CoinferError {
  const shown = JSON.stringify(actual);
  return new CoinferError('ERR_MODEL_MANIFEST', `manifest.json ${field}: expected ${expected}, actually ${shown === undefined ? 'undefined' : shown.slice(0, 80)}; rebuild the package (coinfer model train) or restore the file`);
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNat = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isNums = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

function need<T>(obj: Json, key: string, path: string, ok: (v: unknown) => v is T, expected: string): T {
  const v = obj[key];
  if (!ok(v)) throw bad(`${path}${key}`, expected, v);
  return v;
}
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isArr = (v: unknown): v is unknown[] => Array.isArray(v);

/** Validates the manifest's JSON shape field by field. @throws CoinferError ERR_MODEL_MANIFEST. */
export function validateManifest(m: unknown): ModelManifest {
  if (!isObj(m)) throw bad('(root)', 'an object', m);
  if (m['schemaVersion'] !== MANIFEST_SCHEMA_VERSION) throw bad('schemaVersion', String(MANIFEST_SCHEMA_VERSION), m['schemaVersion']);
  need(m, 'name', '', isStr, 'a name');
  need(m, 'onnxSha256', '', (v): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v), '64 lowercase hex digits');
  const arch = need(m, 'architecture', '', isObj, 'an ArchitectureSpec object');
  let archInfo;
  try {
    archInfo = architectureInfo(arch as never);
  } catch (e) {
    throw bad('architecture', `a valid ArchitectureSpec (${(e as Error).message})`, '…');
  }
  const input = need(m, 'input', '', isObj, 'an object');
  need(input, 'name', 'input.', isStr, 'the ONNX input name');
  const shape = need(input, 'shape', 'input.', (v): v is number[] => isNums(v) && v.length === 3 && v.every((x) => isNat(x) && x > 0), '[C,H,W] positive integers');
  if (input['dtype'] !== 'float32') throw bad('input.dtype', "'float32'", input['dtype']);
  const pre = need(input, 'preprocessing', 'input.', isObj, 'an object');
  need(pre, 'scale', 'input.preprocessing.', (v): v is number => typeof v === 'number' && v > 0, 'a positive number');
  need(pre, 'mean', 'input.preprocessing.', (v): v is number[] => isNums(v) && v.length === shape[0], `${shape[0]} numbers (one per channel)`);
  need(pre, 'std', 'input.preprocessing.', (v): v is number[] => isNums(v) && v.length === shape[0] && v.every((s) => s > 0), `${shape[0]} positive numbers`);
  need(input, 'dataset', 'input.', (v): v is string => typeof v === 'string', 'a string');
  if (input['dataSource'] !== undefined && typeof input['dataSource'] !== 'string') throw bad('input.dataSource', 'a string when present', input['dataSource']);
  need(input, 'classNames', 'input.', (v): v is string[] => isArr(v) && v.every((x) => typeof x === 'string'), 'an array of strings');

  const stages = need(m, 'stages', '', (v): v is unknown[] => isArr(v) && v.length === archInfo.stages.length, `${archInfo.stages.length} stages (as in architecture)`);
  stages.forEach((s, i) => {
    const p = `stages[${i}].`;
    if (!isObj(s)) throw bad(`stages[${i}]`, 'an object', s);
    if (s['index'] !== i + 1) throw bad(`${p}index`, String(i + 1), s['index']);
    for (const k of ['name', 'output']) need(s, k, p, isStr, 'a non-empty string');
    for (const k of ['params', 'flops', 'outputBytes']) need(s, k, p, isNat, 'a non-negative integer');
    need(s, 'layers', p, isArr, 'an array');
    need(s, 'outputShape', p, (v): v is number[] => isNums(v) && v.join() === archInfo.stageOutputShapes[i]!.join(), `[${archInfo.stageOutputShapes[i]!.join(',')}] (from architecture)`);
  });
  const exits = need(m, 'exits', '', (v): v is unknown[] => isArr(v) && v.length === archInfo.exits.length && v.length > 0, `${archInfo.exits.length} exits (as in architecture)`);
  exits.forEach((e, i) => {
    const p = `exits[${i}].`;
    if (!isObj(e)) throw bad(`exits[${i}]`, 'an object', e);
    if (e['index'] !== i + 1) throw bad(`${p}index`, String(i + 1), e['index']);
    for (const k of ['name', 'output']) need(e, k, p, isStr, 'a non-empty string');
    for (const k of ['params', 'flops', 'evalSamples']) need(e, k, p, isNat, 'a non-negative integer');
    need(e, 'layers', p, isArr, 'an array');
    need(e, 'branchStage', p, (v): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= stages.length, `an integer in [1, ${stages.length}]`);
    need(e, 'accuracy', p, (v): v is number | null => v === null || (typeof v === 'number' && v >= 0 && v <= 1), 'null or a number in [0, 1]');
    const correct = need(e, 'correct', p, (v): v is string | null => v === null || typeof v === 'string', 'null or a base64 string');
    if (correct !== null) {
      try {
        decodeCorrectness(correct, e['evalSamples'] as number);
      } catch {
        throw bad(`${p}correct`, `base64 of ${Math.ceil((e['evalSamples'] as number) / 8)} bytes (evalSamples bits)`, correct);
      }
    }
  });
  const prov = need(m, 'provenance', '', isObj, 'an object');
  need(prov, 'dataset', 'provenance.', (v): v is string => typeof v === 'string', 'a string');
  need(prov, 'date', 'provenance.', (v): v is string => typeof v === 'string', 'an ISO date string');
  return m as unknown as ModelManifest;
}

/** Checks the manifest's tensor names and shapes against the ONNX graph. */
function checkAgainstGraph(manifest: ModelManifest, model: OnnxModel): void {
  const g = model.graph;
  const produced = new Set(g.node.flatMap((n) => n.output));
  const inputs = new Set(g.input.map((v) => v.name));
  const outputs = new Set(g.output.map((v) => v.name));
  if (!inputs.has(manifest.input.name)) throw bad('input.name', `a graph input of model.onnx (${[...inputs].join(', ')})`, manifest.input.name);
  const shapes = new Map([...g.value_info, ...g.input].map((v) => [v.name, v.type?.tensor_type?.shape?.dim.map((d) => d.dim_value ?? -1)]));
  const checkShape = (field: string, tensor: string, perSample: readonly number[]): void => {
    const dims = shapes.get(tensor);
    if (dims !== undefined && dims.slice(1).join() !== perSample.join()) throw bad(field, `[${dims.slice(1).join(',')}] (model.onnx's shape of '${tensor}')`, perSample);
  };
  checkShape('input.shape', manifest.input.name, manifest.input.shape);
  manifest.stages.forEach((s, i) => {
    if (!produced.has(s.output)) throw bad(`stages[${i}].output`, 'a tensor computed by model.onnx', s.output);
    checkShape(`stages[${i}].outputShape`, s.output, s.outputShape);
  });
  manifest.exits.forEach((e, i) => {
    if (!outputs.has(e.output)) throw bad(`exits[${i}].output`, `a graph output of model.onnx (${[...outputs].join(', ')})`, e.output);
  });
}

async function readOrNotFound(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new CoinferError('ERR_MODEL_NOT_FOUND', `Model package ${dirname(path)} has no ${what} (${basename(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); rebuild it with \`coinfer model train\``, { cause: e });
  }
}

/**
 * Loads and validates a model package directory.
 * @throws CoinferError ERR_MODEL_NOT_FOUND (no directory or files), ERR_MODEL_MANIFEST (bad
 *   JSON, schema, sha256 mismatch, or names inconsistent with the graph), ERR_ONNX_DECODE.
 */
export async function loadModelPackage(dir: string): Promise<ModelPackage> {
  const abs = resolve(dir);
  const isDir = await stat(abs).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    throw new CoinferError('ERR_MODEL_NOT_FOUND', `Model package directory ${abs} does not exist; train one with \`coinfer model train\`, or omit --model to use the shipped default (${DEFAULT_MODEL_DIR})`);
  }
  const onnx = new Uint8Array(await readOrNotFound(join(abs, PACKAGE_FILES.onnx), 'ONNX model'));
  const text = (await readOrNotFound(join(abs, PACKAGE_FILES.manifest), 'manifest')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CoinferError('ERR_MODEL_MANIFEST', `manifest.json in ${abs} is not valid JSON (${(e as Error).message}); rebuild the package or restore the file`, { cause: e });
  }
  const manifest = validateManifest(json);
  const sha = sha256Hex(onnx);
  if (sha !== manifest.onnxSha256) {
    throw new CoinferError('ERR_MODEL_MANIFEST', `manifest.json onnxSha256: expected ${sha} (the sha256 of model.onnx), actually ${manifest.onnxSha256}; model.onnx and manifest.json come from different builds — rebuild the package`);
  }
  checkAgainstGraph(manifest, decodeOnnx(onnx));
  return { dir: abs, manifest, onnx, modelId: modelIdOf(manifest.onnxSha256), actionAccuracy: await loadActionAccuracy(abs, manifest.onnxSha256) };
}

/**
 * Writes a package atomically: everything goes into a sibling temp directory, which then
 * replaces `dir` (an existing package is moved aside first and removed after).
 * @throws CoinferError ERR_MODEL_MANIFEST when the manifest is invalid or its sha256 does not
 *   match the ONNX bytes; RangeError when the samples' dims do not fit the manifest.
 */
export async function writeModelPackage(dir: string, pkg: { onnx: Uint8Array; manifest: ModelManifest; samples?: { images: IdxArray; labels: IdxArray } }): Promise<void> {
  const abs = resolve(dir);
  validateManifest(JSON.parse(JSON.stringify(pkg.manifest)));
  if (sha256Hex(pkg.onnx) !== pkg.manifest.onnxSha256) {
    throw new CoinferError('ERR_MODEL_MANIFEST', `manifest.onnxSha256 ${pkg.manifest.onnxSha256} is not the sha256 of the given ONNX bytes; rebuild the manifest with buildManifest()`);
  }
  const { samples } = pkg;
  if (samples !== undefined) {
    const [n, ...chw] = samples.images.dims;
    if (chw.join() !== pkg.manifest.input.shape.join() || samples.labels.dims.join() !== String(n)) {
      throw new RangeError(`Expected sample images [N,${pkg.manifest.input.shape.join(',')}] and labels [N], actually [${samples.images.dims.join(',')}] and [${samples.labels.dims.join(',')}]`);
    }
  }
  await mkdir(dirname(abs), { recursive: true });
  const tmp = await mkdtemp(join(dirname(abs), `.${basename(abs)}.tmp-`));
  try {
    await writeFile(join(tmp, PACKAGE_FILES.onnx), pkg.onnx);
    await writeFile(join(tmp, PACKAGE_FILES.manifest), `${JSON.stringify(pkg.manifest, null, 2)}\n`);
    if (samples !== undefined) {
      await mkdir(join(tmp, 'samples'));
      await writeFile(join(tmp, PACKAGE_FILES.images), encodeIdx(samples.images, true));
      await writeFile(join(tmp, PACKAGE_FILES.labels), encodeIdx(samples.labels, true));
    }
    const old = `${tmp}.old`;
    const hadOld = await rename(abs, old).then(() => true, (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    });
    try {
      await rename(tmp, abs);
    } catch (e) {
      if (hadOld) await rename(old, abs); // put the previous package back
      throw e;
    }
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
