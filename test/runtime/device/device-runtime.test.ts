import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { constantTrace } from '../../../runtime/link/trace.ts';
import { LinkShaper } from '../../../runtime/link/link-shaper.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import type { ModelPackage } from '../../../runtime/model/model-package.ts';
import { preprocess } from '../../../runtime/model/preprocess.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { loadSamples, type SampleSet } from '../../../runtime/model/samples.ts';
import { SessionCache } from '../../../runtime/model/session-cache.ts';
import { startEdgeServer, type EdgeServer } from '../../../runtime/edge/edge-server.ts';
import { argmaxRows } from '../../../runtime/device/argmax-rows.ts';
import { DeviceRuntime } from '../../../runtime/device/device-runtime.ts';
import type { DeviceRuntimeConfig } from '../../../runtime/device/device-runtime-config.ts';
import { EDGENT_RPI3B } from '../../../runtime/profile/edgent-profiles.ts';
import { predictLayersMs } from '../../../runtime/profile/layer-regression.ts';

const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
const PIXELS = 28 * 28;
let root: string;
let pkg: ModelPackage;
let samples: SampleSet;
let edge: EdgeServer;
/** [exit − 1][sample] = the whole model's local prediction. */
let localPredictions: number[][];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-device-'));
  pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec, seed: 11, sampleCount: 4 });
  samples = await loadSamples(pkg);
  edge = await startEdgeServer({ pkg, config: { port: 0 } });
  const cache = new SessionCache(pkg.onnx);
  const { input } = pkg.manifest;
  const x = preprocess(pkg.manifest, samples.images);
  localPredictions = [];
  for (const ex of pkg.manifest.exits) {
    const probs = await cache.run({ from: input.name, to: ex.output, input: x, batch: samples.count, inputShape: input.shape });
    localPredictions.push(Array.from(argmaxRows(probs, 10)));
  }
  await cache.close();
});

afterAll(async () => {
  await edge?.close();
  await rm(root, { recursive: true, force: true });
});

const image = (i: number): Uint8Array => samples.images.subarray(i * PIXELS, (i + 1) * PIXELS);

async function withDevice(config: Partial<DeviceRuntimeConfig>, fn: (d: DeviceRuntime) => Promise<void>, shaper?: LinkShaper): Promise<void> {
  const d = await DeviceRuntime.create({ pkg, config: { calibrationRuns: 2, ...config }, ...(shaper ? { shaper } : {}) });
  try {
    await fn(d);
  } finally {
    await d.close();
  }
}

/** A ws:// URL where nothing listens (a server bound then closed). */
async function deadUrl(): Promise<string> {
  const e = await startEdgeServer({ pkg, config: { port: 0, warmSessions: false } });
  const url = e.url;
  await e.close();
  return url;
}

describe('DeviceRuntime', () => {
  it('offloads at every partition of exit 5 (f32) with the whole model\'s predictions', async () => {
    await withDevice({ edgeUrl: edge.url }, async (d) => {
      expect(d.edgeConnected).toBe(true);
      for (let p = 0; p < 12; p++) {
        for (let i = 0; i < samples.count; i++) {
          const r = await d.infer({ action: { exit: 5, partition: p, encoding: p === 0 ? 'uint8' : 'f32' }, image: image(i), deadlineMs: 5000, label: samples.labels[i]! });
          expect(r.fallback).toBe(false);
          expect(r.predictedClass).toBe(localPredictions[4]![i]);
          expect(r.partition).toBe(p);
          expect(r.bytes).toBeGreaterThan(p === 0 ? PIXELS : 0);
          expect(r.edgeComputeMs).toBeGreaterThan(0);
          expect(r.totalMs).toBeGreaterThanOrEqual(r.deviceMs + r.edgeMs);
          expect(r.hitDeadline).toBe(true);
          expect(r.correct).toBe(r.predictedClass === samples.labels[i]);
        }
      }
    });
  });

  it('runs local actions without sending anything', async () => {
    await withDevice({ edgeUrl: edge.url }, async (d) => {
      const r = await d.infer({ action: { exit: 2, partition: 9, encoding: 'int8' }, image: image(1), deadlineMs: 1000 });
      expect(r).toMatchObject({ exit: 2, partition: 6, encoding: 'f32', answeredExit: 2, bytes: 0, uplinkMs: 0, edgeMs: 0, fallback: false, label: null, correct: null });
      expect(r.predictedClass).toBe(localPredictions[1]![1]);
    });
  });

  it('falls back to the best local exit when the edge is down', async () => {
    await withDevice({ edgeUrl: await deadUrl(), connectTimeoutMs: 500 }, async (d) => {
      expect(d.edgeConnected).toBe(false);
      const r = await d.infer({ action: { exit: 5, partition: 3, encoding: 'f16' }, image: image(2), deadlineMs: 1000 });
      expect(r).toMatchObject({ fallback: true, fallbackReason: 'edge-unavailable', answeredExit: 5, bytes: 0, hitDeadline: true });
      expect(r.predictedClass).toBe(localPredictions[4]![2]);
    });
  });

  it('falls back when the edge goes away between requests', async () => {
    const own = await startEdgeServer({ pkg, config: { port: 0, warmSessions: false } });
    await withDevice({ edgeUrl: own.url, reconnectDelayMs: 60_000 }, async (d) => {
      expect((await d.infer({ action: { exit: 4, partition: 7, encoding: 'int8' }, image: image(0), deadlineMs: 1000 })).fallback).toBe(false);
      await own.close();
      const r = await d.infer({ action: { exit: 4, partition: 7, encoding: 'int8' }, image: image(0), deadlineMs: 1000 });
      expect(r).toMatchObject({ fallback: true, fallbackReason: 'edge-unavailable' });
      expect(r.predictedClass).toBe(localPredictions[r.answeredExit - 1]![0]);
    });
  });

  it('sends its token at the upgrade; without it the edge is unavailable', async () => {
    const guarded = await startEdgeServer({ pkg, config: { port: 0, token: 'tok', warmSessions: false } });
    try {
      await withDevice({ edgeUrl: guarded.url, token: 'tok' }, async (d) => {
        expect(d.edgeConnected).toBe(true);
        expect((await d.infer({ action: { exit: 3, partition: 4, encoding: 'f32' }, image: image(0), deadlineMs: 1000 })).fallback).toBe(false);
      });
      await withDevice({ edgeUrl: guarded.url }, async (d) => {
        expect(d.edgeConnected).toBe(false);
        expect(d.edgeError).not.toBeNull();
        expect((await d.infer({ action: { exit: 3, partition: 4, encoding: 'f32' }, image: image(0), deadlineMs: 1000 })).fallbackReason).toBe('edge-unavailable');
      });
      expect(guarded.stats.unauthorized).toBe(1);
    } finally {
      await guarded.close();
    }
  });

  it('falls back in time when the link cannot deliver before the deadline', async () => {
    // 0.05 Mbps: the 12.6 kB lrn2 tensor would need ~2 s; the deadline is 150 ms.
    const shaper = new LinkShaper({ trace: constantTrace(0.05), propagationDelayMs: 5 });
    // A 10 ms margin keeps the check robust to timer lateness on a busy machine.
    await withDevice({ edgeUrl: edge.url, fallbackMarginMs: 10 }, async (d) => {
      const r = await d.infer({ action: { exit: 5, partition: 6, encoding: 'f32' }, image: image(3), deadlineMs: 150 });
      expect(r).toMatchObject({ fallback: true, fallbackReason: 'timeout', bytes: 0, hitDeadline: true });
      expect(r.uplinkMs).toBeGreaterThan(40); // it really waited on the link, then gave up (the reserve grows with timer lateness)
      expect(r.totalMs).toBeLessThanOrEqual(150);
      expect(r.predictedClass).toBe(localPredictions[r.answeredExit - 1]![3]);
    }, shaper);
  });

  it('falls back with the edge\'s status when the edge refuses the request', async () => {
    const otherPkg = await createRandomModelPackage({ dir: join(root, 'other'), spec, seed: 12, sampleCount: 0 });
    const other = await startEdgeServer({ pkg: otherPkg, config: { port: 0, warmSessions: false } });
    try {
      await withDevice({ edgeUrl: other.url }, async (d) => {
        const r = await d.infer({ action: { exit: 5, partition: 6, encoding: 'f32' }, image: image(0), deadlineMs: 1000 });
        expect(r).toMatchObject({ fallback: true, fallbackReason: 'ERR_FRAME_UNKNOWN_MODEL' });
        expect(r.bytes).toBeGreaterThan(0);
      });
    } finally {
      await other.close();
    }
  });

  it('paces the frame through a constant-rate trace: uplinkMs = bytes·8/rate + delay within 5%', async () => {
    const mbps = 4;
    const delayMs = 5;
    await withDevice({ edgeUrl: edge.url }, async (d) => {
      for (const [partition, encoding] of [[6, 'f32'], [3, 'int8'], [0, 'uint8']] as const) {
        const t0 = performance.now();
        const r = await d.infer({ action: { exit: 5, partition, encoding }, image: image(0), deadlineMs: 10_000 });
        const wallMs = performance.now() - t0;
        const expectedMs = (r.bytes * 8) / (mbps * 1e3) + delayMs;
        expect(r.fallback).toBe(false);
        expect(Math.abs(r.uplinkMs - expectedMs) / expectedMs).toBeLessThan(0.05);
        // The time really passed: the request took at least its parts.
        expect(wallMs).toBeGreaterThanOrEqual(expectedMs);
        expect(r.totalMs).toBeGreaterThanOrEqual(r.deviceMs + r.uplinkMs + r.edgeMs - 0.5);
      }
    }, new LinkShaper({ trace: constantTrace(mbps), propagationDelayMs: delayMs }));
  });

  it('stretches device compute to the edgent-rpi3b profile and says it is emulated', async () => {
    await withDevice({ profile: 'edgent-rpi3b' }, async (d) => {
      const m = pkg.manifest;
      const predicted = predictLayersMs(EDGENT_RPI3B, [...m.stages.slice(0, 3).flatMap((s) => s.layers), ...m.exits[0]!.layers]);
      expect(d.localExitMs(1)).toBeCloseTo(predicted, 6);
      const r = await d.infer({ action: { exit: 1, partition: 3, encoding: 'f32' }, image: image(0), deadlineMs: 10_000 });
      expect(r.emulated).toBe(true);
      expect(r.deviceMs).toBeGreaterThanOrEqual(predicted - 0.01);
      expect(r.deviceMs).toBeLessThan(predicted + 25);
    });
  });

  it('rejects a bad action, image or config', async () => {
    await withDevice({}, async (d) => {
      await expect(d.infer({ action: { exit: 6, partition: 0, encoding: 'uint8' }, image: image(0), deadlineMs: 10 })).rejects.toMatchObject({ code: 'ERR_INVALID_ACTION' });
      await expect(d.infer({ action: { exit: 1, partition: 0, encoding: 'uint8' }, image: new Uint8Array(5), deadlineMs: 10 })).rejects.toThrow(RangeError);
    });
    const e = await DeviceRuntime.create({ pkg, config: { edgeUrl: 'http://x' } }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe('ERR_INVALID_CONFIG');
  });
});
