/**
 * `coinfer edge`: serves a model package's suffix sub-models to devices over WebSocket until
 * SIGINT or SIGTERM, then closes gracefully and prints its counters. Composition only: the
 * server lives in runtime/edge/edge-server.ts.
 *
 * The token comes from --token, else from the COINFER_TOKEN environment variable (which keeps
 * it out of `ps` listings), else there is none. An empty token (`--token ''`, or COINFER_TOKEN
 * set but empty) is an error, not "no authentication": leave both unset to serve without one.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { EDGE_COMPUTE_PROFILES } from '../../runtime/device/compute-profile.ts';
import { DEFAULT_EDGE_SERVER_CONFIG } from '../../runtime/edge/edge-server-config.ts';
import { startEdgeServer, type EdgeServerStats } from '../../runtime/edge/edge-server.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { intArg, nonNegativeArg, portArg, resolveToken, tokenArg } from '../option-parsers.ts';


/** Resolves on the first SIGINT or SIGTERM, with the signal's name. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

function errorSummary(stats: EdgeServerStats): string {
  const parts = Object.entries(stats.errors).filter(([, n]) => n > 0).map(([code, n]) => `${code} ${n}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

export function registerEdge(program: Command): void {
  program
    .command('edge')
    .description('Serve the edge side of split execution over WebSocket (until SIGINT/SIGTERM)')
    .requiredOption('--port <n>', 'TCP port (0 = any free port, printed at start)', portArg('--port'))
    .option('--host <addr>', 'interface to bind', DEFAULT_EDGE_SERVER_CONFIG.host)
    .option('--token <secret>', 'require devices to send this bearer token (default: $COINFER_TOKEN, else none; never empty)', tokenArg('--token'))
    .option('--model <dir>', 'model package directory', DEFAULT_MODEL_DIR)
    .addOption(new Option('--profile <name>', 'edge compute profile (edgent-desktop is emulated)').choices(EDGE_COMPUTE_PROFILES).default('native' as const))
    .option('--max-frame-bytes <n>', 'largest request frame accepted', intArg('--max-frame-bytes', 64), DEFAULT_EDGE_SERVER_CONFIG.maxFrameBytes)
    .option('--max-in-flight <n>', 'requests one connection may have in flight', intArg('--max-in-flight', 1), DEFAULT_EDGE_SERVER_CONFIG.maxInFlight)
    .option('--max-request-batch <n>', 'largest batch dimension of one request', intArg('--max-request-batch', 1), DEFAULT_EDGE_SERVER_CONFIG.maxRequestBatch)
    .option('--max-batch-samples <n>', 'most samples in one micro-batch', intArg('--max-batch-samples', 1), DEFAULT_EDGE_SERVER_CONFIG.maxBatchSamples)
    .option('--batch-wait-ms <ms>', 'how long a batch may wait for same-action company (0 = only what is queued)', nonNegativeArg('--batch-wait-ms'), DEFAULT_EDGE_SERVER_CONFIG.batchWaitMs)
    .option('--workers <n>', 'ORT worker threads (batches run at once)', intArg('--workers', 1), DEFAULT_EDGE_SERVER_CONFIG.workers)
    .option('--json', 'print JSON lines (a "listening" event, then a "closed" event with the counters)')
    .action(async (opts) => {
      const pkg = await loadModelPackage(opts.model);
      const token = resolveToken(opts.token, process.env['COINFER_TOKEN']);
      const edge = await startEdgeServer({
        pkg,
        config: {
          port: opts.port, host: opts.host, token, profile: opts.profile, maxFrameBytes: opts.maxFrameBytes, maxInFlight: opts.maxInFlight,
          maxRequestBatch: opts.maxRequestBatch, maxBatchSamples: opts.maxBatchSamples, batchWaitMs: opts.batchWaitMs, workers: opts.workers,
        },
      });
      const signal = untilSignal();
      const c = edge.config;
      if (opts.json) {
        const event = { event: 'listening', url: edge.url, host: edge.host, port: edge.port, model: pkg.manifest.name, modelId: pkg.modelId, modelDir: pkg.dir, profile: c.profile, emulated: edge.emulated, maxFrameBytes: c.maxFrameBytes, maxInFlight: c.maxInFlight, workers: c.workers, batchWaitMs: c.batchWaitMs, auth: c.token !== null, pid: process.pid };
        process.stdout.write(`${JSON.stringify(event)}\n`);
      } else {
        const profile = edge.emulated ? `${c.profile} (emulated)` : c.profile;
        process.stdout.write(`coinfer edge listening on ${edge.url}\n`);
        process.stdout.write(`  model ${pkg.manifest.name} (id ${pkg.modelId}) from ${pkg.dir}\n`);
        process.stdout.write(`  profile ${profile}, max frame ${c.maxFrameBytes} B, max in flight ${c.maxInFlight}/connection, token ${c.token === null ? 'none' : 'required'}\n`);
        process.stdout.write('  Ctrl-C to stop\n');
      }
      const sig = await signal;
      await edge.close();
      const stats = edge.stats;
      if (opts.json) {
        // CPU time and peak memory of the whole edge process (workers included), for the fleet benchmark.
        const usage = process.resourceUsage();
        const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
        process.stdout.write(`${JSON.stringify({ event: 'closed', signal: sig, stats, cpuMs, maxRssMB: usage.maxRSS / 1024, uptimeS: process.uptime() })}\n`);
      } else {
        process.stdout.write(`coinfer edge: ${sig}, closed. ${stats.connectionsAccepted} connections, ${stats.framesReceived} frames, ${stats.repliesOk} OK, ${stats.unauthorized} refused at upgrade; errors: ${errorSummary(stats)}\n`);
      }
    });
}
