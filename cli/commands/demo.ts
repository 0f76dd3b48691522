/**
 * `coinfer demo` — the main job (`npm start`): starts a real edge server process and a device
 * on loopback, replays a real bandwidth trace, and runs the shipped DQN policy beside Edgent's
 * baseline request by request with real split inference (emulated Raspberry Pi 3b device,
 * emulated desktop edge); then compares every policy on the replay env's held-out traces,
 * prints both comparisons and writes an HTML report with plots.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { CoinferError } from '../../common/errors.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { LiveEnv } from '../../env/live-env.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import { resolveEnvConfig, type EnvConfigInput } from '../../env/replay-config.ts';
import { evaluatePolicies, summarizeOutcomes, type PolicySummary } from '../../policies/evaluate-policies.ts';
import type { Policy } from '../../policies/policy.ts';
import { BASELINE_NAMES } from '../../policies/registry.ts';
import { bandwidthAt } from '../../runtime/link/trace-integrate.ts';
import { loadTrace, type BandwidthTrace } from '../../runtime/link/trace.ts';
import { DEFAULT_TRACES_DIR } from '../../runtime/link/trace-catalog.ts';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { formatSummaries } from './eval.ts';
import { loadPolicy } from '../load-policy.ts';
import { startEdgeProcess } from '../edge-process.ts';
import { serveLive } from '../serve-live.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { createProgress } from '../progress.ts';
import { renderDemoReport, type ReportRequest } from '../report/demo-report.ts';
import { loadReplaySetup } from '../replay-setup.ts';
import { countArg, intArg } from '../option-parsers.ts';
import { checkOutputPath } from '../output-check.ts';
import { edgeFailure } from '../edge-check.ts';

/** A held-out 3G trace with deep fades (docs/traces.md). */
export const DEMO_TRACE = join(DEFAULT_TRACES_DIR, 'norway_hsdpa_3g', 'tram.jernbanetorget-universitetssykehuset-report.2010-11-23_1606CET.log.csv');

interface LiveRun {
  readonly summary: PolicySummary;
  readonly requests: ReportRequest[];
}

/** Serves `requests` live requests with one policy and shapes them for the summary and the report. */
async function runLive(o: { policy: Policy; env: LiveEnv; trace: BandwidthTrace; requests: number; seed: number; onStep: () => void }): Promise<LiveRun> {
  const served = await serveLive(o);
  const requests = served.map(({ outcome: out, label, estimateMbps }) => ({
    traceTimeS: out.traceTimeS, traceMbps: bandwidthAt(o.trace, out.traceTimeS), estimateMbps,
    action: label, totalMs: out.totalMs, deadlineMs: out.deadlineMs, hit: out.hit, correct: out.correct, fallback: out.fallback,
  }));
  return { summary: summarizeOutcomes(o.policy.name, served), requests };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('The main job: edge + device on loopback over a real trace, the shipped DQN beside Edgent, plus a replay comparison and an HTML report')
    .option('--requests <n>', 'live requests per policy', countArg('--requests'), 200)
    .option('--trace <file>', 'bandwidth trace CSV to replay', DEMO_TRACE)
    .option('--seed <n>', 'seed of the request stream', intArg('--seed'), 7)
    .option('--policy <spec>', "the learned policy: 'dqn' (shipped) or dqn:<ref> in --checkpoints", 'dqn')
    .option('--checkpoints <dir>', 'checkpoint registry root for dqn:<ref>', DEFAULT_CHECKPOINT_ROOT)
    .option('--model <dir>', 'model package', DEFAULT_MODEL_DIR)
    .option('--episodes <n>', 'replay episodes per policy for the held-out comparison', countArg('--episodes'), 30)
    .option('--report <file>', 'HTML report path', 'reports/demo.html')
    .option('--json', 'print the comparisons as one JSON object')
    .action(async (opts) => {
      const say = (s: string) => { if (!opts.json) process.stderr.write(`${s}\n`); };
      await checkOutputPath({ option: '--report', path: opts.report, kind: 'file' }); // before minutes of serving
      const setup = await loadReplaySetup({ modelDir: opts.model });
      const trace = await loadTrace(opts.trace);
      const envInput: EnvConfigInput = { split: 'test', scenario: { episodeRequests: opts.requests } };
      const codec = new ActionCodec(setup.pkg.manifest, resolveEnvConfig(envInput).encodings);
      const policyDeps = { manifest: setup.pkg.manifest, device: setup.device, edge: setup.edge, stageProfiles: setup.stageProfiles, actionAccuracy: setup.pkg.actionAccuracy, actions: codec.actions, seed: opts.seed };
      const learned = (await loadPolicy(opts.policy, { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: opts.checkpoints })).policy;
      const edgent = (await loadPolicy('edgent', { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: opts.checkpoints })).policy;

      say(`starting an edge server process on 127.0.0.1 (emulated edgent-desktop)…`);
      const edge = await startEdgeProcess({ modelDir: opts.model, profile: 'edgent-desktop' });
      const live: LiveRun[] = [];
      try {
        say(`edge at ${edge.url}; device: emulated Raspberry Pi 3b (edgent-rpi3b), link: ${trace.name} (${trace.source})`);
        for (const policy of [learned, edgent]) {
          const env = await LiveEnv.create({ pkg: setup.pkg, traces: [trace], config: envInput, edgeUrl: edge.url, traceOffsetS: 0 });
          const bar = createProgress({ total: opts.requests, format: `${policy.name.padEnd(10)} |{bar}| {value}/{total} live requests`, quiet: !!opts.json });
          let k = 0;
          try {
            // Our own edge process: not reaching it is a fault, not a reason to demo local answers.
            if (!env.device.edgeConnected) throw edgeFailure('demo', { url: edge.url, connected: false, why: env.device.edgeError }, false);
            live.push(await runLive({ policy, env, trace, requests: opts.requests, seed: opts.seed, onStep: () => bar.update(++k) }));
          } finally {
            bar.stop();
            await env.close();
          }
        }
      } finally {
        await edge.stop();
      }
      say(`replaying ${opts.episodes} episodes per policy on the ${setup.test.length} held-out traces…`);
      const all: Policy[] = [learned];
      for (const b of BASELINE_NAMES) all.push((await loadPolicy(b, { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: opts.checkpoints })).policy);
      const replay = await evaluatePolicies(all, { manifest: setup.pkg.manifest, actionAccuracy: setup.pkg.actionAccuracy, computeTimes: setup.computeTimes, traces: setup.test, config: { split: 'test' }, episodes: opts.episodes, seed: opts.seed });

      const liveRows = live.map((l) => l.summary);
      const reportPath = resolve(opts.report);
      await mkdir(dirname(reportPath), { recursive: true });
      await writeFile(reportPath, renderDemoReport({
        title: 'coinfer: DQN vs Edgent, live and replayed',
        setup: [
          `model: ${setup.pkg.manifest.name} (${setup.pkg.dir}); exits' test accuracy ${setup.pkg.manifest.exits.map((e) => (e.accuracy === null ? '-' : (100 * e.accuracy).toFixed(1) + '%')).join(', ')}`,
          `live: ${opts.requests} requests per policy, real ONNX split inference, device emulating a Raspberry Pi 3b, edge process emulating Edgent's desktop, trace ${trace.source}/${trace.name}`,
          `replay: ${opts.episodes} episodes × ${resolveEnvConfig({}).scenario.episodeRequests} requests per policy over ${setup.test.length} held-out traces; ${setup.computeTimes.source}`,
          `policy: ${opts.policy === 'dqn' ? 'dqn (the shipped checkpoint, models/dqn-policy)' : `${opts.policy} from ${opts.checkpoints}`}`,
        ],
        live: liveRows, replay, requests: Object.fromEntries(live.map((l) => [l.summary.policy, l.requests])),
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ live: liveRows, replay, report: reportPath })}\n`);
        return;
      }
      process.stdout.write(`\nLive (${opts.requests} requests each, ${trace.name}):\n${formatSummaries(liveRows)}\n`);
      process.stdout.write(`\nReplay (held-out traces, ${opts.episodes} episodes each):\n${formatSummaries(replay)}\n`);
      process.stdout.write(`\nreport: ${reportPath}\n`);
    });
}
