/**
 * One profiling session end to end: measure a package on this machine, fit Edgent's
 * regressions on every repetition, score a train-subset fit on held-out repetitions, and
 * append everything to the profile store. The `coinfer profile` command is a thin shell over it.
 */
import type { ModelManifest } from '../model/manifest.ts';
import { profileModel, type ProfileModelOptions } from './layer-profiler.ts';
import { estimateCallOverheadMs, evaluateHoldout, fitLayerRegression, type FitOptions } from './regression-fit.ts';
import { evaluateStageHoldout, fitStageProfile } from './stage-fit.ts';
import { ProfileStore, type ProfileRecord, type StoredFit } from './profile-store.ts';

export interface ProfileAndFitOptions extends ProfileModelOptions {
  /** lowdb store file; default ./runs/profiles.json. */
  readonly storePath?: string;
  /** Share of repetitions the held-out evaluation fits on, in (0, 1); default 0.5. */
  readonly trainFraction?: number;
  readonly fit?: Partial<FitOptions>;
}

/** Measures, fits, evaluates and stores; returns the stored record (with `fit`). */
export async function profileAndFit(pkg: { readonly manifest: ModelManifest; readonly onnx: Uint8Array }, opts: ProfileAndFitOptions): Promise<ProfileRecord & { fit: StoredFit }> {
  const store = await ProfileStore.open(opts.storePath);
  const m = await profileModel(pkg, opts);
  const label = m.emulated ? `${m.profile} (emulated: max(real, published prediction))` : 'native';
  const full = fitLayerRegression({
    name: `fitted-${m.side}-${m.profile}`,
    side: m.side,
    description: `fitted on ${m.settings.reps} reps per layer, ${label}, ${m.machine.cpuModel} ×${m.machine.cores}, ${m.date}`,
    layers: m.layers,
    loading: m.loading,
    callOverheadMs: estimateCallOverheadMs(m.layers),
  }, opts.fit);
  const held = evaluateHoldout(m, { ...opts.fit, trainFraction: opts.trainFraction ?? 0.5, seed: m.settings.seed });
  const holdoutOpts = { trainFraction: opts.trainFraction ?? 0.5, seed: m.settings.seed };
  const stageFit = { profile: fitStageProfile(pkg.manifest, m), evaluation: evaluateStageHoldout(pkg.manifest, m, holdoutOpts).evaluation };
  const fit: StoredFit = { profile: full.profile, report: full.report, evaluation: held.evaluation, stageFit };
  const record = await store.add(m, fit);
  return { ...record, fit };
}
