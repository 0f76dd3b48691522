/**
 * Prints, as a Markdown table, Edgent's choice of (exit, partition, encoding) across uplink
 * bandwidths and deadlines with the published edgent-rpi3b device and edgent-desktop edge
 * profiles (docs/latency.md). Runs on the default model's manifest (models/cifar10-alexnet) or
 * --model's; without one, on a random package's manifest (accuracies null: deeper exit = better).
 *
 *   node bin/run-ts.js bench/edgent-table.ts [--rtt MS] [--model DIR] [--cifar]
 *
 * --cifar: use a random 3×32×32 CIFAR-10-shaped package instead (Edgent's own input size).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEdgentPolicy } from '../policies/edgent.ts';
import { actionLabel } from '../runtime/action.ts';
import { alexNetSpec } from '../runtime/model/architecture.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../runtime/model/model-package.ts';
import { createRandomModelPackage } from '../runtime/model/random-package.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../runtime/profile/edgent-profiles.ts';
import { createLatencyTable, predictFromTable } from '../runtime/profile/latency-predictor.ts';

const BANDWIDTHS_MBPS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const DEADLINES_MS = [100, 200, 300, 500, 750, 1000];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function manifestToUse(): Promise<{ manifest: ModelManifest; source: string }> {
  const dir = arg('--model') ?? DEFAULT_MODEL_DIR;
  const cifar = process.argv.includes('--cifar');
  if (!cifar && existsSync(join(dir, 'manifest.json'))) {
    const pkg = await loadModelPackage(dir);
    return { manifest: pkg.manifest, source: `${pkg.manifest.name} from ${dir} (exit accuracies ${pkg.manifest.exits.map((e) => e.accuracy?.toFixed(3) ?? 'null').join(', ')})` };
  }
  const tmp = await mkdtemp(join(tmpdir(), 'coinfer-edgent-table-'));
  try {
    const spec = cifar ? alexNetSpec({ channels: 3, size: 32, classes: 10 }) : alexNetSpec({ channels: 1, size: 28, classes: 10 });
    const pkg = await createRandomModelPackage({ dir: tmp, spec, seed: 1, sampleCount: 0 });
    const why = cifar ? 'CIFAR-10-shaped, as asked' : `no trained model at ${dir}`;
    return { manifest: pkg.manifest, source: `a random package's manifest (${pkg.manifest.name}; ${why}): accuracies null, ranked by exit depth` };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const rttMs = Number(arg('--rtt') ?? 20);
const { manifest, source } = await manifestToUse();
const policy = createEdgentPolicy({ manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP });
const table = createLatencyTable(manifest, EDGENT_RPI3B, EDGENT_DESKTOP);
const obs = new Float32Array(0);
const out: string[] = [];
out.push(`Edgent's choice on ${source}; device edgent-rpi3b, edge edgent-desktop (published profiles), RTT ${rttMs} ms, no load.`);
out.push('Cell: action (predicted total ms); * = nothing meets the deadline, the fastest action is taken.');
out.push('');
out.push(`| Mbps \\ deadline | ${DEADLINES_MS.map((d) => `${d} ms`).join(' | ')} |`);
out.push(`|---|${DEADLINES_MS.map(() => '---').join('|')}|`);
for (const bw of BANDWIDTHS_MBPS) {
  const cells = DEADLINES_MS.map((deadlineMs) => {
    const ctx = { deadlineMs, bandwidthMbps: bw, bandwidthTrendMbpsPerS: 0, rttMs, deviceLoad: 0, edgeLoad: 0 };
    const a = policy.decide(obs, ctx);
    const p = predictFromTable(table, { action: a, bandwidthMbps: bw, rttMs });
    return `${actionLabel(manifest, a)} (${p.totalMs.toFixed(0)})${p.totalMs > deadlineMs ? '*' : ''}`;
  });
  out.push(`| ${bw} | ${cells.join(' | ')} |`);
}
out.push('');
const local = manifest.exits.map((e) => `e${e.index} ${predictFromTable(table, { action: { exit: e.index, partition: e.branchStage, encoding: 'f32' }, bandwidthMbps: 1, rttMs }).totalMs.toFixed(0)} ms`);
out.push(`Device-only (local) predicted times: ${local.join(', ')}.`);
const crossing = [0, ...manifest.stages.map((s) => s.index)].map((p) => {
  const a = p === 0 ? { exit: manifest.exits.length, partition: 0, encoding: 'uint8' as const } : { exit: manifest.exits.length, partition: p, encoding: 'int8' as const };
  return p < manifest.stages.length ? `p${p} ${predictFromTable(table, { action: a, bandwidthMbps: 1, rttMs }).bytes} B` : null;
}).filter((x) => x !== null);
out.push(`Uplink bytes (p0 raw uint8, else int8, header included): ${crossing.join(', ')}.`);
process.stdout.write(`${out.join('\n')}\n`);
