/**
 * `coinfer profile`: measures a model package layer by layer on this machine (natively, or
 * emulating one of Edgent's published profiles), stores the run in the lowdb profile store,
 * fits Edgent's per-layer-type regressions and prints the coefficients and the held-out MAPE.
 * Composition only: the work lives in runtime/profile.
 */
import { Command, Option } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { PUBLISHED_PROFILES } from '../../runtime/profile/edgent-profiles.ts';
import { DEFAULT_PROFILER_CONFIG } from '../../runtime/profile/layer-profiler.ts';
import { REGRESSED_LAYER_TYPES, type LinearModel } from '../../runtime/profile/layer-regression.ts';
import { profileAndFit } from '../../runtime/profile/profile-and-fit.ts';
import { DEFAULT_PROFILE_STORE_PATH, type ProfileRecord, type StoredFit } from '../../runtime/profile/profile-store.ts';
import { countArg, intArg } from '../option-parsers.ts';


const PROFILE_CHOICES = ['native', ...Object.keys(PUBLISHED_PROFILES)];

function progressBar(): { update(done: number, total: number, label: string): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'profiling |{bar}| {value}/{total} sub-models | {label}', noTTYOutput: true, notTTYSchedule: 10_000, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label) {
      if (!started) { bar.start(total, done, { label }); started = true; } else bar.update(done, { label });
    },
    stop() { if (started) bar.stop(); },
  };
}

const fmtModel = (m: LinearModel): string => {
  const terms = m.coef.map((c, i) => `${c.toExponential(3)}·x${m.coef.length > 1 ? i + 1 : ''}`);
  return `${[...terms, m.intercept.toExponential(3)].join(' + ')} ms`.replace(/\+ -/g, '− ');
};

function printHuman(r: ProfileRecord & { fit: StoredFit }, storePath: string): void {
  const w = (s: string): boolean => process.stdout.write(`${s}\n`);
  const e = r.fit.evaluation;
  w(`profile ${r.profile}${r.emulated ? ' (emulated: each time = max(real, published prediction))' : ' (native)'}, side ${r.side}`);
  w(`machine ${r.machine.cpuModel} ×${r.machine.cores} (${r.machine.platform}/${r.machine.arch}); model ${r.modelName} sha256 ${r.modelSha256.slice(0, 12)}…`);
  w(`${r.layers.length} layers, ${r.stages.length} stages, ${r.exits.length} exit heads, ${r.paths.length} paths × ${r.settings.reps} reps in ${r.settings.rounds} interleaved rounds (warm-up ${r.settings.warmup}); ${r.loading.length} loading sub-models × ${r.settings.loadReps}`);
  w(`stored as ${r.id} in ${storePath}`);
  w('');
  w(`fitted regressions (per-call overhead ${(r.fit.profile.callOverheadMs ?? 0).toFixed(4)} ms, added once per side per request):`);
  for (const t of REGRESSED_LAYER_TYPES) {
    const rep = r.fit.report[t]!;
    w(`  ${t.padEnd(8)} ${fmtModel(r.fit.profile.layers[t])}${rep.droppedTerms.length > 0 ? `   [${rep.note}]` : ''}`);
  }
  w(`  loading  ${fmtModel(r.fit.profile.modelLoading)}   (x = sub-model bytes)`);
  w('');
  const s = r.fit.stageFit;
  w(`Edgent's per-layer regressions, held-out MAPE: layers ${e.layerMape.toFixed(1)}%, end to end ${e.endToEndMape.toFixed(1)}% (${e.endToEndMapeUncorrected.toFixed(1)}% without the call-overhead correction), model loading ${e.loadingMape.toFixed(1)}%`);
  if (s) {
    w('');
    w(`calibrated planner (fused per-stage fit, one call overhead ${s.profile.callOverheadMs.toFixed(4)} ms per sub-model run):`);
    w(`  stages ms ${s.profile.stageMs.map((v) => v.toFixed(3)).join(' ')}; heads ms ${s.profile.headMs.map((v) => v.toFixed(3)).join(' ')}`);
    w(`  end-to-end held-out MAPE ${(100 * s.evaluation.endToEndMape).toFixed(1)}% over ${Object.keys(s.evaluation.perPath).length} compute paths`);
  }
}

/** The --json document: every MAPE as a fraction; top-level endToEndMape is the calibrated planner's. */
function jsonDocument(r: ProfileRecord & { fit: StoredFit }): Record<string, unknown> {
  const { id, side, profile, emulated, machine, settings, modelName, modelSha256, date, fit } = r;
  const e = fit.evaluation;
  const pct = (x: number): number => x / 100;
  const perPath = (o: Readonly<Record<string, number>>): Record<string, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, pct(v)]));
  return {
    id, side, profile, emulated, machine, settings, modelName, modelSha256, date,
    endToEndMape: fit.stageFit?.evaluation.endToEndMape ?? null,
    calibrated: fit.stageFit ? { profile: fit.stageFit.profile, endToEndMape: fit.stageFit.evaluation.endToEndMape, perPath: fit.stageFit.evaluation.perPath } : null,
    regression: {
      profile: fit.profile, report: fit.report, callOverheadMs: e.callOverheadMs,
      layerMape: pct(e.layerMape), endToEndMape: pct(e.endToEndMape), endToEndMapeUncorrected: pct(e.endToEndMapeUncorrected), loadingMape: pct(e.loadingMape), perPath: perPath(e.perPath),
    },
  };
}

interface ProfileCliOptions {
  model?: string; side: string; profile: string; reps?: number; warmup?: number; loadReps?: number; rounds?: number; threads?: number; store?: string; json?: true;
}

async function runProfile(o: ProfileCliOptions): Promise<void> {
  const pkg = await loadModelPackage(o.model ?? DEFAULT_MODEL_DIR);
  const bar = o.json ? null : progressBar();
  const storePath = o.store ?? DEFAULT_PROFILE_STORE_PATH;
  let record;
  try {
    record = await profileAndFit(pkg, {
      side: o.side as 'device' | 'edge',
      profile: o.profile,
      ...(o.reps !== undefined ? { reps: o.reps } : {}),
      ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
      ...(o.loadReps !== undefined ? { loadReps: o.loadReps } : {}),
      ...(o.threads !== undefined ? { intraOpThreads: o.threads } : {}),
      ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
      storePath,
      ...(bar ? { onProgress: (d: number, t: number, l: string) => bar.update(d, t, l) } : {}),
    });
  } finally {
    bar?.stop();
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(jsonDocument(record))}\n`);
  } else {
    printHuman(record, storePath);
  }
}

/** Registers `coinfer profile`. */
export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description("Measure every layer, stage, exit head and model loading with onnxruntime-node, fit Edgent's regressions, store and print them")
    .option('--model <dir>', `model package directory (default ${DEFAULT_MODEL_DIR})`)
    .addOption(new Option('--side <side>', 'which role the measurements describe').choices(['device', 'edge']).makeOptionMandatory())
    .addOption(new Option('--profile <name>', 'native, or a published profile to emulate (time = max(real, prediction))').choices(PROFILE_CHOICES).default('native'))
    .option('--reps <n>', `timed runs per sub-model (default ${DEFAULT_PROFILER_CONFIG.reps})`, countArg('--reps'))
    .option('--warmup <n>', `untimed runs before them (default ${DEFAULT_PROFILER_CONFIG.warmup})`, intArg('--warmup', 0))
    .option('--load-reps <n>', `timed session creations per loading sub-model (default ${DEFAULT_PROFILER_CONFIG.loadReps})`, countArg('--load-reps'))
    .option('--rounds <n>', `rounds the repetitions are interleaved in over all sub-models (default ${DEFAULT_PROFILER_CONFIG.rounds})`, countArg('--rounds'))
    .option('--threads <n>', `ORT intra-op threads (default ${DEFAULT_PROFILER_CONFIG.intraOpThreads})`, countArg('--threads'))
    .option('--store <file>', `lowdb profile store (default ${DEFAULT_PROFILE_STORE_PATH})`)
    .option('--json', 'print one JSON document')
    .action(async (opts) => runProfile(opts));
}
