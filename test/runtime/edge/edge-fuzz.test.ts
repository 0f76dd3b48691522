import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../common/rng.ts';
import { startEdgeServer, type EdgeServer } from '../../../runtime/edge/edge-server.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import type { ModelPackage } from '../../../runtime/model/model-package.ts';
import { createRandomModelPackage } from '../../../runtime/model/random-package.ts';
import { MALFORMED_KINDS, malformedFrame } from '../../../runtime/wire/malformed-frames.ts';
import { encodeRequest } from '../../../runtime/wire/protocol.ts';
import { connectWireTestClient } from './wire-test-client.ts';

let root: string;
let pkg: ModelPackage;
let edge: EdgeServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-fuzz-'));
  pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 2, sampleCount: 0 });
  edge = await startEdgeServer({ pkg, config: { port: 0, maxInFlight: 64 } });
});

afterAll(async () => {
  await edge?.close();
  await rm(root, { recursive: true, force: true });
});

const valid = (requestId: number): Uint8Array =>
  encodeRequest({ requestId, modelId: pkg.modelId, partition: 0, exit: 5, encoding: 'uint8', dims: [1, 1, 28, 28], deadlineMs: 0, scale: 1, zeroPoint: 0 }, new Uint8Array(784).fill(7));

describe('edge under malformed frames', () => {
  it('answers 2,000 malformed frames over 4 connections and still serves valid requests', async () => {
    const rng = createRng(13);
    const clients = await Promise.all(Array.from({ length: 4 }, () => connectWireTestClient(edge.url)));
    const kinds = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const kind = MALFORMED_KINDS[i % MALFORMED_KINDS.length]!;
      kinds.add(kind);
      const c = clients[i % clients.length]!;
      c.send(malformedFrame(valid(i + 1), rng, kind));
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5)); // let replies drain
    }
    expect(kinds.size).toBe(MALFORMED_KINDS.length);
    await new Promise((r) => setTimeout(r, 200));
    expect(edge.stats.framesReceived).toBeGreaterThanOrEqual(2000);
    expect(edge.stats.connectionsOpen).toBe(4); // no malformed frame closed a connection
    const after = await connectWireTestClient(edge.url);
    after.send(valid(424242));
    const reply = await after.nextReply();
    expect(reply).toMatchObject({ requestId: 424242, status: 'OK' });
    expect(reply.predictedClasses.length).toBe(1);
    await Promise.all([...clients, after].map((c) => c.close()));
  });
});
