/**
 * `coinfer run`: the device side. Runs N requests with one fixed action on the model
 * package's sample images, through a shaped uplink to an edge (`coinfer edge`), and prints one
 * row per request and a summary, or JSON lines (one RequestRecord per request) with --json.
 * Composition only: the work lives in runtime/device/device-runtime.ts.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { CoinferError } from '../../common/errors.ts';
import { ENCODINGS, type Encoding } from '../../runtime/action.ts';
import { DEVICE_COMPUTE_PROFILES } from '../../runtime/device/compute-profile.ts';
import { DeviceRuntime } from '../../runtime/device/device-runtime.ts';
import type { RequestRecord } from '../../runtime/device/request-record.ts';
import { LinkShaper } from '../../runtime/link/link-shaper.ts';
import { MAX_TRACE_S, loadTrace } from '../../runtime/link/trace.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { loadSamples } from '../../runtime/model/samples.ts';
import type { ModelManifest } from '../../runtime/model/manifest.ts';
import { MAX_TIMER_MS, countArg, intArg, rangeArg, resolveToken, timerMsArg, tokenArg } from '../option-parsers.ts';
import { requireEdge } from '../edge-check.ts';
import { rankQuantile } from '../../common/rank-quantile.ts';

/**
 * Checks the --exit/--partition pair against the model before anything starts: a partition
 * past the exit's branch would silently run at the branch, and an offloading action without an
 * edge would silently fall back, unless local-only serving was asked for.
 * @throws CoinferError ERR_INVALID_ARGUMENT
 */
export function checkRunAction(manifest: ModelManifest, o: { readonly exit: number; readonly partition: number; readonly edge: boolean; readonly allowLocalOnly: boolean }): void {
  const exits = manifest.exits.length;
  const ex = manifest.exits.find((e) => e.index === o.exit);
  if (ex === undefined) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --exit in [1, ${exits}] for model ${manifest.name}, actually ${o.exit}`);
  if (o.partition > ex.branchStage) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --partition in [0, ${ex.branchStage}] for --exit ${o.exit} (its branch follows stage ${ex.branchStage}; --partition ${ex.branchStage} runs it wholly on the device), actually ${o.partition}`);
  }
  if (o.partition < ex.branchStage && !o.edge && !o.allowLocalOnly) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --edge for an action that offloads (--partition ${o.partition} < ${ex.branchStage}), actually none; pass --edge ws://host:port, --partition ${ex.branchStage} to run on the device, or --allow-local-only to let it fall back locally`);
  }
}


const f1 = (x: number): string => x.toFixed(1).padStart(7);

function printRow(r: RequestRecord, i: number): void {
  const exit = r.answeredExit === r.exit ? `e${r.exit}` : `e${r.exit}→e${r.answeredExit}`;
  const cls = `${r.predictedClass}${r.label === null ? '' : r.correct ? ' ✓' : ` ✗${r.label}`}`;
  const flags = `${r.hitDeadline ? 'hit ' : 'MISS'}${r.fallback ? ` fallback:${r.fallbackReason}` : ''}`;
  process.stdout.write(`${String(i).padStart(5)}  ${exit.padEnd(7)} p${String(r.partition).padEnd(3)} ${r.encoding.padEnd(5)} ${String(r.bytes).padStart(7)} ${f1(r.deviceMs)} ${f1(r.uplinkMs)} ${f1(r.edgeMs)} ${f1(r.totalMs)}  ${cls.padEnd(6)} ${flags}\n`);
}

function printSummary(records: readonly RequestRecord[], emulated: boolean): void {
  const n = records.length;
  const totals = records.map((r) => r.totalMs).sort((a, b) => a - b);
  const mean = (f: (r: RequestRecord) => number): number => records.reduce((s, r) => s + f(r), 0) / n;
  const hits = records.filter((r) => r.hitDeadline).length;
  const fallbacks = records.filter((r) => r.fallback).length;
  const labelled = records.filter((r) => r.correct !== null);
  const correct = labelled.filter((r) => r.correct).length;
  process.stdout.write(`\n${n} requests: deadline hit ${hits}/${n} (${((100 * hits) / n).toFixed(1)} %), fallbacks ${fallbacks}`);
  process.stdout.write(labelled.length > 0 ? `, accuracy ${((100 * correct) / labelled.length).toFixed(1)} %\n` : '\n');
  process.stdout.write(`total ms: median ${rankQuantile(totals, 0.5).toFixed(2)}, p95 ${rankQuantile(totals, 0.95).toFixed(2)}, p99 ${rankQuantile(totals, 0.99).toFixed(2)}\n`);
  process.stdout.write(`mean ms: device ${mean((r) => r.deviceMs).toFixed(2)}${emulated ? ' (emulated)' : ''}, uplink ${mean((r) => r.uplinkMs).toFixed(2)}, edge ${mean((r) => r.edgeMs).toFixed(2)}, bytes ${mean((r) => r.bytes).toFixed(0)}\n`);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run requests with one (exit, partition, encoding) action from this device through a shaped link to an edge')
    .option('--edge <url>', 'the edge, ws://host:port (an unreachable edge or a refused token is an error, exit 3)')
    .option('--allow-local-only', 'serve without an edge: offloaded requests fall back locally when --edge is missing or unreachable')
    .requiredOption('--exit <n>', '1-based exit', intArg('--exit', 1))
    .requiredOption('--partition <k>', "backbone stages run on the device (0 = send the raw image; at most the exit's branch stage)", intArg('--partition', 0))
    .addOption(new Option('--encoding <enc>', 'wire encoding of the crossing tensor (uint8 is implied at partition 0 unless jpeg90/jpeg50, which are partition 0 only)').choices(ENCODINGS.filter((e) => e !== 'uint8') as Exclude<Encoding, 'uint8'>[]).default('f32' as const))
    .option('--trace <file>', 'bandwidth trace CSV (t_s,mbps) shaping the uplink (omit: unshaped)')
    .option('--offset-s <s>', 'start offset in the trace, s', rangeArg('--offset-s', 0, MAX_TRACE_S), 0)
    .option('--delay-ms <ms>', 'one-way propagation delay added to each transfer, ms', rangeArg('--delay-ms', 0, MAX_TIMER_MS), 0)
    .option('--time-scale <x>', 'trace seconds per wall second', rangeArg('--time-scale', 1e-3, 1e3), 1)
    .requiredOption('--requests <n>', 'number of requests (sample images are reused round-robin)', countArg('--requests'))
    .requiredOption('--deadline-ms <ms>', 'deadline of each request, ms (< 2^31)', timerMsArg('--deadline-ms'))
    .option('--model <dir>', 'model package directory', DEFAULT_MODEL_DIR)
    .addOption(new Option('--device-profile <name>', 'device compute profile (edgent-rpi3b is emulated)').choices(DEVICE_COMPUTE_PROFILES).default('native' as const))
    .option('--device-load <cores>', 'background CPU load on the device, busy cores', rangeArg('--device-load', 0, 8), 0)
    .option('--token <secret>', 'bearer token for the edge (default: $COINFER_TOKEN; never empty)', tokenArg('--token'))
    .option('--zero-mask', 'send all-zero WebSocket masks (loopback or trusted LAN only)')
    .option('--json', 'print one JSON object per request (JSON lines)')
    .action(async (opts) => {
      if (opts.trace === undefined && (opts.delayMs > 0 || opts.offsetS > 0)) {
        throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --trace with --delay-ms or --offset-s: an unshaped link adds no delay; pass a trace (a constant one is a two-line CSV: "t_s,mbps\\n0,100")');
      }
      const token = resolveToken(opts.token, process.env['COINFER_TOKEN']);
      const allowLocalOnly = opts.allowLocalOnly === true;
      const pkg = await loadModelPackage(opts.model);
      checkRunAction(pkg.manifest, { exit: opts.exit, partition: opts.partition, edge: opts.edge !== undefined, allowLocalOnly });
      const samples = await loadSamples(pkg);
      const trace = opts.trace === undefined ? null : await loadTrace(opts.trace);
      const shaper = new LinkShaper({ trace, offsetS: opts.offsetS, propagationDelayMs: opts.delayMs, timeScale: opts.timeScale });
      const device = await DeviceRuntime.create({
        pkg, shaper,
        config: { edgeUrl: opts.edge ?? null, token, profile: opts.deviceProfile, zeroMask: opts.zeroMask === true },
      });
      const records: RequestRecord[] = [];
      try {
        if (opts.edge !== undefined) {
          requireEdge({ command: 'run', status: { url: opts.edge, connected: device.edgeConnected, why: device.edgeError }, allowLocalOnly, warn: (l) => process.stderr.write(`${l}\n`) });
        }
        await device.setDeviceLoad(opts.deviceLoad);
        const action = { exit: opts.exit, partition: opts.partition, encoding: opts.encoding };
        const pixels = samples.shape.reduce((a, b) => a * b, 1);
        if (!opts.json) {
          const link = trace === null ? 'unshaped link' : `trace ${trace.source}/${trace.name} from ${opts.offsetS} s, +${opts.delayMs} ms`;
          process.stdout.write(`coinfer run: ${opts.requests} requests, deadline ${opts.deadlineMs} ms, ${link}, device ${opts.deviceProfile}${device.emulated ? ' (emulated)' : ''}\n`);
          process.stdout.write('  req  exit    part enc     bytes  device  uplink    edge   total  class  outcome\n');
        }
        for (let i = 0; i < opts.requests; i++) {
          const s = i % samples.count;
          const r = await device.infer({ action, image: samples.images.subarray(s * pixels, (s + 1) * pixels), deadlineMs: opts.deadlineMs, label: samples.labels[s]! });
          records.push(r);
          if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
          else printRow(r, i);
        }
      } finally {
        await device.close();
      }
      if (!opts.json) printSummary(records, device.emulated);
    });
}
