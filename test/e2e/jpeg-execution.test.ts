/**
 * Device → edge over loopback with the JPEG input actions on the shipped fmnist-alexnet package:
 * the edge's answer to a JPEG-compressed image must match the raw-input answer for most of the
 * shipped sample images, with fewer bytes on the wire.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRuntime } from '../../runtime/device/device-runtime.ts';
import { startEdgeServer, type EdgeServer } from '../../runtime/edge/edge-server.ts';
import { loadModelPackage, type ModelPackage } from '../../runtime/model/model-package.ts';
import { loadSamples, type SampleSet } from '../../runtime/model/samples.ts';

const MODEL = resolve(import.meta.dirname, '../../models/fmnist-alexnet');
const IMAGES = 40;

let pkg: ModelPackage;
let samples: SampleSet;
let edge: EdgeServer;

beforeAll(async () => {
  pkg = await loadModelPackage(MODEL);
  samples = await loadSamples(pkg);
  edge = await startEdgeServer({ pkg, config: { port: 0 } });
});

afterAll(async () => {
  await edge?.close();
});

describe('JPEG input end to end', () => {
  it('jpeg90 and jpeg50 requests answer like the raw input for most sample images, in fewer bytes on average', async () => {
    const device = await DeviceRuntime.create({ pkg, config: { edgeUrl: edge.url, zeroMask: true, calibrationRuns: 1 } });
    try {
      const n = Math.min(IMAGES, samples.labels.length);
      const per = pkg.manifest.input.shape.reduce((a, b) => a * b, 1);
      for (const encoding of ['jpeg90', 'jpeg50'] as const) {
        let same = 0, rawBytes = 0, jpegBytes = 0;
        for (let i = 0; i < n; i++) {
          const image = samples.images.subarray(i * per, (i + 1) * per);
          const raw = await device.infer({ action: { exit: 5, partition: 0, encoding: 'uint8' }, image, deadlineMs: 10_000 });
          const jpeg = await device.infer({ action: { exit: 5, partition: 0, encoding }, image, deadlineMs: 10_000 });
          expect(jpeg.fallback, `${encoding}, sample ${i}: ${jpeg.fallbackReason}`).toBe(false);
          expect(jpeg.encoding).toBe(encoding);
          rawBytes += raw.bytes;
          jpegBytes += jpeg.bytes; // a busy 28×28 image can exceed its raw size; the mean does not
          expect(jpeg.deviceMs).toBeGreaterThan(0); // the encode is device compute
          if (jpeg.predictedClass === raw.predictedClass) same++;
        }
        expect(same / n, encoding).toBeGreaterThanOrEqual(0.85);
        expect(jpegBytes).toBeLessThan(rawBytes);
      }
    } finally {
      await device.close();
    }
  });
});
