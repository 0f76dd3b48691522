/**
 * One device-host process of `coinfer fleet`: runs a share of the fleet's DeviceRuntimes (each
 * with its own link shaper at its own trace offset and its own seeded arrival stream) against
 * the edge for a fixed time, then prints one JSON line with every request's outcome.
 *
 * Run by fleet.ts as `node bin/run-ts.js cli/fleet/fleet-host.ts '<FleetHostConfig JSON>'`.
 */
import { createRng } from '../../common/rng.ts';
import { DeviceRuntime } from '../../runtime/device/device-runtime.ts';
import { LinkShaper } from '../../runtime/link/link-shaper.ts';
import { loadTrace } from '../../runtime/link/trace.ts';
import { loadModelPackage } from '../../runtime/model/model-package.ts';
import { loadSamples } from '../../runtime/model/samples.ts';
import type { Action } from '../../runtime/action.ts';
import type { FleetHostConfig, FleetOutcome } from './fleet-summary.ts';

const cfg = JSON.parse(process.argv[2] ?? '{}') as FleetHostConfig;
const pkg = await loadModelPackage(cfg.modelDir);
const samples = await loadSamples(pkg);
const pixels = samples.shape.reduce((a, b) => a * b, 1);
const trace = cfg.tracePath === null ? null : await loadTrace(cfg.tracePath);
const devices: DeviceRuntime[] = [];
for (const index of cfg.deviceIndices) {
  // Each device replays the trace from its own offset, so the fleet does not see one link in lockstep.
  const shaper = new LinkShaper({ trace, offsetS: index * cfg.traceOffsetStepS });
  devices.push(await DeviceRuntime.create({ pkg, config: { edgeUrl: cfg.edgeUrl, token: cfg.token, calibrationRuns: 3 }, shaper }));
}
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
// All hosts start together: the parent sends one line on stdin when every host is ready.
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

const outcomes: FleetOutcome[] = [];
const action: Action = cfg.action;
const endMs = performance.now() + cfg.seconds * 1000;

/** Open-loop Poisson arrivals: an arrival does not wait for the previous answer, as real users do not. */
async function drive(device: DeviceRuntime, index: number): Promise<void> {
  const rng = createRng(cfg.seed * 100_003 + index);
  const inflight: Promise<void>[] = [];
  let next = performance.now() + (-Math.log(1 - rng.next()) * 1000) / cfg.ratePerDevice;
  while (next < endMs) {
    const waitMs = next - performance.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    const k = rng.int(samples.count);
    const reserveMs = device.reserveMs;
    const p = device.infer({ action, image: samples.images.subarray(k * pixels, (k + 1) * pixels), deadlineMs: cfg.deadlineMs, label: samples.labels[k]! }).then((r) => {
      outcomes.push({ totalMs: r.totalMs, hit: r.hitDeadline, fallback: r.fallback, reason: r.fallbackReason, correct: r.correct === true, edgeAnswered: !r.fallback && action.partition < pkg.manifest.exits[action.exit - 1]!.branchStage, reserveMs });
    });
    inflight.push(p);
    next += (-Math.log(1 - rng.next()) * 1000) / cfg.ratePerDevice;
  }
  await Promise.all(inflight);
}

await Promise.all(devices.map((d, i) => drive(d, cfg.deviceIndices[i]!)));
for (const d of devices) await d.close();
process.stdout.write(`${JSON.stringify({ event: 'done', outcomes })}\n`);
