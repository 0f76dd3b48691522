import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { startEdgeServer, type EdgeServer } from '../../../runtime/edge/edge-server.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import { loadModelPackage, type ModelPackage } from '../../../runtime/model/model-package.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { loadSamples } from '../../../runtime/model/samples.ts';
import { decodeJpegInput, encodeJpegInput } from '../../../runtime/wire/jpeg-input.ts';
import { decodeRequest, encodeRequest, maxJpegBytes } from '../../../runtime/wire/protocol.ts';
import { connectWireTestClient } from '../edge/wire-test-client.ts';

const MODEL = resolve(import.meta.dirname, '../../../models/fmnist-alexnet');
const SHAPE = [1, 28, 28] as const;

let image: Uint8Array;
beforeAll(async () => {
  const pkg = await loadModelPackage(MODEL);
  image = (await loadSamples(pkg)).images.subarray(0, 784);
});

const header = (encoding: 'jpeg90' | 'jpeg50', dims = [1, ...SHAPE]) => ({ requestId: 7, modelId: 1, partition: 0, exit: 5, encoding, dims, deadlineMs: 0, scale: 1, zeroPoint: 0 });
const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

describe('JPEG input on the wire', () => {
  it('a real sample round-trips through sharp and a request frame: fewer bytes, close pixels', async () => {
    for (const [enc, tol] of [['jpeg90', 4], ['jpeg50', 10]] as const) {
      const jpeg = await encodeJpegInput(image, SHAPE, enc);
      expect(jpeg.length).toBeLessThan(image.length);
      const frame = decodeRequest(encodeRequest(header(enc), jpeg), 1 << 20);
      expect(frame).toMatchObject({ encoding: enc, partition: 0, dims: [1, 1, 28, 28] });
      expect(Array.from(frame.payload)).toEqual(Array.from(jpeg));
      const pixels = await decodeJpegInput(frame.payload, SHAPE);
      expect(pixels.length).toBe(784);
      const d = meanAbsDiff(pixels, image);
      expect(d).toBeGreaterThan(0); // lossy
      expect(d).toBeLessThan(tol);
    }
  });

  it('lower quality gives fewer bytes', async () => {
    const q90 = await encodeJpegInput(image, SHAPE, 'jpeg90');
    const q50 = await encodeJpegInput(image, SHAPE, 'jpeg50');
    expect(q50.length).toBeLessThan(q90.length);
  });

  it('refuses malformed JPEG payloads with ERR_FRAME_MALFORMED', async () => {
    const good = await encodeJpegInput(image, SHAPE, 'jpeg90');
    const cases: Uint8Array[] = [
      new Uint8Array(100).fill(7), // no SOI marker
      good.subarray(0, good.length >> 1), // truncated stream
      Uint8Array.from([0xff, 0xd8, 0xff, ...new Uint8Array(200).fill(0x55)]), // SOI then garbage
    ];
    for (const bytes of cases) await expect(decodeJpegInput(bytes, SHAPE)).rejects.toMatchObject({ code: 'ERR_FRAME_MALFORMED' });
    // a valid JPEG of the wrong size
    const big = await encodeJpegInput(new Uint8Array(32 * 32).fill(128), [1, 32, 32], 'jpeg90');
    await expect(decodeJpegInput(big, SHAPE)).rejects.toMatchObject({ code: 'ERR_FRAME_MALFORMED', message: expect.stringContaining('32×32') });
  });

  it('the frame layer bounds JPEG payloads and wants one image', () => {
    expect(() => decodeRequest(encodeRequest(header('jpeg90', [2, ...SHAPE]), new Uint8Array(10)), 1 << 20)).toThrow(CoinferError);
    expect(() => encodeRequest(header('jpeg90'), new Uint8Array(maxJpegBytes([1, ...SHAPE]) + 1))).toThrow(/at most/);
    const ok = encodeRequest(header('jpeg90'), new Uint8Array(10));
    expect(() => decodeRequest(ok.subarray(0, ok.length - 10), 1 << 20)).toThrow(/at least 1 byte/);
  });
});

describe('the edge with JPEG requests', () => {
  let root: string;
  let pkg: ModelPackage;
  let edge: EdgeServer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'coinfer-jpeg-'));
    pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 3, sampleCount: 0 });
    edge = await startEdgeServer({ pkg, config: { port: 0 } });
  });
  afterAll(async () => {
    await edge?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers a malformed JPEG with an ERR_FRAME_MALFORMED reply and a good one with OK, on one connection', async () => {
    const c = await connectWireTestClient(edge.url);
    const req = (requestId: number, payload: Uint8Array) => encodeRequest({ ...header('jpeg50'), requestId, modelId: pkg.modelId }, payload);
    c.send(req(1, Uint8Array.from([0xff, 0xd8, 0xff, 1, 2, 3, 4])));
    const bad = await c.nextReply();
    expect(bad).toMatchObject({ requestId: 1, status: 'ERR_FRAME_MALFORMED' });
    expect(bad.message).toMatch(/JPEG/);
    c.send(req(2, await encodeJpegInput(image, SHAPE, 'jpeg50')));
    expect(await c.nextReply()).toMatchObject({ requestId: 2, status: 'OK' });
    expect(edge.stats.connectionsOpen).toBe(1);
    await c.close();
  });
});
