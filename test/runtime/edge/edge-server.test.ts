import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import type { ModelPackage } from '../../../runtime/model/model-package.ts';
import { preprocess } from '../../../runtime/model/preprocess.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { loadSamples } from '../../../runtime/model/samples.ts';
import { SessionCache } from '../../../runtime/model/session-cache.ts';
import { startEdgeServer, type EdgeServer } from '../../../runtime/edge/edge-server.ts';
import { argmaxRows } from '../../../runtime/device/argmax-rows.ts';
import { encodeCancel } from '../../../runtime/wire/cancel-frame.ts';
import { encodeRequest, REQUEST_FIXED_BYTES, type RequestHeader } from '../../../runtime/wire/protocol.ts';
import { encodeRawInput, encodeTensor } from '../../../runtime/wire/tensor-codec.ts';
import { connectWireTestClient } from './wire-test-client.ts';

const spec = alexNetSpec({ channels: 1, size: 28, classes: 10 });
let root: string;
let pkg: ModelPackage;
let local: SessionCache;
let image: Uint8Array;
let x: Float32Array;
let lrn2: Float32Array; // the partition-6 tensor of `image`
let wholeProbs: Float32Array; // the whole model's exit-5 output for `image`

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-edge-'));
  pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec, seed: 5, sampleCount: 4 });
  image = (await loadSamples(pkg)).images.subarray(0, 28 * 28);
  x = preprocess(pkg.manifest, image);
  local = new SessionCache(pkg.onnx);
  const input = pkg.manifest.input;
  lrn2 = await local.run({ from: input.name, to: pkg.manifest.stages[5]!.output, input: x, batch: 1, inputShape: input.shape });
  wholeProbs = await local.run({ from: input.name, to: pkg.manifest.exits[4]!.output, input: x, batch: 1, inputShape: input.shape });
});

afterAll(async () => {
  await local?.close();
  await rm(root, { recursive: true, force: true });
});

function header(over: Partial<RequestHeader> = {}): RequestHeader {
  return { requestId: 1, modelId: pkg.modelId, partition: 6, exit: 5, encoding: 'f32', dims: [1, ...pkg.manifest.stages[5]!.outputShape], deadlineMs: 0, scale: 1, zeroPoint: 0, ...over };
}
const goodFrame = (requestId = 1): Uint8Array => encodeRequest(header({ requestId }), encodeTensor(lrn2, 'f32').bytes);

async function withEdge(config: Parameters<typeof startEdgeServer>[0]['config'], fn: (edge: EdgeServer) => Promise<void>): Promise<void> {
  const edge = await startEdgeServer({ pkg, config: { port: 0, warmSessions: false, ...config } });
  try {
    await fn(edge);
  } finally {
    await edge.close();
  }
}

describe('startEdgeServer', () => {
  it('answers a partition-6 f32 request with the whole model\'s exit-5 output, and raw input at partition 0', async () => {
    await withEdge({}, async (edge) => {
      expect(edge.host).toBe('127.0.0.1');
      expect(edge.port).toBeGreaterThan(0);
      const c = await connectWireTestClient(edge.url);
      c.send(goodFrame(77));
      const r = await c.nextReply();
      expect(r.status).toBe('OK');
      expect(r.requestId).toBe(77);
      expect(r.exit).toBe(5);
      expect(r.probabilities).toEqual(wholeProbs); // the split is bit-exact
      expect(r.predictedClasses[0]).toBe(argmaxRows(wholeProbs, 10)[0]);
      expect(r.computeMs).toBeGreaterThan(0);
      expect(r.queueMs).toBeGreaterThanOrEqual(0);

      c.send(encodeRequest(header({ requestId: 78, partition: 0, encoding: 'uint8', dims: [1, 1, 28, 28] }), encodeRawInput(image).bytes));
      const raw = await c.nextReply();
      expect(raw.status).toBe('OK');
      expect(raw.probabilities).toEqual(wholeProbs);
      await c.close();
      expect(edge.stats.repliesOk).toBe(2);
    });
  });

  it('refuses a missing or wrong token at the upgrade with 401 and accepts the right one', async () => {
    await withEdge({ token: 's3cret' }, async (edge) => {
      await expect(connectWireTestClient(edge.url)).rejects.toMatchObject({ statusCode: 401 });
      await expect(connectWireTestClient(edge.url, 's3creT')).rejects.toMatchObject({ statusCode: 401 });
      await expect(connectWireTestClient(edge.url, 's3cret-longer')).rejects.toMatchObject({ statusCode: 401 });
      expect(edge.stats.unauthorized).toBe(3);
      expect(edge.stats.errors.ERR_UNAUTHORIZED).toBe(3);
      expect(edge.stats.connectionsAccepted).toBe(0);
      const c = await connectWireTestClient(edge.url, 's3cret');
      c.send(goodFrame());
      expect((await c.nextReply()).status).toBe('OK');
      await c.close();
    });
  });

  it('survives garbage: every bad frame gets its stable code, is counted, and a good request still works', async () => {
    await withEdge({}, async (edge) => {
      const c = await connectWireTestClient(edge.url);
      const good = goodFrame(9);
      const wrongShape = encodeRequest(header({ requestId: 10, dims: [1, 64, 49] }), new Uint8Array(4 * 64 * 49)); // right size, wrong shape
      const cases: [Uint8Array | string, string][] = [
        ['hello edge', 'ERR_FRAME_MALFORMED'],
        [new Uint8Array([1, 2, 3]), 'ERR_FRAME_TRUNCATED'],
        [Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff), 'ERR_FRAME_BAD_MAGIC'],
        [good.subarray(0, good.byteLength - 100), 'ERR_FRAME_TRUNCATED'],
        [wrongShape, 'ERR_FRAME_WRONG_SHAPE'],
        [encodeRequest(header({ modelId: (pkg.modelId + 1) >>> 0 }), encodeTensor(lrn2, 'f32').bytes), 'ERR_FRAME_UNKNOWN_MODEL'],
        [encodeRequest(header({ exit: 9 }), encodeTensor(lrn2, 'f32').bytes), 'ERR_FRAME_BAD_ACTION'],
        [encodeRequest(header({ exit: 2 }), encodeTensor(lrn2, 'f32').bytes), 'ERR_FRAME_BAD_ACTION'], // exit 2 branches at 6: local
        [encodeRequest(header({ partition: 0, dims: [1, 1, 28, 28] }), new Uint8Array(4 * 784)), 'ERR_FRAME_BAD_ACTION'], // f32 at partition 0
      ];
      const versionBad = good.slice();
      versionBad[4] = 99;
      cases.push([versionBad, 'ERR_FRAME_BAD_VERSION']);
      for (const [frame, code] of cases) {
        c.send(frame);
        const r = await c.nextReply();
        expect(r.status, `${code}`).toBe(code);
        expect(r.message.length).toBeGreaterThan(0);
      }
      c.send(good);
      const r = await c.nextReply();
      expect(r.status).toBe('OK');
      expect(r.requestId).toBe(9);
      const s = edge.stats;
      expect(s.errors.ERR_FRAME_TRUNCATED).toBe(2);
      expect(s.errors.ERR_FRAME_BAD_ACTION).toBe(3);
      expect(s.framesReceived).toBe(cases.length + 1);
      expect(s.repliesOk).toBe(1);
      await c.close();
    });
  });

  it('refuses an oversized frame (ws closes with 1009), counts it, and keeps serving others', async () => {
    const maxFrameBytes = REQUEST_FIXED_BYTES + 16 + lrn2.byteLength;
    await withEdge({ maxFrameBytes }, async (edge) => {
      const big = await connectWireTestClient(edge.url);
      big.send(new Uint8Array(maxFrameBytes + 1));
      expect(await big.closed).toBe(1009);
      // A header that declares more than the limit gets a reply instead.
      const c = await connectWireTestClient(edge.url);
      c.send(encodeRequest(header({ dims: [2, ...pkg.manifest.stages[5]!.outputShape] }), new Uint8Array(2 * lrn2.byteLength)).subarray(0, maxFrameBytes));
      expect((await c.nextReply()).status).toBe('ERR_FRAME_TOO_LARGE');
      c.send(goodFrame());
      expect((await c.nextReply()).status).toBe('OK');
      expect(edge.stats.errors.ERR_FRAME_TOO_LARGE).toBe(2);
      await c.close();
    });
  });

  it('limits requests in flight per connection, not across connections', async () => {
    // edgent-desktop emulation keeps each request in compute for a few ms.
    await withEdge({ maxInFlight: 1, profile: 'edgent-desktop' }, async (edge) => {
      expect(edge.emulated).toBe(true);
      const a = await connectWireTestClient(edge.url);
      const b = await connectWireTestClient(edge.url);
      a.send(goodFrame(1));
      a.send(goodFrame(2));
      b.send(goodFrame(3));
      const [a1, a2, b1] = [await a.nextReply(), await a.nextReply(), await b.nextReply()];
      expect(a1).toMatchObject({ requestId: 2, status: 'ERR_TOO_MANY_IN_FLIGHT' }); // refused at once, before 1 completes
      expect(a2).toMatchObject({ requestId: 1, status: 'OK' });
      expect(b1).toMatchObject({ requestId: 3, status: 'OK' });
      expect(b1.queueMs).toBeGreaterThan(0); // waited behind a's request in the shared queue
      await Promise.all([a.close(), b.close()]);
    });
  });

  it('refuses at once, as busy, a request whose budget cannot cover the queued work', async () => {
    await withEdge({ profile: 'edgent-desktop', workers: 1 }, async (edge) => {
      const c = await connectWireTestClient(edge.url);
      c.send(goodFrame(1));
      c.send(encodeRequest(header({ requestId: 2, deadlineMs: 0.01 }), encodeTensor(lrn2, 'f32').bytes));
      const first = await c.nextReply();
      expect(first).toMatchObject({ requestId: 2, status: 'ERR_EDGE_BUSY' }); // before request 1 completes
      expect((await c.nextReply())).toMatchObject({ requestId: 1, status: 'OK' });
      expect(edge.stats.scheduler.busy).toBe(1);
      await c.close();
    });
  });

  it('drops a cancelled queued request without a reply and keeps serving', async () => {
    await withEdge({ profile: 'edgent-desktop', workers: 1, batchWaitMs: 0, maxBatchSamples: 1 }, async (edge) => {
      const c = await connectWireTestClient(edge.url);
      c.send(goodFrame(1));
      c.send(goodFrame(2));
      c.send(encodeCancel(2));
      c.send(goodFrame(3));
      expect(await c.nextReply()).toMatchObject({ requestId: 1, status: 'OK' });
      expect(await c.nextReply()).toMatchObject({ requestId: 3, status: 'OK' });
      expect(edge.stats.cancels).toBe(1);
      expect(edge.stats.scheduler.cancelledQueued).toBe(1);
      expect(edge.stats.scheduler.samplesComputed).toBe(2);
      await c.close();
    });
  });

  it('bounds the batch dimension: a huge batch is refused at once and others are served', async () => {
    await withEdge({ maxRequestBatch: 8 }, async (edge) => {
      const c = await connectWireTestClient(edge.url);
      const big = new Float32Array(lrn2.length * 9);
      c.send(encodeRequest(header({ requestId: 7, dims: [9, ...pkg.manifest.stages[5]!.outputShape] }), encodeTensor(big, 'f32').bytes));
      expect(await c.nextReply()).toMatchObject({ requestId: 7, status: 'ERR_FRAME_TOO_LARGE' });
      c.send(goodFrame(8));
      expect(await c.nextReply()).toMatchObject({ requestId: 8, status: 'OK' });
      await c.close();
    });
  });

  it('keeps serving other devices while a long batch runs in a worker', async () => {
    await withEdge({ maxRequestBatch: 4096, workers: 2 }, async (edge) => {
      // both connect first: under a loaded machine a handshake alone can outlast the batch
      const [a, b] = await Promise.all([connectWireTestClient(edge.url), connectWireTestClient(edge.url)]);
      const n = 1024;
      a.send(encodeRequest(header({ requestId: 1, partition: 0, encoding: 'uint8', dims: [n, ...pkg.manifest.input.shape] }), new Uint8Array(image.length * n)));
      const aReply = a.nextReply().then((r) => ({ who: 'a', r }));
      b.send(goodFrame(2));
      const first = await Promise.race([aReply, b.nextReply().then((r) => ({ who: 'b', r }))]);
      expect(first.who).toBe('b');
      expect(first.r.status).toBe('OK');
      expect((await aReply).r.predictedClasses.length).toBe(n);
      await Promise.all([a.close(), b.close()]);
    });
  });

  it('micro-batches same (partition, exit) requests into one run with the same answers', async () => {
    await withEdge({ workers: 1, batchWaitMs: 20, maxBatchSamples: 8 }, async (edge) => {
      const c = await connectWireTestClient(edge.url);
      for (let id = 1; id <= 4; id++) c.send(goodFrame(id));
      for (let id = 1; id <= 4; id++) {
        const r = await c.nextReply();
        expect(r.status).toBe('OK');
        expect(argmaxRows(r.probabilities, 10)[0]).toBe(argmaxRows(wholeProbs, 10)[0]);
        for (let k = 0; k < 10; k++) expect(r.probabilities[k]).toBeCloseTo(wholeProbs[k]!, 4);
      }
      expect(edge.stats.scheduler.batches).toBeLessThan(4);
      await c.close();
    });
  });

  it('rejects a bad config with ERR_INVALID_CONFIG', async () => {
    for (const config of [{ port: -1 }, { maxInFlight: 0 }, { profile: 'fast' as never }, { token: '' }, { workers: 0 }, { batchWaitMs: -1 }, { maxRequestBatch: 1.5 }, { bogus: 1 } as never]) {
      const e = await startEdgeServer({ pkg, config }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(CoinferError);
      expect((e as CoinferError).code).toBe('ERR_INVALID_CONFIG');
    }
  });

  it('closes idempotently, closing open connections with 1001', async () => {
    const edge = await startEdgeServer({ pkg, config: { port: 0 } });
    const c = await connectWireTestClient(edge.url);
    await Promise.all([edge.close(), edge.close()]);
    expect(await c.closed).toBe(1001);
  });
});
