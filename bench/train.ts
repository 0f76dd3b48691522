/**
 * Training throughput of the 5-exit BranchyNet-AlexNet (Fashion-MNIST shape 1×28×28, or CIFAR-10
 * shape 3×32×32 with --shape cifar10) per tfjs
 * backend available here: wasm with the patched conv-gradient kernels, the pure-JS cpu backend
 * (a single small step: it is ~2 orders of magnitude slower), and tfjs-node when installed.
 * Synthetic inputs: the step cost does not depend on pixel values.
 *
 *   npm run bench:train -- [--steps 5] [--batch 64] [--backends wasm,cpu,tensorflow] [--shape fmnist|cifar10]
 */
import { parseArgs } from 'node:util';
import { loadTf, type BackendPreference, type Tf } from '../common/tf-backend.ts';
import { createRng } from '../common/rng.ts';
import { alexNetSpec } from '../runtime/model/architecture.ts';
import { registerWasmConvGradKernels } from '../training/wasm-conv-grad.ts';
import { buildTfBranchyNet } from '../training/tf-alexnet.ts';
import { trainStep } from '../training/train-step.ts';
import type { Batch } from '../training/batches.ts';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '5' }, batch: { type: 'string', default: '64' }, backends: { type: 'string', default: 'wasm,cpu,tensorflow' }, shape: { type: 'string', default: 'fmnist' } },
});
const steps = Number(values.steps);
const batchSize = Number(values.batch);
if (values.shape !== 'fmnist' && values.shape !== 'cifar10') throw new RangeError(`Expected --shape fmnist or cifar10, actually ${values.shape}`);
const [channels, size, trainImages] = values.shape === 'fmnist' ? [1, 28, 60_000] : [3, 32, 50_000];
const spec = alexNetSpec({ channels, size, classes: 10 });
const pixels = channels * size * size;

function syntheticBatch(n: number): Batch {
  const r = createRng(n);
  return { x: Float32Array.from({ length: n * pixels }, () => r.normal()), labels: Int32Array.from({ length: n }, () => r.int(10)), size: n };
}

async function bench(tf: Tf, opts: { steps: number; batch: number }): Promise<{ msPerStep: number; imagesPerSec: number }> {
  const net = buildTfBranchyNet(tf, spec, { seed: 1 });
  const optimizer = tf.train.adam(1e-3);
  const batch = syntheticBatch(opts.batch);
  const exitWeights = [0.5, 0.5, 0.5, 0.5, 1];
  try {
    trainStep(tf, net, { optimizer, batch, exitWeights, dropoutSeed: 0 }); // warm-up: kernels, Adam state
    const t0 = performance.now();
    for (let i = 0; i < opts.steps; i++) trainStep(tf, net, { optimizer, batch, exitWeights, dropoutSeed: i + 1 });
    const ms = (performance.now() - t0) / opts.steps;
    return { msPerStep: ms, imagesPerSec: (opts.batch * 1000) / ms };
  } finally {
    optimizer.dispose();
    net.model.dispose();
  }
}

const rows: { backend: string; batch: number; steps: number; msPerStep: number | null; imagesPerSec: number | null; note: string }[] = [];
for (const name of values.backends.split(',') as BackendPreference[]) {
  // The cpu backend's JS Conv2DBackpropFilter takes seconds per image: one small step only.
  const opts = name === 'cpu' ? { steps: 1, batch: 4 } : { steps, batch: batchSize };
  try {
    const { tf, backend } = await loadTf(name);
    if (backend !== name) throw new Error(`got backend ${backend}`);
    const patched = backend === 'wasm' && registerWasmConvGradKernels(tf);
    const r = await bench(tf, opts);
    rows.push({ backend, ...opts, ...r, note: patched ? 'patched Conv2DBackpropFilter/Input (XNNPACK), 1 thread' : '' });
  } catch (e) {
    rows.push({ backend: name, ...opts, msPerStep: null, imagesPerSec: null, note: `unavailable: ${((e as Error).message ?? String(e)).split('\n')[0]}` });
  }
  const r = rows[rows.length - 1]!;
  process.stdout.write(`${r.backend.padEnd(10)} batch ${String(r.batch).padStart(3)} × ${r.steps} steps: ${r.msPerStep === null ? '—' : `${r.msPerStep.toFixed(0)} ms/step, ${r.imagesPerSec!.toFixed(1)} images/s`} ${r.note}\n`);
}
const wasm = rows.find((r) => r.backend === 'wasm' && r.imagesPerSec);
if (wasm) process.stdout.write(`${values.shape} epoch (${trainImages} images) on wasm ≈ ${(trainImages / wasm.imagesPerSec! / 60).toFixed(1)} min\n`);
