/**
 * `coinfer split-check`: proves the splitter exact on a model package. On N of the package's
 * real samples it runs every (partition, exit) pair as prefix∘suffix sub-models and compares
 * with the whole model; exits non-zero when any difference exceeds 1e-5. Composition only:
 * the check lives in runtime/model/split-verify.ts.
 */
import { Command } from '@commander-js/extra-typings';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { preprocess } from '../../runtime/model/preprocess.ts';
import { loadSamples } from '../../runtime/model/samples.ts';
import { SessionCache } from '../../runtime/model/session-cache.ts';
import { verifySplits } from '../../runtime/model/split-verify.ts';
import { countArg } from '../option-parsers.ts';

/** Largest acceptable |prefix∘suffix − whole| (the expected value is 0). */
const TOLERANCE = 1e-5;

export function registerSplitCheck(program: Command): void {
  program
    .command('split-check')
    .description('Check that prefix∘suffix equals the whole model for every (partition, exit) pair')
    .option('--model <dir>', 'model package directory', DEFAULT_MODEL_DIR)
    .option('--samples <n>', 'number of the package\'s samples to run', countArg('--samples'), 16)
    .option('--json', 'print one JSON document')
    .action(async (opts) => {
      const pkg = await loadModelPackage(opts.model);
      const samples = await loadSamples(pkg);
      const batch = Math.min(opts.samples, samples.count);
      const sampleBytes = samples.shape.reduce((a, b) => a * b, 1);
      const input = preprocess(pkg.manifest, samples.images.subarray(0, batch * sampleBytes));
      const cache = new SessionCache(pkg.onnx);
      const t0 = performance.now();
      let result;
      try {
        result = await verifySplits({ manifest: pkg.manifest, onnx: pkg.onnx, cache, input, batch });
      } finally {
        await cache.close();
      }
      const ok = result.maxAbsDiff <= TOLERANCE;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ pairs: result.pairs.length, maxAbsDiff: result.maxAbsDiff, samples: batch, ok })}\n`);
      } else {
        process.stdout.write(`split-check ${pkg.dir}: ${batch} samples, ${result.pairs.length} (partition, exit) pairs, ${(performance.now() - t0).toFixed(0)} ms\n`);
        process.stdout.write('exit  partition  cut tensor    max|diff|\n');
        for (const p of result.pairs) {
          process.stdout.write(`e${String(p.exit).padEnd(4)} p${String(p.partition).padEnd(9)} ${p.tensor.padEnd(13)} ${p.maxAbsDiff.toExponential(2)}\n`);
        }
        process.stdout.write(`max |prefix∘suffix − whole| = ${result.maxAbsDiff.toExponential(2)} (tolerance ${TOLERANCE}): ${ok ? 'OK' : 'FAILED'}\n`);
      }
      if (!ok) process.exitCode = 1;
    });
}
