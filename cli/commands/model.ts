/**
 * `coinfer model train|eval`: trains the multi-exit BranchyNet-AlexNet on a real dataset and
 * writes a model package (model.onnx + manifest.json + samples/), or evaluates a package's
 * exits with onnxruntime-node. Composition only: the work lives in training/.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { loadTf, type BackendPreference } from '../../common/tf-backend.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import { channelStats, takeFirst, DATASET_NAMES, type DatasetName, type ImageDataset } from '../../training/data/dataset.ts';
import { loadDataset, parseDatasetName } from '../../training/data/load-dataset.ts';
import { registerWasmConvGradKernels } from '../../training/wasm-conv-grad.ts';
import { resolveTrainerConfig, trainBranchyNet, type TrainProgress, type TrainerConfig } from '../../training/trainer.ts';
import type { Normalization } from '../../training/batches.ts';
import { countArg, intArg, positiveArg } from '../option-parsers.ts';
import { CoinferError } from '../../common/errors.ts';
import { checkOutputPath } from '../output-check.ts';


/** The command line as typed, for provenance (arguments with spaces are quoted). */
function commandLine(argv: readonly string[]): string {
  const q = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['node', 'bin/coinfer.js', ...argv.slice(2)].map(q).join(' ');
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function defaultStateDir(out: string): string {
  const abs = resolve(out);
  return join('.coinfer', 'train-state', `${basename(abs)}-${createHash('sha1').update(abs).digest('hex').slice(0, 8)}`);
}

function progressBar(stepsPerEpochHint: number): { update(p: TrainProgress): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'epoch {ep} |{bar}| {value}/{total} loss {loss} | exit loss {el} | exit acc {acc} | {ips} img/s | eta {eta_formatted}',
      noTTYOutput: true,
      notTTYSchedule: 30_000,
      etaBuffer: 50,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let epoch = -1;
  return {
    update(p) {
      const payload = { ep: `${p.epoch + 1}/${p.epochs}`, loss: p.loss.toFixed(3), el: p.exits.map((e) => e.loss.toFixed(2)).join(' '), acc: p.exits.map((e) => e.accuracy.toFixed(3)).join(' '), ips: p.imagesPerSec.toFixed(0) };
      if (!started || epoch !== p.epoch) {
        if (started) bar.stop();
        bar.start(p.stepsPerEpoch || stepsPerEpochHint, p.stepInEpoch, payload);
        started = true;
        epoch = p.epoch;
      } else bar.update(p.stepInEpoch, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Loads a split, with a progress bar while an image folder decodes (its cache answers at once). */
async function loadWithProgress(name: DatasetName, split: 'train' | 'test', source: { dataDir?: string; imageSize?: number }): Promise<ImageDataset> {
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: `decoding ${split} images |{bar}| {value}/{total} | eta {eta_formatted}`, noTTYOutput: true, notTTYSchedule: 10_000, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  try {
    return await loadDataset({
      name, split, ...source,
      onProgress: (done, total) => {
        if (!started) bar.start(total, done);
        else bar.update(done);
        started = true;
      },
    });
  } finally {
    if (started) bar.stop();
  }
}

interface TrainCliOptions {
  dataset: string;
  out: string;
  dataDir?: string | undefined;
  imageSize?: number | undefined;
  epochs?: number | undefined;
  batch?: number | undefined;
  lr?: number | undefined;
  seed?: number | undefined;
  resume?: boolean | undefined;
  stateDir?: string | undefined;
  backend: string;
  limit?: number | undefined;
  evalLimit?: number | undefined;
  augment: boolean;
  workers?: number | undefined;
  packageState?: boolean | undefined;
  json?: boolean | undefined;
}

async function runTrain(o: TrainCliOptions): Promise<void> {
  const dataset = parseDatasetName(o.dataset);
  if (o.packageState && !o.resume) throw new CoinferError('ERR_INVALID_ARGUMENT', '--package-state packages a saved training state: add --resume (and --state-dir if the state is not in the default place)');
  // Before hours of training: the package and the state are written at the end and per epoch.
  await checkOutputPath({ option: '--out', path: o.out, kind: 'dir' });
  await checkOutputPath({ option: '--state-dir', path: o.stateDir ?? defaultStateDir(o.out), kind: 'dir' });
  const backendPref = o.backend as BackendPreference;
  const { tf, backend, fallbackReason } = await loadTf(backendPref);
  if (backend === 'wasm') registerWasmConvGradKernels(tf);
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`backend: ${backend}${fallbackReason && backendPref === 'auto' ? ` (tfjs-node unavailable: ${fallbackReason})` : ''}`);
  if (backend === 'cpu') log('warning: the cpu backend trains conv nets ~400× slower than wasm; use it for a few steps only');

  const source = { ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...(o.imageSize !== undefined ? { imageSize: o.imageSize } : {}) };
  const fullTrain = await loadWithProgress(dataset, 'train', source);
  const train = o.limit !== undefined ? takeFirst(fullTrain, o.limit) : fullTrain;
  const stats = channelStats(fullTrain); // normalise with the full training set's statistics
  const normalization: Normalization = { scale: 1 / 255, mean: stats.mean, std: stats.std };
  const spec = alexNetSpec({ channels: train.channels, size: train.height, classes: train.classNames.length });
  const partial: Partial<TrainerConfig> = {
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
    ...(o.batch !== undefined ? { batchSize: o.batch } : {}),
    ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    // Pad-and-crop shifts of 1/8 of the side for colour photos (4 px on CIFAR-10's 32×32, the
    // usual CIFAR recipe); none for Fashion-MNIST's centred garments.
    augment: o.augment ? { horizontalFlip: true, maxShiftPx: train.channels === 3 ? Math.min(8, Math.round(train.height / 8)) : 0 } : { horizontalFlip: false, maxShiftPx: 0 },
  };
  const config = resolveTrainerConfig(partial);
  const stateDir = o.stateDir ?? defaultStateDir(o.out);
  const command = commandLine(process.argv);
  log(`training ${spec.name} on ${dataset} (${train.count} images) on ${o.workers ?? availableParallelism()} thread(s), state in ${stateDir}`);
  log(`command: ${command}`);

  const bar = progressBar(Math.floor(train.count / config.batchSize));
  const result = await trainBranchyNet(tf, {
    spec, train, config, normalization, stateDir, resume: o.resume === true,
    meta: { trainingCommand: command, startedAt: new Date().toISOString(), dataset, trainImages: train.count, backend },
    workers: o.packageState ? 1 : (o.workers ?? availableParallelism()),
    ...(o.packageState ? { maxSteps: 0 } : {}),
    workerBackend: backendPref,
    onProgress: (p) => bar.update(p),
    onEpochEnd: (s) => {
      bar.stop();
      log(`epoch ${s.epoch + 1}/${s.epochs} done in ${s.seconds.toFixed(0)} s: loss ${s.loss.toFixed(4)}, train acc ${s.exits.map((e) => `${e.name} ${e.accuracy.toFixed(4)}`).join(', ')}`);
    },
  });
  bar.stop();
  try {
    // Imported late so a long training run started before the packaging code changed uses the current code.
    const { packageTrainedModel } = await import('../../training/package-trained.ts');
    const test = await loadWithProgress(dataset, 'test', source);
    const evalSet = o.evalLimit !== undefined ? takeFirst(test, o.evalLimit) : test;
    log(`exporting to ONNX and evaluating every exit on ${evalSet.count} test images with onnxruntime-node`);
    const pkg = await packageTrainedModel({
      tf, spec, net: result.net, outDir: o.out, normalization, test: evalSet,
      // Relative to the package folder, so `model eval` finds it from any working directory.
      ...(o.dataDir !== undefined ? { dataSource: isAbsolute(o.dataDir) ? o.dataDir : relative(resolve(o.out), resolve(o.dataDir)) } : {}),
      provenance: {
        dataset: `${dataset} (train ${train.count} images, test ${evalSet.count})`,
        trainingCommand: String(result.meta['trainingCommand'] ?? command),
        gitCommit: gitCommit(),
        date: new Date().toISOString(),
        training: {
          epochsDone: result.history.length,
          epochsPlanned: result.config.epochs,
          steps: result.globalStep,
          wallSeconds: Math.round(result.history.reduce((a, h) => a + h.seconds, 0)),
          epochSeconds: result.history.map((h) => Math.round(h.seconds)),
          lastEpochTrainAccuracy: result.history.at(-1)?.exits.map((e) => Number(e.accuracy.toFixed(4))) ?? [],
        },
        notes: `backend ${backend}; ${result.history.length} epochs, ${result.globalStep} steps${result.complete ? '' : ` (an unfinished run packaged as it stood: ${result.history.length} of ${result.config.epochs} epochs done)`}; config ${JSON.stringify(result.config)}`,
      },
    });
    log(`export check: max |ORT - tfjs| over every exit = ${pkg.exportMaxAbsDiff.toExponential(2)}`);
    if (o.json) process.stdout.write(`${JSON.stringify({ out: o.out, exits: pkg.exits, samples: evalSet.count, history: result.history })}\n`);
    else {
      process.stdout.write(`model package written to ${o.out}\n`);
      for (const e of pkg.exits) process.stdout.write(`  ${e.name}: test accuracy ${(e.accuracy * 100).toFixed(2)}%\n`);
    }
  } finally {
    result.net.model.dispose();
  }
}

interface EvalCliOptions {
  model: string;
  dataset?: string | undefined;
  dataDir?: string | undefined;
  limit?: number | undefined;
  json?: boolean | undefined;
}

async function runEval(o: EvalCliOptions): Promise<void> {
  const { evaluatePackage } = await import('../../training/evaluate-package.ts');
  const r = await evaluatePackage({
    modelDir: o.model,
    ...(o.dataset ? { dataset: parseDatasetName(o.dataset) } : {}),
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    // A data folder the user named must be used: no quiet fallback to the package's samples.
    samplesFallback: o.dataDir === undefined,
  });
  if (r.source === 'package-samples') process.stderr.write(`dataset not available (${r.reason}); evaluated on the package's ${r.samples} sample images instead\n`);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ exits: r.exits.map((e) => ({ name: e.name, accuracy: e.accuracy })), samples: r.samples, source: r.source })}\n`);
    return;
  }
  process.stdout.write(`${o.model}: ${r.samples} images (${r.source})\n`);
  for (const e of r.exits) {
    const m = e.manifestAccuracy === null ? '' : ` (manifest ${(e.manifestAccuracy * 100).toFixed(2)}%)`;
    process.stdout.write(`  ${e.name}: ${(e.accuracy * 100).toFixed(2)}%${m}\n`);
  }
}

interface AccuracyCliOptions {
  model: string;
  dataDir?: string | undefined;
  limit?: number | undefined;
  json?: boolean | undefined;
}

async function runAccuracy(o: AccuracyCliOptions): Promise<void> {
  const { loadModelPackage, packageDataSource } = await import('../../runtime/model/model-package.ts');
  const { measureActionAccuracy } = await import('../../training/measure-action-accuracy.ts');
  const { saveActionAccuracy, ACTION_ACCURACY_FILE } = await import('../../runtime/model/action-accuracy.ts');
  const pkg = await loadModelPackage(o.model);
  const dataDir = o.dataDir ?? packageDataSource(pkg);
  const full = await loadWithProgress(parseDatasetName(pkg.manifest.input.dataset), 'test', dataDir ? { dataDir } : {});
  const test = o.limit !== undefined ? takeFirst(full, o.limit) : full;
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'measuring |{bar}| {value}/{total} (partition × encoding, then JPEG qualities)', noTTYOutput: true, notTTYSchedule: 10_000 }, cliProgress.Presets.shades_classic);
  bar.start(1, 0);
  const file = await measureActionAccuracy({ onnx: pkg.onnx, manifest: pkg.manifest, images: test.images, labels: test.labels, onProgress: (d, t) => bar.setTotal(t) === undefined && bar.update(d) });
  bar.stop();
  await saveActionAccuracy(pkg.dir, file);
  const rows = file.entries.map((e) => ({ ...e, deltaPoints: 100 * (e.accuracy - file.exitAccuracy[e.exit - 1]!) }));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ model: o.model, samples: test.count, file: ACTION_ACCURACY_FILE, inputEncodings: file.inputEncodings, entries: rows.map(({ correct: _c, ...r }) => r) })}\n`);
    return;
  }
  process.stdout.write(`${o.model}: ${test.count} test images; written to ${ACTION_ACCURACY_FILE}\n`);
  const enc = [...new Set(rows.map((r) => `${r.encoding}${r.quality ?? ''}`))];
  for (const k of enc) {
    const d = rows.filter((r) => `${r.encoding}${r.quality ?? ''}` === k).map((r) => r.deltaPoints);
    const worst = Math.min(...d);
    process.stdout.write(`  ${k.padEnd(7)} ${d.length} actions: accuracy change vs f32 mean ${(d.reduce((a, b) => a + b, 0) / d.length).toFixed(2)} points, worst ${worst.toFixed(2)}\n`);
  }
  for (const ie of file.inputEncodings) process.stdout.write(`  jpeg q${ie.quality}: ${ie.meanBytes.toFixed(0)} B per image (raw ${pkg.manifest.input.shape.reduce((a, b) => a * b, 1)} B), encode ${(ie.encodeMsMedian * 1000).toFixed(0)} µs median here\n`);
}

/** Registers `coinfer model train`, `model eval` and `model accuracy`. */
export function registerModel(program: Command): void {
  const model = program.command('model').description('Train, evaluate and package the multi-exit model');
  model
    .command('train')
    .description('Train the 5-exit BranchyNet-AlexNet and write a model package')
    .addOption(new Option('--dataset <name>', 'dataset').choices(DATASET_NAMES).makeOptionMandatory())
    .requiredOption('--out <dir>', 'model package directory to write')
    .option('--data-dir <dir>', 'dataset folder or archive (Fashion-MNIST default: /usr/share/datasets/fashion-mnist; imagefolder: train/<class>/… and test/<class>/…)')
    .option('--image-size <n>', 'imagefolder: resize to N×N (default: the images\' own size)', countArg('--image-size'))
    .option('--epochs <n>', 'epochs (default 4)', countArg('--epochs'))
    .option('--batch <n>', 'batch size (default 64)', countArg('--batch'))
    .option('--lr <x>', "Adam's base learning rate (default 1e-3, cosine-decayed per epoch)", positiveArg('--lr'))
    .option('--seed <n>', 'seed of init, shuffling, augmentation and dropout (default 1)', intArg('--seed'))
    .option('--resume', 'continue from the saved training state')
    .option('--state-dir <dir>', 'where the resumable training state lives (default .coinfer/train-state/<out>-<hash>)')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'))
    .option('--limit <n>', 'train on the first N training images only (smoke tests)', countArg('--limit'))
    .option('--eval-limit <n>', 'evaluate on the first N test images only (smoke tests)', countArg('--eval-limit'))
    .option('--workers <n>', 'data-parallel worker threads, one core each (default: every core)', countArg('--workers'))
    .option('--no-augment', 'disable random flips (and shifts for colour images)')
    .option('--package-state', 'with --resume: package the saved state as it stands, without training further (an unfinished run)')
    .option('--json', 'print one JSON document')
    .action(async (opts) => runTrain(opts));
  model
    .command('eval')
    .description("Evaluate every exit of a model package with onnxruntime-node")
    .option('--model <dir>', 'model package directory (default: the shipped model)', DEFAULT_MODEL_DIR)
    .addOption(new Option('--dataset <name>', "dataset (default: the package's)").choices(DATASET_NAMES))
    .option('--data-dir <dir>', "dataset folder (must hold the dataset; without it a missing default dataset falls back to the package's samples)")
    .option('--limit <n>', 'evaluate the first N test images only', countArg('--limit'))
    .option('--json', 'print one JSON document')
    .action(async (opts) => runEval(opts));
  model
    .command('accuracy')
    .description('Measure the true accuracy of every lossy action (f16/int8 intermediates, JPEG inputs) on the test set and store it in the package')
    .requiredOption('--model <dir>', 'model package directory')
    .option('--data-dir <dir>', "dataset folder (default: the package's recorded source)")
    .option('--limit <n>', 'measure on the first N test images only (smoke tests)', countArg('--limit'))
    .option('--json', 'print one JSON document')
    .action(async (opts) => runAccuracy(opts));
}
