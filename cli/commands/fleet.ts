/**
 * `coinfer fleet`: one edge and N device runtimes on this machine, for a fixed time, and the
 * figures that say whether the edge serves many devices without wasted work or broken
 * deadlines. The edge runs as `coinfer edge` in a child process (so its CPU and memory are its
 * own); the devices run in `--hosts` child processes, each hosting a share of the
 * DeviceRuntimes (each with its own trace offset and arrival stream) under a fixed policy: one
 * action for every request. Prints a table, or with --json one JSON line of figures last.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, Option } from '@commander-js/extra-typings';
import { CoinferError } from '../../common/errors.ts';
import { ENCODINGS } from '../../runtime/action.ts';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { summarizeFleet, type FleetEdgeFigures, type FleetHostConfig, type FleetOutcome } from '../fleet/fleet-summary.ts';
import { intArg, numberArg } from '../option-parsers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Resolves with each JSON line a child prints, by its `event` field. */
function jsonLines(child: ChildProcess, onEvent: (o: Record<string, unknown>) => void): void {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      onEvent(JSON.parse(line) as Record<string, unknown>);
    } catch { /* not a JSON line */ }
  });
}

function waitFor<T>(child: ChildProcess, what: string, pick: (o: Record<string, unknown>) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CoinferError('ERR_EDGE_UNAVAILABLE', `Expected ${what} within ${timeoutMs / 1000} s, actually nothing; see the child's stderr above`)), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new CoinferError('ERR_EDGE_UNAVAILABLE', `Expected ${what}, actually the process exited (code ${code}); see its stderr above`)); });
    jsonLines(child, (o) => {
      const v = pick(o);
      if (v !== undefined) { clearTimeout(timer); resolve(v); }
    });
  });
}

/** CPU seconds (user + system) of a process so far, from /proc; null where there is no /proc. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}

export function registerFleet(program: Command): void {
  program
    .command('fleet')
    .description('Run one edge and N devices on this machine for a while and print throughput, latency, deadline and waste figures')
    .requiredOption('--devices <n>', 'device runtimes', intArg('--devices', 1))
    .requiredOption('--seconds <s>', 'measured run time', numberArg('--seconds', (n) => n > 0 && n <= 3600, 'seconds in (0, 3600]'))
    .option('--deadline-ms <ms>', 'deadline of every request', numberArg('--deadline-ms', (n) => n > 0 && n <= 60_000, 'ms in (0, 60000]'), 100)
    .option('--rate <r>', 'mean Poisson arrivals per device, requests/s', numberArg('--rate', (n) => n > 0 && n <= 10_000, 'a rate in (0, 10000]'), 10)
    .option('--exit <n>', 'the policy: every request asks for this exit', intArg('--exit', 1), 5)
    .option('--partition <n>', 'the policy: the device runs this many stages first (0 = raw input to the edge)', intArg('--partition', 0), 0)
    .addOption(new Option('--encoding <e>', 'crossing tensor encoding (uint8 at partition 0)').choices(ENCODINGS))
    .option('--hosts <n>', 'device-host processes the devices are spread over (default min(devices, 4))', intArg('--hosts', 1))
    .option('--trace <csv>', 'uplink bandwidth trace for every device (each from its own offset); default plain loopback')
    .option('--trace-offset-s <s>', 'device i starts the trace at i × this', numberArg('--trace-offset-s', (n) => n >= 0 && n <= 1e6, 'seconds >= 0'), 7)
    .option('--model <dir>', 'model package directory', DEFAULT_MODEL_DIR)
    .option('--edge-args <args>', 'extra `coinfer edge` flags, space separated (e.g. "--workers 1 --batch-wait-ms 0")', '')
    .option('--seed <n>', 'seeds every device\'s arrivals', intArg('--seed', 0), 1)
    .option('--json', 'print one JSON line of figures (last line)')
    .action(async (opts) => {
      const encoding = opts.encoding ?? (opts.partition === 0 ? 'uint8' : 'f32');
      const hosts = Math.min(opts.devices, opts.hosts ?? 4);
      const log = (s: string): void => void process.stderr.write(`${s}\n`);
      // The fleet's devices send no token: the edge must not pick one up from the environment.
      const edgeEnv = { ...process.env };
      delete edgeEnv['COINFER_TOKEN'];
      const edge = spawn(process.execPath, [join(REPO, 'bin', 'coinfer.js'), 'edge', '--port', '0', '--model', opts.model, '--json', ...opts.edgeArgs.split(' ').filter((s) => s !== '')], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], env: edgeEnv });
      const children: ChildProcess[] = [edge];
      const killAll = (): void => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); };
      process.once('exit', killAll);
      try {
        const edgeClosed = waitFor(edge, 'the edge\'s closing counters', (o) => (o['event'] === 'closed' ? o : undefined), (opts.seconds + 600) * 1000);
        edgeClosed.catch(() => undefined);
        const url = await waitFor(edge, 'the edge\'s address', (o) => (o['event'] === 'listening' ? String(o['url']) : undefined), 60_000);
        log(`fleet: edge at ${url}; starting ${opts.devices} devices in ${hosts} host processes`);
        const hostDone: Promise<FleetOutcome[]>[] = [];
        const ready: Promise<void>[] = [];
        for (let h = 0; h < hosts; h++) {
          const deviceIndices = Array.from({ length: opts.devices }, (_, i) => i).filter((i) => i % hosts === h);
          const cfg: FleetHostConfig = {
            edgeUrl: url, token: null, modelDir: opts.model, deviceIndices, seconds: opts.seconds, deadlineMs: opts.deadlineMs, ratePerDevice: opts.rate,
            action: { exit: opts.exit, partition: opts.partition, encoding }, tracePath: opts.trace ?? null, traceOffsetStepS: opts.traceOffsetS, seed: opts.seed,
          };
          const child = spawn(process.execPath, [join(REPO, 'bin', 'run-ts.js'), join(REPO, 'cli', 'fleet', 'fleet-host.ts'), JSON.stringify(cfg)], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
          children.push(child);
          ready.push(waitFor(child, `device host ${h} ready`, (o) => (o['event'] === 'ready' ? true : undefined), 300_000).then(() => undefined));
          hostDone.push(waitFor(child, `device host ${h}'s outcomes`, (o) => (o['event'] === 'done' ? (o['outcomes'] as FleetOutcome[]) : undefined), (opts.seconds + 600) * 1000));
        }
        for (const p of hostDone) p.catch(() => undefined);
        await Promise.all(ready);
        const cpu0 = cpuSeconds(edge.pid!);
        const t0 = performance.now();
        for (const c of children.slice(1)) c.stdin!.end('go\n');
        const outcomes = (await Promise.all(hostDone)).flat();
        const cpu1 = cpuSeconds(edge.pid!);
        const wallS = (performance.now() - t0) / 1000;
        edge.kill('SIGTERM');
        const closed = await edgeClosed;
        const stats = closed['stats'] as { scheduler: { samplesComputed: number; samplesWasted: number; busy: number; expired: number; batches: number }; cancels: number };
        const figures: FleetEdgeFigures = {
          ...stats.scheduler, cancels: stats.cancels, maxRssMB: Number(closed['maxRssMB']),
          // CPU over the measured window when /proc has it, else over the edge's whole life.
          cpuMs: cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) * 1000 : Number(closed['cpuMs']),
          uptimeS: cpu0 !== null && cpu1 !== null ? wallS : Number(closed['uptimeS']),
        };
        const s = summarizeFleet({ devices: opts.devices, deadlineMs: opts.deadlineMs, seconds: opts.seconds, outcomes, edge: figures });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...s, action: `e${opts.exit}p${opts.partition}/${encoding}`, ratePerDevice: opts.rate, edgeArgs: opts.edgeArgs })}\n`);
        } else {
          process.stdout.write(`coinfer fleet: ${s.devices} devices × ${opts.rate} req/s, e${opts.exit}p${opts.partition}/${encoding}, deadline ${s.deadlineMs} ms, ${s.seconds} s\n`);
          process.stdout.write(`  ${s.requests} requests, ${s.requestsPerSecond} req/s; latency p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms; hit rate ${(100 * s.hitRate).toFixed(1)}%, accuracy ${(100 * s.accuracy).toFixed(1)}%\n`);
          process.stdout.write(`  edge answers ${s.edgeAnswers}, fallbacks ${s.fallbacks}; misses ${s.misses} (edge ${s.edgeMisses}, fallback ${s.fallbackMisses})\n`);
          process.stdout.write(`  edge: wasted share ${(100 * s.wastedEdgeShare).toFixed(1)}%, busy ${s.edgeBusyReplies}, expired ${s.edgeExpired}, cancels ${s.edgeCancels}, mean batch ${s.edgeMeanBatch}, CPU ${s.edgeCpuCores} cores, peak RSS ${s.edgeMaxRssMB} MB\n`);
          process.stdout.write(`  device reserve p50 ${s.reserveP50Ms} ms, p99 ${s.reserveP99Ms} ms; fallback reasons ${JSON.stringify(s.fallbackReasons)}\n`);
        }
      } finally {
        killAll();
        process.off('exit', killAll);
      }
    });
}
