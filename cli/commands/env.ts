/**
 * `coinfer env calibrate`: runs one seeded scenario with the same actions through the live env
 * (real runtime, shaped link, an edge over WebSocket) and the replay env, and reports how far
 * the replay is from the live env: latency MAPE, deadline hit-rate gap, reward gap, and MAPE per
 * component (device / uplink / edge). With --save the measured overhead and jitter go into the
 * model package (replay-calibration.json), where `train` and `eval` pick them up.
 * Composition only: the work lives in env/calibrate.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { ActionCodec } from '../../env/action-codec.ts';
import { calibrate, type CalibrationReport } from '../../env/calibrate.ts';
import { loadSplitTraces } from '../../env/load-traces.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { formatTable } from '../format-table.ts';
import { loadPolicy } from '../load-policy.ts';
import { createProgress } from '../progress.ts';
import { CALIBRATION_FILE, type ReplayCalibration } from '../replay-setup.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { countArg, intArg, resolveToken, tokenArg } from '../option-parsers.ts';
import { edgeFailure, probeEdge } from '../edge-check.ts';


const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '-');

/** Human rendering of a calibration report. */
export function formatCalibration(r: CalibrationReport): string {
  const c = r.components;
  const lines = [
    `calibration over ${r.requests} requests (seed ${r.seed}, policy ${r.policy}, ${r.wallS.toFixed(0)} s); replay compute times: ${r.computeTimes.source}`,
    `measured overhead: device ${r.computeTimes.deviceOverheadMs.toFixed(2)} ms, edge ${r.computeTimes.edgeOverheadMs.toFixed(2)} ms (${r.computeTimes.warmupRequests} warm-up requests)`,
    '',
    formatTable(['metric', 'live', 'replay', 'gap'], [
      ['latency MAPE', '', '', pct(r.latencyMape)],
      [`  device MAPE (${c.device.count})`, '', '', pct(c.device.mape)],
      [`  uplink MAPE (${c.uplink.count})`, '', '', pct(c.uplink.mape)],
      [`  edge MAPE (${c.edge.count})`, '', '', pct(c.edge.mape)],
      ['mean latency ms', r.live.meanLatencyMs.toFixed(1), r.replay.meanLatencyMs.toFixed(1), (r.live.meanLatencyMs - r.replay.meanLatencyMs).toFixed(1)],
      ['deadline hit rate', pct(r.live.hitRate), pct(r.replay.hitRate), pct(r.hitRateGap)],
      ['mean reward', r.live.meanReward.toFixed(4), r.replay.meanReward.toFixed(4), r.rewardGap.toFixed(4)],
      ['fallbacks', String(r.live.fallbacks), String(r.replay.fallbacks), ''],
      ['hit/miss agreement', '', '', pct(r.hitAgreement)],
    ]),
  ];
  if (r.streamMismatches > 0) lines.push(`WARNING: ${r.streamMismatches} requests drew different scenario values in the two envs`);
  return `${lines.join('\n')}\n`;
}

export function registerEnv(program: Command): void {
  const env = program.command('env').description('Environment tools');
  env
    .command('calibrate')
    .description('Run one seeded scenario through the live and the replay env with the same actions and report the gaps')
    .option('--model <dir>', 'model package directory', DEFAULT_MODEL_DIR)
    .option('--requests <n>', 'requests compared', countArg('--requests'), 300)
    .option('--seed <n>', 'scenario seed', intArg('--seed', 0), 1)
    .option('--policy <spec>', "who picks the actions (on the replay's context): random (every action), edgent, device-only, …, or dqn:<checkpoint>", 'random')
    .option('--checkpoints <dir>', 'checkpoint registry root for dqn:<ref>', DEFAULT_CHECKPOINT_ROOT)
    .addOption(new Option('--device-profile <name>', 'emulated device profile (the replay uses its regression)').choices(['edgent-rpi3b'] as const).default('edgent-rpi3b' as const))
    .addOption(new Option('--traces <split>', 'trace split the scenario draws from').choices(['test', 'train'] as const).default('test' as const))
    .option('--warmup <n>', 'warm-up requests measuring overhead and jitter', intArg('--warmup', 2), 30)
    .option('--edge <url>', 'use a running edge (it must run the edgent-desktop profile; unreachable or refusing: exit 3); default: start one in this process')
    .option('--token <secret>', 'bearer token for --edge (default: $COINFER_TOKEN; never empty)', tokenArg('--token'))
    .option('--save', `write the measured overhead and jitter to <model>/${CALIBRATION_FILE}`)
    .option('--json', 'print one JSON document')
    .action(async (opts) => {
      const token = resolveToken(opts.token, process.env['COINFER_TOKEN']);
      if (opts.edge !== undefined) {
        // Against no edge every offload falls back and the "calibration" measures nothing; there
        // is no local-only mode here.
        const status = await probeEdge({ url: opts.edge, token });
        if (!status.connected) throw edgeFailure('env calibrate', status, false);
      }
      const pkg = await loadModelPackage(opts.model);
      const config = resolveEnvConfig({ split: opts.traces });
      const codec = new ActionCodec(pkg.manifest, config.encodings);
      const { policy } = await loadPolicy(opts.policy, {
        codec, observationSize: OBSERVATION_SIZE, checkpointsRoot: opts.checkpoints,
        policyDeps: { manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, actions: codec.actions, seed: opts.seed },
      });
      const traces = await loadSplitTraces({ split: opts.traces });
      const progress = createProgress({ total: opts.requests, format: 'calibrate |{bar}| {value}/{total} requests | eta {eta_formatted}', quiet: opts.json === true });
      let result;
      try {
        result = await calibrate({
          pkg, traces, requests: opts.requests, seed: opts.seed, policy, config: { split: opts.traces }, warmupRequests: opts.warmup,
          live: { deviceProfile: opts.deviceProfile, token, ...(opts.edge === undefined ? {} : { edgeUrl: opts.edge }) },
          onProgress: (done) => progress.update(done),
        });
      } finally {
        progress.stop();
      }
      const { report, measured } = result;
      if (opts.save) {
        const cal: ReplayCalibration = {
          device: { overheadMs: measured.device.overheadMs, jitter: measured.device.jitter },
          edge: { overheadMs: measured.edge.overheadMs, jitter: measured.edge.jitter },
          measuredAt: new Date().toISOString(),
          requests: measured.requests,
        };
        await writeFile(join(pkg.dir, CALIBRATION_FILE), `${JSON.stringify(cal, null, 2)}\n`);
      }
      if (opts.json) {
        const { latencyMape, hitRateGap, rewardGap, requests, ...rest } = report;
        process.stdout.write(`${JSON.stringify({ latencyMape, hitRateGap, rewardGap, requests, ...rest })}\n`);
      } else {
        process.stdout.write(formatCalibration(report));
        if (opts.save) process.stdout.write(`saved ${join(pkg.dir, CALIBRATION_FILE)}\n`);
      }
    });
}
