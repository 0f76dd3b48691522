/**
 * Measures a model package with onnxruntime-node (docs/architecture.md §4): every layer, stage and exit head
 * as its own sub-model, the side's whole compute paths, and model loading (session creation
 * from the bytes of prefix/suffix sub-models). Warm-up runs, then `reps` timed runs each;
 * every repetition is kept.
 *
 * Emulation: with a published profile (e.g. 'edgent-rpi3b') each measured time becomes
 * max(real, the profile's prediction for what the sub-model runs) — the rule the device/edge
 * runtime applies when it stretches a real run to a slower machine. Such a run is marked
 * `emulated` and must be reported as "emulated".
 */
import * as ort from 'onnxruntime-node';
import { cpus, arch, platform, totalmem } from 'node:os';
import { CoinferError } from '../../common/errors.ts';
import { createRng, type Rng } from '../../common/rng.ts';
import type { ModelManifest } from '../model/manifest.ts';
import { extractFromModel } from '../onnx/extract-model.ts';
import { decodeOnnx, encodeOnnx } from '../onnx/onnx-proto.ts';
import { PUBLISHED_PROFILES } from './edgent-profiles.ts';
import { predictLayersMs, predictModelLoadMs, type LayerRegressionProfile } from './layer-regression.ts';
import { planMeasurements, type ComputeItem } from './measurement-plan.ts';
import type { LayerMeasurement, MachineInfo, MeasuredItem, MeasurementSettings, PathMeasurement, ProfileMeasurements, ProfileSide } from './profile-measurements.ts';
import { summarizeSamples } from './sample-stats.ts';

/** Repetition counts and session settings of a profiling run (stored with every record). */
export type ProfilerConfig = MeasurementSettings;

/** Sized to finish in well under a minute on the 2-core development machine. */
export const DEFAULT_PROFILER_CONFIG: ProfilerConfig = { reps: 200, warmup: 20, loadReps: 10, intraOpThreads: 1, rounds: 10, seed: 0, processWarmupMs: 500 };

/** Merges and validates. @throws CoinferError ERR_INVALID_CONFIG naming the field. */
export function resolveProfilerConfig(partial: Partial<ProfilerConfig> = {}): ProfilerConfig {
  const c = { ...DEFAULT_PROFILER_CONFIG, ...partial };
  const int = (k: keyof ProfilerConfig, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(c[k]) || c[k] < min || c[k] > max) {
      throw new CoinferError('ERR_INVALID_CONFIG', `Expected profiler.${k} an integer in [${min}, ${max}], actually ${c[k]}`);
    }
  };
  int('reps', 2); int('warmup', 0); int('loadReps', 2); int('intraOpThreads', 1, 64); int('rounds', 1);
  if (!(c.processWarmupMs >= 0 && Number.isFinite(c.processWarmupMs))) throw new CoinferError('ERR_INVALID_CONFIG', `Expected profiler.processWarmupMs >= 0, actually ${c.processWarmupMs}`);
  if (!Number.isFinite(c.seed)) throw new CoinferError('ERR_INVALID_CONFIG', `Expected profiler.seed finite, actually ${c.seed}`);
  return c;
}

/** 'native' or one of the published profiles. @throws CoinferError ERR_PROFILE_NOT_FOUND. */
export function resolveEmulatedProfile(profile: string): LayerRegressionProfile | null {
  if (profile === 'native') return null;
  const p = PUBLISHED_PROFILES[profile];
  if (!p) throw new CoinferError('ERR_PROFILE_NOT_FOUND', `Unknown profile '${profile}'; expected native or one of ${Object.keys(PUBLISHED_PROFILES).join(', ')}`);
  return p;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return { cpuModel: c[0]?.model.trim() ?? 'unknown', cores: c.length, platform: platform(), arch: arch(), totalMemBytes: totalmem() };
}

export interface ProfileModelOptions extends Partial<ProfilerConfig> {
  readonly side: ProfileSide;
  /** 'native' or a published profile name to emulate. */
  readonly profile: string;
  /** Progress: `done` of `total` sub-models finished, the last one's name. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function randomInput(shape: readonly number[], rng: Rng): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal();
  return new ort.Tensor('float32', data, [1, ...shape]);
}

/** Runs the whole model for `minMs` (at least once) before anything is timed (see processWarmupMs). */
async function warmUpProcess(bytes: Uint8Array, inputShape: readonly number[], o: { sessionOptions: ort.InferenceSession.SessionOptions; rng: Rng; minMs: number }): Promise<void> {
  const session = await ort.InferenceSession.create(bytes, o.sessionOptions);
  try {
    const feeds = { [session.inputNames[0]!]: randomInput(inputShape, o.rng) };
    const t0 = nowMs();
    do await session.run(feeds); while (nowMs() - t0 < o.minMs);
  } finally {
    await session.release();
  }
}

/**
 * Profiles one model package on this machine.
 * @throws (rejects) CoinferError ERR_PROFILE_NOT_FOUND for an unknown profile,
 *   ERR_INVALID_CONFIG for bad counts, the extraction errors for a manifest that does not
 *   match the graph.
 */
export async function profileModel(pkg: { readonly manifest: ModelManifest; readonly onnx: Uint8Array }, opts: ProfileModelOptions): Promise<ProfileMeasurements> {
  const config = resolveProfilerConfig(opts);
  const emulate = resolveEmulatedProfile(opts.profile);
  const { manifest } = pkg;
  const plan = planMeasurements(manifest, opts.side);
  const model = decodeOnnx(pkg.onnx);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: config.intraOpThreads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  };
  const extract = (from: string, to: string): Uint8Array => encodeOnnx(extractFromModel(model, { inputs: [from], outputs: [to] }));
  const rng = createRng(config.seed);

  await warmUpProcess(extract(manifest.input.name, manifest.exits[manifest.exits.length - 1]!.output), manifest.input.shape, { sessionOptions, rng, minMs: config.processWarmupMs });

  // Repetitions are interleaved in rounds over all sub-models (every sub-model gets reps/rounds
  // runs per round) so that slow phases of a shared machine hit every item alike, instead of
  // whichever item happened to be measured then: per-layer sums and whole paths stay comparable.
  const rounds = Math.min(config.rounds, config.reps);
  const total = rounds * plan.compute.length + config.loadReps;
  let done = 0;
  const prepared: { item: ComputeItem; session: ort.InferenceSession; feeds: Record<string, ort.Tensor>; floorMs: number; samples: number[] }[] = [];
  try {
    for (const item of plan.compute) {
      const session = await ort.InferenceSession.create(extract(item.from, item.to), sessionOptions);
      const feeds = { [item.from]: randomInput(item.inputShape, rng) };
      prepared.push({ item, session, feeds, floorMs: emulate ? predictLayersMs(emulate, item.layers) : 0, samples: [] });
      for (let i = 0; i < config.warmup; i++) await session.run(feeds, [item.to]);
    }
    for (let r = 0; r < rounds; r++) {
      const n = Math.floor((config.reps * (r + 1)) / rounds) - Math.floor((config.reps * r) / rounds);
      for (const p of prepared) {
        for (let i = 0; i < n; i++) {
          const t0 = nowMs();
          await p.session.run(p.feeds, [p.item.to]);
          p.samples.push(Math.max(nowMs() - t0, p.floorMs));
        }
        opts.onProgress?.(++done, total, `round ${r + 1}/${rounds} ${p.item.name}`);
      }
    }
  } finally {
    await Promise.all(prepared.map((p) => p.session.release()));
  }

  const layers: LayerMeasurement[] = [], stages: MeasuredItem[] = [], exits: MeasuredItem[] = [], paths: PathMeasurement[] = [];
  for (const { item, samples: samplesMs } of prepared) {
    const base = { name: item.name, samplesMs, summary: summarizeSamples(samplesMs) };
    if (item.kind === 'layer') layers.push({ ...base, type: item.layers[0]!.type, vars: item.layers[0]!.vars, owner: item.owner! });
    else if (item.kind === 'stage') stages.push(base);
    else if (item.kind === 'exit') exits.push(base);
    else paths.push({ ...base, partition: item.partition!, exits: item.exits!, layerNames: item.layers.map((l) => l.name) });
  }

  // Model loading, interleaved the same way: one creation of each sub-model per round.
  const loadItems = plan.loading.map((item) => {
    const bytes = extract(item.from, item.to);
    return { item, bytes, floorMs: emulate ? predictModelLoadMs(emulate, bytes.byteLength) : 0, samples: [] as number[] };
  });
  for (const l of loadItems.slice(0, 2)) await (await ort.InferenceSession.create(l.bytes, sessionOptions)).release(); // the first creations in a process are slow
  for (let r = 0; r < config.loadReps; r++) {
    for (const l of loadItems) {
      const t0 = nowMs();
      const session = await ort.InferenceSession.create(l.bytes, sessionOptions);
      const ms = nowMs() - t0;
      await session.release();
      l.samples.push(Math.max(ms, l.floorMs));
    }
    opts.onProgress?.(++done, total, `loading round ${r + 1}/${config.loadReps}`);
  }
  const loading = loadItems.map((l) => ({ name: l.item.name, kind: l.item.kind, bytes: l.bytes.byteLength, samplesMs: l.samples, summary: summarizeSamples(l.samples) }));

  const settings: MeasurementSettings = { ...config };
  return {
    side: opts.side, profile: opts.profile, emulated: emulate !== null, modelName: manifest.name, modelSha256: manifest.onnxSha256,
    machine: machineInfo(), settings, date: new Date().toISOString(), layers, stages, exits, paths, loading,
  };
}
