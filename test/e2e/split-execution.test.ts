/**
 * End to end over real processes: `coinfer edge` in a child process on a temp random package,
 * the device over loopback (in this process, and as `coinfer run --json` in another child).
 * Offloaded f32 predictions must equal the whole model's local predictions.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxRows } from '../../runtime/device/argmax-rows.ts';
import { DeviceRuntime } from '../../runtime/device/device-runtime.ts';
import type { RequestRecord } from '../../runtime/device/request-record.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { preprocess } from '../../runtime/model/preprocess.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';
import { loadSamples, type SampleSet } from '../../runtime/model/samples.ts';
import { SessionCache } from '../../runtime/model/session-cache.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(REPO, 'bin', 'coinfer.js');
const SAMPLES = 6;

let root: string;
let pkg: ModelPackage;
let samples: SampleSet;
let wholePredictions: number[]; // exit 5, by sample
let edge: ChildProcessWithoutNullStreams;
let edgeLines: AsyncIterator<string>;
let edgeUrl: string;

function lines(child: ChildProcessWithoutNullStreams): AsyncIterator<string> {
  return createInterface({ input: child.stdout })[Symbol.asyncIterator]();
}

async function nextJson(it: AsyncIterator<string>): Promise<Record<string, unknown>> {
  const r = await it.next();
  if (r.done === true) throw new Error('the edge process ended before printing its JSON line');
  return JSON.parse(r.value) as Record<string, unknown>;
}

/** Runs the CLI to completion; resolves with stdout, rejects on a non-zero exit. */
function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`coinfer ${args[0]} exited ${code}: ${err}`))));
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-e2e-'));
  pkg = await createRandomModelPackage({ dir: join(root, 'pkg'), spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 99, sampleCount: SAMPLES });
  samples = await loadSamples(pkg);
  const cache = new SessionCache(pkg.onnx);
  const { input } = pkg.manifest;
  const probs = await cache.run({ from: input.name, to: pkg.manifest.exits[4]!.output, input: preprocess(pkg.manifest, samples.images), batch: SAMPLES, inputShape: input.shape });
  wholePredictions = Array.from(argmaxRows(probs, 10));
  await cache.close();

  edge = spawn(process.execPath, [CLI, 'edge', '--port', '0', '--json', '--model', pkg.dir, '--token', 'e2e-token'], { cwd: REPO });
  edge.stderr.on('data', (d: Buffer) => process.stderr.write(`[edge] ${d.toString()}`));
  edgeLines = lines(edge);
  const listening = await nextJson(edgeLines);
  expect(listening).toMatchObject({ event: 'listening', host: '127.0.0.1', modelId: pkg.modelId, auth: true, emulated: false });
  edgeUrl = `ws://127.0.0.1:${listening['port'] as number}`;
});

afterAll(async () => {
  if (edge !== undefined && edge.exitCode === null) {
    edge.kill('SIGKILL');
    await new Promise((r) => edge.once('close', r));
  }
  await rm(root, { recursive: true, force: true });
});

describe('split execution across processes', () => {
  it('a DeviceRuntime offloads every partition of exit 5 and gets the whole model\'s predictions', async () => {
    const device = await DeviceRuntime.create({ pkg, config: { edgeUrl, token: 'e2e-token', zeroMask: true, calibrationRuns: 1 } });
    try {
      expect(device.edgeConnected).toBe(true);
      for (let p = 0; p < 12; p++) {
        for (let i = 0; i < SAMPLES; i++) {
          const r = await device.infer({ action: { exit: 5, partition: p, encoding: 'f32' }, image: samples.images.subarray(i * 784, (i + 1) * 784), deadlineMs: 10_000 });
          expect(r.fallback, `partition ${p}, sample ${i}: ${r.fallbackReason}`).toBe(false);
          expect(r.predictedClass).toBe(wholePredictions[i]);
        }
      }
    } finally {
      await device.close();
    }
  });

  it('`coinfer run --json` prints one record per request with the whole model\'s predictions', async () => {
    const trace = join(root, 'constant-200.csv');
    await writeFile(trace, 't_s,mbps\n0,200\n');
    const out = await runCli(['run', '--edge', edgeUrl, '--token', 'e2e-token', '--exit', '5', '--partition', '6', '--encoding', 'f32', '--requests', String(SAMPLES), '--deadline-ms', '5000', '--model', pkg.dir, '--trace', trace, '--delay-ms', '1', '--json']);
    const records = out.trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
    expect(records).toHaveLength(SAMPLES);
    records.forEach((r, i) => {
      expect(r).toMatchObject({ exit: 5, partition: 6, encoding: 'f32', fallback: false, hitDeadline: true, label: samples.labels[i] });
      expect(r.predictedClass).toBe(wholePredictions[i]);
      for (const k of ['deviceMs', 'uplinkMs', 'edgeMs', 'totalMs', 'bytes'] as const) expect(r[k]).toBeGreaterThan(0);
    });
  });

  it('the edge closes gracefully on SIGTERM and reports its counters', async () => {
    const closed = new Promise<number | null>((r) => edge.once('close', (code) => r(code)));
    edge.kill('SIGTERM');
    const event = await nextJson(edgeLines);
    expect(event).toMatchObject({ event: 'closed', signal: 'SIGTERM' });
    expect((event['stats'] as { repliesOk: number }).repliesOk).toBe(12 * SAMPLES + SAMPLES);
    expect(await closed).toBe(0);
  });
});
