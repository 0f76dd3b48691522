/**
 * Edge throughput at saturation: `coinfer edge` in a child process, `--connections` clients on
 * loopback each keeping `--depth` requests outstanding (raw images at partition 0, or random
 * activations at another partition, no deadline) for `--seconds`; prints OK replies per second
 * and, to show whether the event loop stays free, the time a fresh connection takes to open
 * while the edge is saturated. Extra edge flags go through `--edge-args` (e.g. the batch wait).
 *
 * Run: node bin/run-ts.js bench/edge-throughput.ts [--seconds 5 --connections 8 --depth 4
 *      --partition 0 --exit 5 --edge-args="--batch-wait-ms 2" --json]
 * Old edge: git archive <commit> | tar -x -C .old-edge; then --edge-dir .old-edge --wire-version 1
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { planExecution } from '../runtime/model/execution-plan.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../runtime/model/model-package.ts';
import { decodeReply, encodeRequest } from '../runtime/wire/protocol.ts';
import { quantileSorted } from '../runtime/profile/sample-stats.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    depth: { type: 'string', default: '4' },
    partition: { type: 'string', default: '0' },
    exit: { type: 'string', default: '5' },
    model: { type: 'string', default: DEFAULT_MODEL_DIR },
    'edge-args': { type: 'string', default: '' },
    // The edge of an older checkout (its repository root), to compare; with its wire version.
    'edge-dir': { type: 'string', default: '.' },
    'wire-version': { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const depth = Number(args.depth);
const partition = Number(args.partition);
const exit = Number(args.exit);
if (!(seconds > 0 && seconds <= 600) || !Number.isInteger(connections) || connections < 1 || !Number.isInteger(depth) || depth < 1) {
  throw new RangeError(`Expected --seconds in (0, 600], --connections and --depth integers >= 1, actually ${args.seconds}, ${args.connections}, ${args.depth}`);
}

const pkg = await loadModelPackage(args.model);
const plan = planExecution(pkg.manifest, { exit, partition, encoding: partition === 0 ? 'uint8' : 'f32' });
const shape = plan.crossing!.shape;
const elements = shape.reduce((a, b) => a * b, 1);
const payload = partition === 0 ? new Uint8Array(elements).fill(128) : new Uint8Array(new Float32Array(elements).fill(0.5).buffer);
const wireVersion = args['wire-version'] === '' ? null : Number(args['wire-version']);
const frameOf = (requestId: number): Uint8Array => {
  const f = encodeRequest({ requestId, modelId: pkg.modelId, partition, exit, encoding: partition === 0 ? 'uint8' : 'f32', dims: [1, ...shape], deadlineMs: 0, scale: 1, zeroPoint: 0 }, payload);
  if (wireVersion !== null) f[4] = wireVersion; // version 1 requests had the same layout
  return f;
};

const edgeArgs = args['edge-args'].split(' ').filter((s) => s.length > 0);
const child = spawn(process.execPath, [`${args['edge-dir']}/bin/coinfer.js`, 'edge', '--port', '0', '--model', args.model, '--json', ...edgeArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
// Bounded in time whatever happens: a stuck edge must not outlive the benchmark.
const watchdog = setTimeout(() => {
  child.kill('SIGKILL');
  process.stderr.write('edge-throughput: gave up after the time limit; the edge was killed\n');
  process.exit(1);
}, (seconds + 60) * 1000);
watchdog.unref();
const url = await new Promise<string>((ok, fail) => {
  child.once('exit', (code) => fail(new Error(`edge exited early (code ${code})`)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const o = JSON.parse(line) as { url?: string };
      if (o.url !== undefined) ok(o.url);
    } catch { /* not JSON */ }
  });
});

const open = (): Promise<{ ws: WebSocket; ms: number }> => new Promise((ok, fail) => {
  const t0 = performance.now();
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.once('open', () => ok({ ws, ms: performance.now() - t0 }));
  ws.once('error', fail);
});

let ok = 0;
let errors = 0;
let running = true;
const latencies: number[] = [];
const clients = await Promise.all(Array.from({ length: connections }, () => open()));
const warmupEnd = performance.now() + 1000;
let measuredFrom = 0;
for (const [ci, { ws }] of clients.entries()) {
  const sentAt = new Map<number, number>();
  let next = ci * 1_000_000 + 1;
  const send = (): void => {
    const id = next++;
    sentAt.set(id, performance.now());
    ws.send(frameOf(id));
  };
  ws.on('message', (data) => {
    const r = decodeReply(new Uint8Array(data as Buffer));
    const now = performance.now();
    if (now >= warmupEnd && running) {
      if (r.status === 'OK') {
        ok++;
        latencies.push(now - sentAt.get(r.requestId)!);
      } else errors++;
    }
    sentAt.delete(r.requestId);
    if (running) send();
  });
  for (let k = 0; k < depth; k++) send();
}
await new Promise((r) => setTimeout(r, warmupEnd - performance.now()));
measuredFrom = performance.now();
const connectMs: number[] = [];
const probeEnd = measuredFrom + seconds * 1000;
while (performance.now() < probeEnd) {
  const { ws, ms } = await open();
  connectMs.push(ms);
  ws.close();
  await new Promise((r) => setTimeout(r, 200));
}
running = false;
const elapsedS = (performance.now() - measuredFrom) / 1000;
for (const { ws } of clients) ws.terminate();

const q = (xs: number[], p: number): number => (xs.length === 0 ? NaN : quantileSorted(Float64Array.from(xs).sort(), p));
const result = {
  partition, exit, connections, depth, edgeArgs: edgeArgs.join(' '),
  requestsPerSecond: Math.round(ok / elapsedS), errors,
  p50Ms: Number(q(latencies, 0.5).toFixed(2)), p99Ms: Number(q(latencies, 0.99).toFixed(2)),
  connectP50Ms: Number(q(connectMs, 0.5).toFixed(2)), connectMaxMs: Number(Math.max(...connectMs).toFixed(2)),
};
// A closing edge may take a while to drain (or, the old edge, hang): SIGKILL after 5 s.
child.kill('SIGTERM');
const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
await new Promise((r) => child.once('exit', r));
clearTimeout(killer);
clearTimeout(watchdog);
if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`edge throughput p${partition}/e${exit}, ${connections}×${depth} outstanding [${result.edgeArgs}]: ${result.requestsPerSecond} req/s OK (${errors} errors), p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; connect under load p50 ${result.connectP50Ms} ms, max ${result.connectMaxMs} ms\n`);
