/**
 * Fuzzing the edge: `coinfer edge` in a child process gets `--frames` seeded malformed frames
 * (runtime/wire/malformed-frames.ts) over `--connections` connections, bounded by
 * `--max-seconds`; before and after, `--probes` sequential valid requests measure its latency.
 * Prints frames sent, error replies, connections the edge closed, whether it is still alive,
 * its peak memory, and the valid-request p50/p99 before and after.
 *
 * Run: node bin/run-ts.js bench/edge-fuzz.ts [--frames 10000 --connections 8 --max-seconds 60 --json]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { createRng } from '../common/rng.ts';
import { rankQuantile } from '../common/rank-quantile.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../runtime/model/model-package.ts';
import { malformedFrame } from '../runtime/wire/malformed-frames.ts';
import { decodeReply, encodeRequest } from '../runtime/wire/protocol.ts';

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '8' },
    'max-seconds': { type: 'string', default: '60' },
    probes: { type: 'string', default: '200' },
    model: { type: 'string', default: DEFAULT_MODEL_DIR },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const frames = Number(args.frames);
const connections = Number(args.connections);
const maxSeconds = Number(args['max-seconds']);
const probes = Number(args.probes);
if (!Number.isInteger(frames) || frames < 1 || !Number.isInteger(connections) || connections < 1 || !(maxSeconds > 0) || !Number.isInteger(probes) || probes < 1) {
  throw new RangeError(`Expected --frames, --connections, --probes integers >= 1 and --max-seconds > 0, actually ${args.frames}, ${args.connections}, ${args.probes}, ${args['max-seconds']}`);
}
const pkg = await loadModelPackage(args.model);
const pixels = pkg.manifest.input.shape.reduce((a, b) => a * b, 1);
const valid = (requestId: number): Uint8Array =>
  encodeRequest({ requestId, modelId: pkg.modelId, partition: 0, exit: pkg.manifest.exits.length, encoding: 'uint8', dims: [1, ...pkg.manifest.input.shape], deadlineMs: 0, scale: 1, zeroPoint: 0 }, new Uint8Array(pixels).fill(100));

const child = spawn(process.execPath, ['bin/coinfer.js', 'edge', '--port', '0', '--model', args.model, '--json', '--max-in-flight', '1000000'], { stdio: ['ignore', 'pipe', 'inherit'] });
const watchdog = setTimeout(() => { child.kill('SIGKILL'); process.stderr.write('edge-fuzz: time limit passed; edge killed\n'); process.exit(1); }, (maxSeconds + 120) * 1000);
watchdog.unref();
let closedEvent: Record<string, unknown> | null = null;
const url = await new Promise<string>((ok, fail) => {
  child.once('exit', (code) => fail(new Error(`edge exited early (code ${code})`)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o['event'] === 'listening') ok(String(o['url']));
      if (o['event'] === 'closed') closedEvent = o;
    } catch { /* not JSON */ }
  });
});
const open = (): Promise<WebSocket> => new Promise((ok, fail) => {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.once('open', () => ok(ws));
  ws.once('error', fail);
});

/** Sequential valid requests: p50 and p99 round trip, ms. */
async function probe(): Promise<{ p50Ms: number; p99Ms: number; ok: number; statuses: Record<string, number> }> {
  const ws = await open();
  const ms: number[] = [];
  let ok = 0;
  const statuses: Record<string, number> = {};
  for (let i = 0; i < probes; i++) {
    const t0 = performance.now();
    const reply = await new Promise<ReturnType<typeof decodeReply>>((res) => { ws.once('message', (d) => res(decodeReply(new Uint8Array(d as Buffer)))); ws.send(valid(i + 1)); });
    ms.push(performance.now() - t0);
    if (reply.status === 'OK') ok++;
    statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
  }
  ws.close();
  const sorted = Float64Array.from(ms).sort();
  return { p50Ms: Number(rankQuantile(sorted, 0.5).toFixed(2)), p99Ms: Number(rankQuantile(sorted, 0.99).toFixed(2)), ok, statuses };
}

const before = await probe();
const rng = createRng(Number(args.seed));
let sent = 0;
let replies = 0;
let errorReplies = 0;
let closedByEdge = 0;
const endMs = performance.now() + maxSeconds * 1000;
const sockets = await Promise.all(Array.from({ length: connections }, () => open()));
const track = (ws: WebSocket): void => {
  ws.on('message', (d) => { replies++; if (decodeReply(new Uint8Array(d as Buffer)).status !== 'OK') errorReplies++; });
  ws.on('close', () => { closedByEdge++; });
};
sockets.forEach(track);
while (sent < frames && performance.now() < endMs) {
  const k = sent % connections;
  let ws = sockets[k]!;
  if (ws.readyState !== ws.OPEN) {
    ws = await open(); // the edge may close a connection (a ws-level violation): reconnect and go on
    track(ws);
    sockets[k] = ws;
  }
  ws.send(malformedFrame(valid(sent + 1), rng));
  sent++;
  if (sent % 500 === 0) await new Promise((r) => setTimeout(r, 1)); // let replies flow
}
const fuzzSeconds = (maxSeconds * 1000 - (endMs - performance.now())) / 1000;
// Some bit flips only touch the payload and make valid requests: let the edge finish them
// (replies stop coming for a second) before measuring its latency again.
for (let last = -1; last !== replies && performance.now() < endMs + 60_000;) {
  last = replies;
  await new Promise((r) => setTimeout(r, 1000));
}
for (const ws of sockets) ws.removeAllListeners('close');
for (const ws of sockets) ws.close();
const after = await probe();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
clearTimeout(watchdog);
const closed = closedEvent as { maxRssMB?: number } | null;
const result = {
  framesSent: sent, connections, fuzzSeconds: Number(fuzzSeconds.toFixed(1)), replies, errorReplies, connectionsClosedByEdge: closedByEdge,
  edgeAlive: after.ok === probes, edgeMaxRssMB: closed?.maxRssMB !== undefined ? Math.round(closed.maxRssMB) : null,
  before, after,
};
if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`edge fuzz: ${sent} malformed frames over ${connections} connections in ${result.fuzzSeconds} s; ${replies} replies (${errorReplies} errors), ${closedByEdge} connections closed by the edge; valid requests before p50 ${before.p50Ms} / p99 ${before.p99Ms} ms, after p50 ${after.p50Ms} / p99 ${after.p99Ms} ms (${after.ok}/${probes} OK ${JSON.stringify(after.statuses)}); edge peak RSS ${result.edgeMaxRssMB} MB\n`);
