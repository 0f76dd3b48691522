/**
 * Scenarios and suites from files: the named ones shipped in `scenarios/` (one JSON file per
 * world) and `scenarios/suites/` (a JSON list of worlds), or any file by path; and what a world
 * needs to run: its traces (of one split) and its compute-time tables (docs/scenarios.md).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CoinferError } from '../common/errors.ts';
import { parseWith } from '../common/schema.ts';
import { sideTimesFromRegression, stageProfilesOf, type ComputeTimes, type SideTimes } from '../env/compute-times.ts';
import type { StageLatencyProfile } from '../runtime/profile/stage-fit.ts';
import { DEFAULT_DEVICE_PROFILE, DEFAULT_EDGE_PROFILE, parseScenario, type Scenario } from '../env/scenario-file.ts';
import { listTraces, traceSplitOf, type TraceSplit } from '../runtime/link/trace-catalog.ts';
import { loadTrace, type BandwidthTrace } from '../runtime/link/trace.ts';
import type { ModelPackage } from '../runtime/model/model-package.ts';
import { PUBLISHED_PROFILES } from '../runtime/profile/edgent-profiles.ts';
import type { LayerRegressionProfile } from '../runtime/profile/layer-regression.ts';
import { profileAndFit } from '../runtime/profile/profile-and-fit.ts';
import { DEFAULT_PROFILE_STORE_PATH, ProfileStore } from '../runtime/profile/profile-store.ts';
import { readCalibration } from './replay-setup.ts';

/** The shipped scenarios, `<repo>/scenarios/<name>.json`. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../scenarios', import.meta.url));
/** The shipped suites, `<repo>/scenarios/suites/<name>.json`. */
export const SUITES_DIR = join(SCENARIOS_DIR, 'suites');
export const DEFAULT_SUITE = 'default';

/** A scenario read from a file (relative trace paths resolve against `dir`). */
export interface LoadedScenario extends Scenario {
  readonly file: string;
  readonly dir: string;
}

const looksLikePath = (ref: string): boolean => ref.endsWith('.json') || ref.includes('/') || ref.includes('\\') || ref.startsWith('.');

async function readJson(file: string, code: 'ERR_INVALID_CONFIG' | 'ERR_INVALID_ARGUMENT', hint: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CoinferError(code, `Cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ${hint}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CoinferError('ERR_INVALID_CONFIG', `${file} is not valid JSON (${(e as Error).message}): fix the file`, { cause: e });
  }
}

/** Reads and validates one scenario file. */
export async function readScenarioFile(file: string): Promise<LoadedScenario> {
  const abs = resolve(file);
  const raw = await readJson(abs, 'ERR_INVALID_ARGUMENT', "expected a scenario JSON file or a name from 'coinfer scenarios list'");
  return { ...parseScenario(raw, basename(abs).replace(/\.json$/i, ''), abs), file: abs, dir: dirname(abs) };
}

/** The shipped scenarios, sorted by name. */
export async function listScenarios(dir = SCENARIOS_DIR): Promise<LoadedScenario[]> {
  const files = (await readdir(dir, { withFileTypes: true })).filter((f) => f.isFile() && f.name.endsWith('.json')).map((f) => f.name).sort();
  return Promise.all(files.map((f) => readScenarioFile(join(dir, f))));
}

/**
 * A scenario by shipped name or by file path.
 * @throws CoinferError ERR_INVALID_ARGUMENT for an unknown name, ERR_INVALID_CONFIG for a bad file
 */
export async function loadScenario(ref: string, dir = SCENARIOS_DIR): Promise<LoadedScenario> {
  if (looksLikePath(ref)) return readScenarioFile(ref);
  const file = join(dir, `${ref}.json`);
  try {
    await stat(file);
  } catch {
    const names = (await listScenarios(dir)).map((s) => s.name);
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Unknown scenario '${ref}': expected one of ${names.join(', ')} (coinfer scenarios list) or a path to a .json file`);
  }
  return readScenarioFile(file);
}

const suiteSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Worlds: shipped scenario names or paths relative to the suite file. */
  scenarios: z.array(z.string().min(1)).min(1),
  /** Episodes per world and policy (each `episodeRequests` long). */
  episodes: z.number().int().positive().optional(),
});

export interface Suite {
  readonly name: string;
  readonly description: string;
  readonly scenarios: readonly LoadedScenario[];
  /** Episodes per world and policy the suite was sized for (null: the caller decides). */
  readonly episodes: number | null;
}

/** A suite by shipped name (default `default`) or by file path. */
export async function loadSuite(ref: string = DEFAULT_SUITE): Promise<Suite> {
  const file = looksLikePath(ref) ? resolve(ref) : join(SUITES_DIR, `${ref}.json`);
  const shipped = (await readdir(SUITES_DIR).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const spec = parseWith(suiteSchema, await readJson(file, 'ERR_INVALID_ARGUMENT', `expected a suite JSON file or one of the shipped suites: ${shipped.join(', ')}`), `suite ${file}`);
  const scenarios: LoadedScenario[] = [];
  for (const s of spec.scenarios) scenarios.push(await loadScenario(looksLikePath(s) && !isAbsolute(s) ? join(dirname(file), s) : s));
  const names = scenarios.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new CoinferError('ERR_INVALID_CONFIG', `Suite ${file} lists world '${dup}' twice: expected distinct worlds`);
  return { name: spec.name ?? basename(file).replace(/\.json$/i, ''), description: spec.description ?? '', scenarios, episodes: spec.episodes ?? null };
}

const NOT_TRACES = /^(readme.*|.*\.(md|json))$/i;

/** Trace files under a path: the file itself, every trace file below a directory (two levels), or a `*` pattern's matches. */
async function expandTracePath(path: string): Promise<string[]> {
  const name = basename(path);
  if (name.includes('*')) {
    const re = new RegExp(`^${name.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const files = await readdir(dirname(path), { withFileTypes: true }).catch(() => []);
    return files.filter((f) => f.isFile() && re.test(f.name)).map((f) => join(dirname(path), f.name)).sort();
  }
  const st = await stat(path).catch(() => null);
  if (!st) throw new CoinferError('ERR_TRACE_NOT_FOUND', `No trace file or directory at ${path}: check the path`);
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const f of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (f.name.startsWith('.')) continue;
      if (f.isDirectory() && depth < 2) await walk(join(dir, f.name), depth + 1);
      else if (f.isFile() && !NOT_TRACES.test(f.name)) out.push(join(dir, f.name));
    }
  };
  await walk(path, 1);
  return out;
}

export interface TraceSelection {
  /** Split to keep; 'all' keeps every file (explicit `--traces` files are always kept whole). */
  readonly split: TraceSplit | 'all';
  /** Trace paths from the command line: replace the scenario's files and are used as given. */
  readonly override?: readonly string[];
  /** Shipped traces directory (tests). */
  readonly tracesDir?: string;
}

/**
 * The traces a world runs on. Files from the scenario are split by file like the shipped ones
 * (traceSplitOf on `<directory>/<name>`); files from the command line are used as given.
 * @throws CoinferError ERR_TRACE_NOT_FOUND when nothing is left
 */
export async function scenarioTraces(s: LoadedScenario, sel: TraceSelection): Promise<BandwidthTrace[]> {
  const sources = s.spec.traces?.sources;
  let files: { path: string; split: TraceSplit | 'given' }[];
  if (sel.override && sel.override.length > 0) {
    files = (await Promise.all(sel.override.map((p) => expandTracePath(resolve(p))))).flat().map((path) => ({ path, split: 'given' as const }));
  } else if (s.spec.traces?.files) {
    const paths = (await Promise.all(s.spec.traces.files.map((p) => expandTracePath(isAbsolute(p) ? p : join(s.dir, p))))).flat();
    files = paths.map((path) => ({ path, split: traceSplitOf(basename(dirname(path)), basename(path).replace(/\.csv$/i, '')) }));
  } else {
    files = (await listTraces(sel.tracesDir ? { dir: sel.tracesDir } : {})).map((e) => ({ path: e.path, split: e.split }));
  }
  const kept = files.filter((f) => (f.split === 'given' || sel.split === 'all' || f.split === sel.split) && (!sources || f.split === 'given' || sources.includes(basename(dirname(f.path)))));
  if (kept.length === 0) {
    throw new CoinferError('ERR_TRACE_NOT_FOUND', `Scenario '${s.name}' has no ${sel.split === 'all' ? '' : `${sel.split} `}traces${sources ? ` of sources ${sources.join(', ')}` : ''}: add trace files (every split needs at least one) or pass --traces`);
  }
  return Promise.all(kept.map((f) => loadTrace(f.path)));
}

const profileFileSchema = z.looseObject({ name: z.string(), side: z.enum(['device', 'edge']), layers: z.record(z.string(), z.looseObject({ coef: z.array(z.number()), intercept: z.number() })) });

/** A side's latency models: Edgent's per-layer regressions, and (measured profiles) the fused stage fit. */
export interface ResolvedProfile {
  readonly regression: LayerRegressionProfile;
  /** What the runtime really executes on that machine; null for published and file profiles. */
  readonly stage: StageLatencyProfile | null;
}

/**
 * A latency profile by reference: a published name, `native` (the latest native fit of this
 * model in the profile store, measured now with a short run when there is none) or a JSON file
 * holding a profile (or `coinfer profile --json` output, whose `regression.profile` is one).
 */
export async function resolveProfile(ref: string, side: 'device' | 'edge', pkg: ModelPackage, opts: { dir: string; say?: (line: string) => void }): Promise<ResolvedProfile> {
  const published = PUBLISHED_PROFILES[ref];
  if (published) return { regression: published, stage: null };
  if (ref === 'native') {
    const store = await ProfileStore.open(DEFAULT_PROFILE_STORE_PATH);
    const query = { side, profile: 'native', modelSha256: pkg.manifest.onnxSha256 };
    const fitted = store.find(query).filter((r) => r.fit?.stageFit !== undefined).at(-1);
    if (fitted?.fit) return { regression: fitted.fit.profile, stage: fitted.fit.stageFit?.profile ?? null };
    opts.say?.(`no native ${side} profile of ${pkg.manifest.name} in ${store.path}: measuring one now (short run; 'coinfer profile --side ${side} --profile native' measures a longer one)`);
    const fit = (await profileAndFit(pkg, { side, profile: 'native', reps: 30, warmup: 5, rounds: 3, loadReps: 2 })).fit;
    return { regression: fit.profile, stage: fit.stageFit?.profile ?? null };
  }
  const file = isAbsolute(ref) ? ref : join(opts.dir, ref);
  const raw = await readJson(file, 'ERR_INVALID_ARGUMENT', `expected 'native', a published profile (${Object.keys(PUBLISHED_PROFILES).join(', ')}) or a profile JSON file`);
  const doc = raw as { regression?: { profile?: unknown }; profileFit?: unknown };
  const obj = typeof raw === 'object' && raw !== null ? (doc.regression?.profile ?? doc.profileFit ?? raw) : raw;
  return { regression: parseWith(profileFileSchema, obj, `latency profile ${file}`, 'ERR_PROFILE_NOT_FOUND') as unknown as LayerRegressionProfile, stage: null };
}

/** A world's compute-time tables and the profiles planners see. */
export interface WorldTimes {
  readonly computeTimes: ComputeTimes;
  readonly device: LayerRegressionProfile;
  readonly edge: LayerRegressionProfile;
  /** The world's compute times as stage profiles (what the calibrated planner plans with). */
  readonly stageProfiles: { readonly device: StageLatencyProfile; readonly edge: StageLatencyProfile };
}

/**
 * Compute times from the scenario's profiles. The package's replay calibration (overhead and
 * jitter measured against the emulated profiles) applies to the emulated default profiles only.
 */
export async function scenarioComputeTimes(s: LoadedScenario, pkg: ModelPackage, say?: (line: string) => void): Promise<WorldTimes> {
  const deviceRef = s.spec.device?.profile ?? DEFAULT_DEVICE_PROFILE;
  const edgeRef = s.spec.edge?.profile ?? DEFAULT_EDGE_PROFILE;
  const ctx = say ? { dir: s.dir, say } : { dir: s.dir };
  const [device, edge, cal] = await Promise.all([resolveProfile(deviceRef, 'device', pkg, ctx), resolveProfile(edgeRef, 'edge', pkg, ctx), readCalibration(pkg.dir)]);
  const devCal = deviceRef === DEFAULT_DEVICE_PROFILE ? cal?.device : undefined;
  const edgeCal = edgeRef === DEFAULT_EDGE_PROFILE ? cal?.edge : undefined;
  // A measured (native) side runs what ORT really executes: its fused stage fit, not the sum of
  // per-layer regressions (which over-predicts fused paths); Edgent still plans with the latter.
  const side = (p: ResolvedProfile, c: { overheadMs: number; jitter: readonly number[] } | undefined): SideTimes =>
    p.stage
      ? { stageMs: p.stage.stageMs, headMs: p.stage.headMs, jitter: Float64Array.of(1), overheadMs: p.stage.callOverheadMs }
      : sideTimesFromRegression(pkg.manifest, p.regression, c ? Float64Array.from(c.jitter) : undefined, c?.overheadMs ?? 0);
  const label = (p: ResolvedProfile, c: unknown): string => (p.stage ? `${p.stage.name} (fused stage fit)` : `${p.regression.name}${c ? ' (calibrated)' : ''}`);
  const computeTimes: ComputeTimes = { device: side(device, devCal), edge: side(edge, edgeCal), source: `${label(device, devCal)}/${label(edge, edgeCal)}` };
  return { computeTimes, device: device.regression, edge: edge.regression, stageProfiles: stageProfilesOf(pkg.manifest, computeTimes) };
}
