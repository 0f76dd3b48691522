/**
 * Split-execution runtime overhead (issue "Split-execution runtime", Benchmarks). For each
 * partition of the final exit (f32; plain, unshaped link on loopback; the edge in a child
 * process running `coinfer edge`), it compares the end-to-end time of a request with the sum
 * of its measured parts (device compute + uplink + edge queue and compute). The difference is
 * the runtime's own cost: encoding, framing, ws, the loopback transfer, the event loop.
 * Goal: overhead within 3 % of the end-to-end time or 2 ms. Also: ORT session creation time
 * and per-stage compute at batch 1.
 *
 * Run: npm run bench:runtime [-- --requests 200 --warmup 20 --model DIR --json]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceRuntime } from '../runtime/device/device-runtime.ts';
import type { ModelPackage } from '../runtime/model/model-package.ts';
import { preprocess } from '../runtime/model/preprocess.ts';
import { loadSamples } from '../runtime/model/samples.ts';
import { SessionCache } from '../runtime/model/session-cache.ts';
import { median, quantileSorted } from '../runtime/profile/sample-stats.ts';
import { startEdgeProcess } from '../cli/edge-process.ts';
import { modelOrRandom } from './model-or-random.ts';

const GOAL_RATIO = 0.03;
const GOAL_MS = 2;

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const requests = Number(args.requests);
const warmup = Number(args.warmup);
if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(warmup) || warmup < 0) {
  throw new RangeError(`Expected --requests >= 1 and --warmup >= 0 integers, actually ${args.requests} and ${args.warmup}`);
}
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const sorted = (xs: readonly number[]): Float64Array => Float64Array.from(xs).sort();
const q = (xs: readonly number[], p: number): number => quantileSorted(sorted(xs), p);

/** ORT session creation (first in the process, then the median of the others) and per-stage compute, ms. */
async function measureSessions(pkg: ModelPackage, image: Uint8Array): Promise<{ firstCreateMs: number; createMs: number; stageMs: { name: string; medianMs: number }[] }> {
  const { manifest } = pkg;
  const cache = new SessionCache(pkg.onnx);
  try {
    const names = [manifest.input.name, ...manifest.stages.map((s) => s.output)];
    const creates: number[] = [];
    for (let k = 1; k < names.length; k++) {
      const t0 = performance.now();
      await cache.warm(names[k - 1]!, names[k]!);
      creates.push(performance.now() - t0);
    }
    const stageMs: { name: string; medianMs: number }[] = [];
    let x = preprocess(manifest, image);
    let shape: readonly number[] = manifest.input.shape;
    for (let k = 1; k < names.length; k++) {
      const run = (): Promise<Float32Array> => cache.run({ from: names[k - 1]!, to: names[k]!, input: x, batch: 1, inputShape: shape });
      const ms: number[] = [];
      let out = await run();
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        out = await run();
        ms.push(performance.now() - t0);
      }
      stageMs.push({ name: manifest.stages[k - 1]!.name, medianMs: median(ms) });
      x = out;
      shape = manifest.stages[k - 1]!.outputShape;
    }
    // The first creation also decodes the ONNX model once; it is reported apart.
    return { firstCreateMs: creates[0]!, createMs: median(creates.slice(1)), stageMs };
  } finally {
    await cache.close();
  }
}

interface PartitionResult {
  readonly partition: number;
  readonly bytes: number;
  readonly totalMedianMs: number;
  readonly totalP99Ms: number;
  readonly partsMedianMs: number;
  readonly deviceMedianMs: number;
  readonly edgeMedianMs: number;
  /** Median of (total − parts) per request. */
  readonly overheadMedianMs: number;
  readonly overheadP99Ms: number;
  readonly overheadRatio: number;
  readonly meetsGoal: boolean;
  readonly fallbacks: number;
}

const { pkg, source, cleanup } = await modelOrRandom(args.model);
const samples = await loadSamples(pkg);
const pixels = samples.shape.reduce((a, b) => a * b, 1);
const image = (i: number): Uint8Array => samples.images.subarray((i % samples.count) * pixels, ((i % samples.count) + 1) * pixels);
log(`model: ${source}`);
const sessions = await measureSessions(pkg, image(0));
const edge = await startEdgeProcess({ modelDir: pkg.dir });
const device = await DeviceRuntime.create({ pkg, config: { edgeUrl: edge.url } });
const exit = pkg.manifest.exits.length;
const branch = pkg.manifest.exits[exit - 1]!.branchStage;
const results: PartitionResult[] = [];
try {
  for (let p = 0; p <= branch; p++) {
    const action = { exit, partition: p, encoding: 'f32' as const };
    for (let i = 0; i < warmup; i++) await device.infer({ action, image: image(i), deadlineMs: 60_000 });
    const total: number[] = [];
    const parts: number[] = [];
    const over: number[] = [];
    const dev: number[] = [];
    const edg: number[] = [];
    let bytes = 0;
    let fallbacks = 0;
    for (let i = 0; i < requests; i++) {
      const r = await device.infer({ action, image: image(i), deadlineMs: 60_000 });
      const sum = r.deviceMs + r.uplinkMs + r.edgeMs;
      total.push(r.totalMs);
      parts.push(sum);
      over.push(r.totalMs - sum);
      dev.push(r.deviceMs);
      edg.push(r.edgeMs);
      bytes = r.bytes;
      if (r.fallback) fallbacks++;
    }
    const totalMedianMs = q(total, 0.5);
    const overheadMedianMs = q(over, 0.5);
    results.push({
      partition: p, bytes, totalMedianMs, totalP99Ms: q(total, 0.99), partsMedianMs: q(parts, 0.5),
      deviceMedianMs: q(dev, 0.5), edgeMedianMs: q(edg, 0.5), overheadMedianMs, overheadP99Ms: q(over, 0.99),
      overheadRatio: overheadMedianMs / totalMedianMs, meetsGoal: overheadMedianMs <= Math.max(GOAL_RATIO * totalMedianMs, GOAL_MS), fallbacks,
    });
    log(`partition ${p}${p === branch ? ' (local)' : ''}: done`);
  }
} finally {
  await device.close();
  await edge.stop();
  await cleanup();
}

if (args.json) {
  process.stdout.write(`${JSON.stringify({ model: source, requests, warmup, exit, encoding: 'f32', link: 'plain loopback', sessions, partitions: results })}\n`);
} else {
  const f = (x: number, w = 7): string => x.toFixed(3).padStart(w);
  console.log(`model: ${source}`);
  console.log(`exit ${exit}, f32, plain loopback link, edge in a child process; ${requests} requests per partition after ${warmup} warm-up; ORT 1 intra-op thread each side`);
  console.log(`ORT session creation: first ${sessions.firstCreateMs.toFixed(2)} ms (decodes the model), then median ${sessions.createMs.toFixed(2)} ms`);
  console.log(`per-stage compute, batch 1, median ms: ${sessions.stageMs.map((s) => `${s.name} ${s.medianMs.toFixed(3)}`).join(', ')}`);
  console.log('\npart   bytes  total med  total p99  parts med  device med  edge med  overhead med  p99   ratio   goal');
  for (const r of results) {
    console.log(`${String(r.partition).padStart(4)} ${String(r.bytes).padStart(7)} ${f(r.totalMedianMs, 10)} ${f(r.totalP99Ms, 10)} ${f(r.partsMedianMs, 10)} ${f(r.deviceMedianMs, 11)} ${f(r.edgeMedianMs, 9)} ${f(r.overheadMedianMs, 13)} ${f(r.overheadP99Ms, 6)} ${(100 * r.overheadRatio).toFixed(1).padStart(5)} %  ${r.meetsGoal ? 'ok' : 'MISS'}${r.fallbacks > 0 ? ` (${r.fallbacks} fallbacks)` : ''}`);
  }
  console.log(`\ngoal: median overhead <= max(${100 * GOAL_RATIO} % of the end-to-end median, ${GOAL_MS} ms): ${results.every((r) => r.meetsGoal) ? 'met at every partition' : 'MISSED somewhere'}`);
}
