/**
 * The BranchyNet trainer: Adam on the joint multi-exit loss (train-step.ts), seeded shuffling
 * and augmentation, a per-epoch learning-rate schedule, and resumable state (weights, Adam
 * moments and step, epoch, position in the epoch) saved atomically every N steps and at every
 * epoch end. Randomness is derived from (seed, epoch, step), so a resumed run draws exactly
 * what the uninterrupted run would have drawn.
 */
import type * as TfNs from '@tensorflow/tfjs';
import { CoinferError } from '../common/errors.ts';
import { createRng } from '../common/rng.ts';
import type { ArchitectureSpec } from '../runtime/model/architecture.ts';
import type { ImageDataset } from './data/dataset.ts';
import { z } from 'zod';
import { parseWith } from '../common/schema.ts';
import type { AugmentConfig } from './data/augment.ts';
import { makeBatch, permutation, type Normalization } from './batches.ts';
import { buildTfBranchyNet, type TfBranchyNet } from './tf-alexnet.ts';
import { LocalStepRunner, type RunnerInit, type RunnerSnapshot, type StepRunner } from './step-runner.ts';
import { ParallelStepRunner } from './parallel-step-runner.ts';
import type { BackendPreference } from '../common/tf-backend.ts';
import { loadTrainState, saveTrainState, TRAIN_STATE_SCHEMA_VERSION, type TrainStateHeader } from './train-checkpoint.ts';

type Tf = typeof TfNs;

export interface TrainerConfig {
  /** Passes over the training set, 1..1000. */
  readonly epochs: number;
  /** Images per step, 1..4096 (the last partial batch of an epoch is dropped). */
  readonly batchSize: number;
  /** Adam's base learning rate, (0, 1]. */
  readonly learningRate: number;
  /** 'cosine': lr·½(1+cos(π·epoch/epochs)) per epoch; 'constant': lr throughout. */
  readonly lrSchedule: 'constant' | 'cosine';
  /** BranchyNet loss weight of each exit (exit1..exitN), each ≥ 0. */
  readonly exitWeights: readonly number[];
  /** Seed of initialisation, shuffling, augmentation and dropout. */
  readonly seed: number;
  readonly augment: AugmentConfig;
  /** Save the state every this many steps (and at each epoch end); 0 = epoch ends only. */
  readonly checkpointEverySteps: number;
}

export const DEFAULT_TRAINER_CONFIG: TrainerConfig = {
  epochs: 4,
  batchSize: 64,
  learningRate: 1e-3,
  lrSchedule: 'cosine',
  // The final exit carries the most weight: side exits act as regularisers of the early
  // layers (BranchyNet) but should not pull the backbone away from the last exit.
  exitWeights: [0.5, 0.5, 0.5, 0.5, 1],
  seed: 1,
  augment: { horizontalFlip: true, maxShiftPx: 0 },
  checkpointEverySteps: 100,
};

const trainerConfigSchema = z.strictObject({
  epochs: z.number().int().min(1).max(1000),
  batchSize: z.number().int().min(1).max(4096),
  learningRate: z.number().gt(0).max(1),
  lrSchedule: z.enum(['constant', 'cosine']),
  exitWeights: z.array(z.number().min(0)).refine((w) => w.some((x) => x > 0), { message: 'expected at least one positive weight' }),
  seed: z.number(),
  augment: z.strictObject({ horizontalFlip: z.boolean(), maxShiftPx: z.number().int().min(0).max(8) }),
  checkpointEverySteps: z.number().int().min(0),
});

/** Merges and validates a trainer config (zod, common/schema.ts). @throws CoinferError ERR_INVALID_CONFIG */
export function resolveTrainerConfig(partial: Partial<TrainerConfig> = {}): TrainerConfig {
  return parseWith(trainerConfigSchema, { ...DEFAULT_TRAINER_CONFIG, ...partial, augment: { ...DEFAULT_TRAINER_CONFIG.augment, ...partial.augment } }, 'trainer config');
}

/** Learning rate of an epoch (0-based) under the config's schedule. */
export function learningRateAt(cfg: TrainerConfig, epoch: number): number {
  if (cfg.lrSchedule === 'constant') return cfg.learningRate;
  return cfg.learningRate * 0.5 * (1 + Math.cos((Math.PI * epoch) / cfg.epochs));
}

/** A seed derived from a base seed and integer coordinates (splitmix-style mixing). */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = Math.floor(seed) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

export interface ExitProgress {
  readonly name: string;
  /** Mean cross-entropy over the epoch so far. */
  readonly loss: number;
  /** Training accuracy over the epoch so far, in [0, 1]. */
  readonly accuracy: number;
}

export interface TrainProgress {
  /** 0-based epoch. */
  readonly epoch: number;
  readonly epochs: number;
  /** Steps done in this epoch. */
  readonly stepInEpoch: number;
  readonly stepsPerEpoch: number;
  readonly globalStep: number;
  /** Mean joint loss over the epoch so far. */
  readonly loss: number;
  readonly exits: readonly ExitProgress[];
  /** Training throughput over this epoch so far (images/s). */
  readonly imagesPerSec: number;
  readonly learningRate: number;
}

export interface EpochSummary extends TrainProgress {
  readonly seconds: number;
}

export interface TrainOptions {
  readonly spec: ArchitectureSpec;
  readonly train: ImageDataset;
  readonly config: TrainerConfig;
  readonly normalization: Normalization;
  /** Where the resumable state lives; null trains without saving state. */
  readonly stateDir: string | null;
  /** Continue from the state in `stateDir` (its config wins, except a larger `epochs` or `rescheduleEpochs`). */
  readonly resume: boolean;
  /** Stored in the state on a fresh start (e.g. the training command). */
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onEpochEnd?: (s: EpochSummary) => void;
  /** Stop after this many steps in this call (benchmarks, tests); the state stays resumable. */
  readonly maxSteps?: number;
  /**
   * With `resume`: plan this many epochs in all, fewer than the saved plan included (at least
   * the epochs already done + 1); the cosine schedule is recomputed over the new plan and the
   * change is recorded in the state's meta (`reschedules`). Default: keep the saved plan.
   */
  readonly rescheduleEpochs?: number;
  /** Data-parallel worker threads (default 1: every step in this thread). */
  readonly workers?: number;
  /** tfjs backend the workers load (default 'auto'). */
  readonly workerBackend?: BackendPreference;
}

export interface TrainResult {
  /** The trained network; the caller disposes `net.model`. */
  readonly net: TfBranchyNet;
  readonly config: TrainerConfig;
  readonly history: readonly EpochSummary[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly complete: boolean;
  readonly globalStep: number;
}

/**
 * Trains (or resumes training of) the multi-exit network of `spec`.
 * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE when the saved state is for another architecture
 */
export async function trainBranchyNet(tf: Tf, opts: TrainOptions): Promise<TrainResult> {
  const { spec, train, normalization } = opts;
  const saved = opts.stateDir && opts.resume ? await loadTrainState(opts.stateDir) : null;
  let config = opts.config;
  let meta: Readonly<Record<string, unknown>> = opts.meta ?? {};
  if (saved) {
    if (saved.header.architecture !== spec.name) {
      throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `State in ${opts.stateDir} is for ${saved.header.architecture}, expected ${spec.name}; use another --state-dir or drop --resume`);
    }
    const savedEpochs = (saved.header.config as TrainerConfig).epochs;
    let epochs = Math.max(opts.config.epochs, savedEpochs);
    meta = saved.header.meta;
    if (opts.rescheduleEpochs !== undefined && opts.rescheduleEpochs !== savedEpochs) {
      if (opts.rescheduleEpochs < saved.header.epoch + 1) {
        throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a new plan of at least ${saved.header.epoch + 1} epochs (${saved.header.epoch} are done), actually ${opts.rescheduleEpochs}`);
      }
      epochs = opts.rescheduleEpochs;
      const reschedules = Array.isArray(meta['reschedules']) ? (meta['reschedules'] as unknown[]) : [];
      meta = { ...meta, reschedules: [...reschedules, { atEpoch: saved.header.epoch, atStep: saved.header.globalStep, fromEpochs: savedEpochs, toEpochs: epochs, date: new Date().toISOString() }] };
    }
    config = resolveTrainerConfig({ ...(saved.header.config as Partial<TrainerConfig>), epochs });
  }
  if (config.exitWeights.length !== spec.exits.length) {
    throw new CoinferError('ERR_INVALID_CONFIG', `Expected ${spec.exits.length} exit weights, actually ${config.exitWeights.length}`);
  }
  const stepsPerEpoch = Math.floor(train.count / config.batchSize);
  if (stepsPerEpoch < 1) throw new CoinferError('ERR_INVALID_CONFIG', `Expected at least batchSize=${config.batchSize} training images, actually ${train.count}`);

  let epoch = 0;
  let stepInEpoch = 0;
  let globalStep = 0;
  const history: EpochSummary[] = [];
  let restore: RunnerSnapshot | null = null;
  if (saved) {
    const probe = buildTfBranchyNet(tf, spec, { seed: config.seed });
    const ws = probe.model.weights;
    const compatible = ws.length === saved.weights.length && ws.every((w, i) => w.shape.join() === saved.header.weights[i]!.shape.join());
    probe.model.dispose();
    if (!compatible) throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `State in ${opts.stateDir} has different weight shapes than ${spec.name}`);
    restore = { weights: saved.weights, weightRecords: saved.header.weights, optimizer: saved.optimizer, optimizerRecords: saved.header.optimizer };
    epoch = saved.header.epoch;
    stepInEpoch = saved.header.stepInEpoch;
    globalStep = saved.header.globalStep;
    history.push(...(saved.header.history as EpochSummary[]));
  }
  let lr = learningRateAt(config, epoch);
  const init: RunnerInit = { spec, seed: config.seed, learningRate: lr, exitWeights: config.exitWeights, restore };
  const workers = opts.workers ?? 1;
  const runner: StepRunner = workers > 1 ? await ParallelStepRunner.create(init, { workers, backend: opts.workerBackend ?? 'auto' }) : await LocalStepRunner.create(tf, init);

  const save = async (complete: boolean): Promise<void> => {
    if (!opts.stateDir) return;
    const snap = await runner.snapshot();
    const header: TrainStateHeader = {
      schemaVersion: TRAIN_STATE_SCHEMA_VERSION, architecture: spec.name, config, normalization, epoch, stepInEpoch, globalStep, complete, history, meta,
      weights: snap.weightRecords, optimizer: snap.optimizerRecords,
    };
    await saveTrainState(opts.stateDir, { header, weights: snap.weights, optimizer: snap.optimizer });
  };

  try {
    let stepsThisCall = 0;
    const stopEarly = (): boolean => opts.maxSteps !== undefined && stepsThisCall >= opts.maxSteps;
    while (epoch < config.epochs && !stopEarly()) {
      const wantLr = learningRateAt(config, epoch);
      if (wantLr !== lr) {
        lr = wantLr;
        await runner.setLearningRate(lr);
      }
      const order = permutation(train.count, createRng(deriveSeed(config.seed, 1, epoch)));
      const sums = { loss: 0, exitLoss: new Float64Array(spec.exits.length), correct: new Float64Array(spec.exits.length), images: 0 };
      const t0 = performance.now();
      const progress = (): TrainProgress => ({
        epoch, epochs: config.epochs, stepInEpoch, stepsPerEpoch, globalStep, learningRate: lr,
        loss: sums.loss / Math.max(1, sums.images),
        exits: spec.exits.map((e, k) => ({ name: e.name, loss: sums.exitLoss[k]! / Math.max(1, sums.images), accuracy: sums.correct[k]! / Math.max(1, sums.images) })),
        imagesPerSec: sums.images / Math.max(1e-9, (performance.now() - t0) / 1000),
      });
      while (stepInEpoch < stepsPerEpoch && !stopEarly()) {
        const rng = createRng(deriveSeed(config.seed, 2, epoch, stepInEpoch));
        const idx = order.subarray(stepInEpoch * config.batchSize, (stepInEpoch + 1) * config.batchSize);
        const batch = makeBatch(train, idx, { norm: normalization, augment: { config: config.augment, rng } });
        const s = await runner.step(batch, rng.int(2 ** 31));
        if (!Number.isFinite(s.loss)) {
          throw new CoinferError('ERR_INVALID_CONFIG', `Training diverged at epoch ${epoch + 1} step ${stepInEpoch + 1} (loss ${s.loss}); lower --lr or check the data`);
        }
        sums.loss += s.loss * batch.size;
        s.exitLoss.forEach((l, k) => (sums.exitLoss[k] = sums.exitLoss[k]! + l * batch.size));
        s.exitCorrect.forEach((c, k) => (sums.correct[k] = sums.correct[k]! + c));
        sums.images += batch.size;
        stepInEpoch++;
        globalStep++;
        stepsThisCall++;
        opts.onProgress?.(progress());
        if (config.checkpointEverySteps > 0 && globalStep % config.checkpointEverySteps === 0 && stepInEpoch < stepsPerEpoch) await save(false);
      }
      if (stepInEpoch >= stepsPerEpoch) {
        const summary: EpochSummary = { ...progress(), seconds: (performance.now() - t0) / 1000 };
        history.push(summary);
        epoch++;
        stepInEpoch = 0;
        opts.onEpochEnd?.(summary);
        await save(epoch >= config.epochs);
      } else {
        await save(false);
      }
    }
  } catch (e) {
    // Stop the worker threads (a parallel runner) before failing; the saved state stays resumable.
    await runner.finish(tf).then((n) => n.model.dispose(), () => undefined);
    throw e;
  }
  const net = await runner.finish(tf);
  return { net, config, history, meta, complete: epoch >= config.epochs, globalStep };
}
