/**
 * Fallbacks that keep the deadline: against a dead link, a frozen edge (accepts, never
 * answers), a slow edge (answers after the deadline) and a busy edge, every request falls back
 * and none misses, as long as some local exit fits the deadline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { DeviceRuntime } from '../../../runtime/device/device-runtime.ts';
import type { RequestRecord } from '../../../runtime/device/request-record.ts';
import { LinkShaper } from '../../../runtime/link/link-shaper.ts';
import { constantTrace } from '../../../runtime/link/trace.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import type { ModelPackage } from '../../../runtime/model/model-package.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { loadSamples } from '../../../runtime/model/samples.ts';
import { frameKind } from '../../../runtime/wire/cancel-frame.ts';
import { decodeRequest, encodeReply } from '../../../runtime/wire/protocol.ts';

const DEADLINE_MS = 100;
const REQUESTS = 15;
let root: string;
let pkg: ModelPackage;
let image: Uint8Array;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-fallback-'));
  pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 3, sampleCount: 1 });
  image = (await loadSamples(pkg)).images.subarray(0, 28 * 28);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A WebSocket peer that treats each request frame as `onRequest` says; counts cancels. */
async function fakeEdge(onRequest: (send: (f: Uint8Array) => void, requestId: number) => void): Promise<{ url: string; cancels: () => number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let cancels = 0;
  wss.on('connection', (ws) => ws.on('message', (data) => {
    const bytes = new Uint8Array(data as Buffer);
    if (frameKind(bytes) === 'cancel') cancels++;
    else onRequest((f) => ws.readyState === ws.OPEN && ws.send(f), decodeRequest(bytes, 1 << 24).requestId);
  }));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    cancels: () => cancels,
    close: () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }),
  };
}

/** Serves REQUESTS requests after a few uncounted ones (the reserve learns this thread's timer lateness from them). */
async function serve(d: DeviceRuntime): Promise<RequestRecord[]> {
  for (let i = 0; i < 3; i++) await d.infer({ action: { exit: 5, partition: 3, encoding: 'f32' }, image, deadlineMs: DEADLINE_MS });
  const out: RequestRecord[] = [];
  for (let i = 0; i < REQUESTS; i++) out.push(await d.infer({ action: { exit: 5, partition: 3, encoding: 'f32' }, image, deadlineMs: DEADLINE_MS }));
  return out;
}

function expectNoMisses(records: RequestRecord[], d: DeviceRuntime): void {
  // The premise: a local exit fits the deadline with room to spare.
  expect(d.localExitMs(1)).toBeLessThan(DEADLINE_MS / 2);
  expect(records.every((r) => r.fallback)).toBe(true);
  expect(records.filter((r) => !r.hitDeadline).map((r) => r.totalMs)).toEqual([]);
}

const withDevice = async (edgeUrl: string, fn: (d: DeviceRuntime) => Promise<void>, shaper?: LinkShaper): Promise<void> => {
  const d = await DeviceRuntime.create({ pkg, config: { edgeUrl, calibrationRuns: 3 }, ...(shaper ? { shaper } : {}) });
  try {
    await fn(d);
  } finally {
    await d.close();
  }
};

describe('fallbacks keep the deadline', () => {
  it('over a dead link (zero bandwidth)', async () => {
    const edge = await fakeEdge(() => undefined);
    try {
      await withDevice(edge.url, async (d) => expectNoMisses(await serve(d), d), new LinkShaper({ trace: constantTrace(0) }));
    } finally {
      await edge.close();
    }
  });

  it('against a frozen edge that accepts and never answers, cancelling each request there', async () => {
    const edge = await fakeEdge(() => undefined);
    try {
      await withDevice(edge.url, async (d) => expectNoMisses(await serve(d), d));
      await new Promise((r) => setTimeout(r, 20));
      expect(edge.cancels()).toBe(REQUESTS + 3);
    } finally {
      await edge.close();
    }
  });

  it('against a slow edge whose answers come after the deadline', async () => {
    const edge = await fakeEdge((send, requestId) => setTimeout(() => send(encodeReply({ requestId, status: 'OK', exit: 5, queueMs: 0, computeMs: 1, numClasses: 1, predictedClasses: new Int32Array(1), probabilities: new Float32Array(1) })), DEADLINE_MS * 2));
    try {
      await withDevice(edge.url, async (d) => expectNoMisses(await serve(d), d));
    } finally {
      await edge.close();
    }
  });

  it('against a busy edge, falling back early with its status', async () => {
    const edge = await fakeEdge((send, requestId) => send(encodeReply({ requestId, status: 'ERR_EDGE_BUSY', exit: 0, queueMs: 0, computeMs: 0, numClasses: 0, predictedClasses: new Int32Array(0), probabilities: new Float32Array(0), message: 'busy' })));
    try {
      await withDevice(edge.url, async (d) => {
        const records = await serve(d);
        expectNoMisses(records, d);
        expect(records.every((r) => r.fallbackReason === 'ERR_EDGE_BUSY')).toBe(true);
      });
    } finally {
      await edge.close();
    }
  });
});
