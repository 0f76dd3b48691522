/**
 * Distributed training on this machine (a local redis-server, `coinfer learner` and `coinfer
 * actor` processes on the replay env of world `base`):
 *  1. throughput with 1, 2, 4, 8 actors (32 lanes in all, ε = 0.05) running flat out while the
 *     learner trains at the `coinfer train` cadence: transitions ingested per second and learner updates per second;
 *     and the ingest capacity alone: a backlog from 8 actor ids, drained by the learner loop with
 *     training off;
 *  2. quality after equal env steps: single-process `trainDqn` against a learner with 2 actors
 *     paced to the single-process speed, both greedy on the validation traces, paired by episode
 *     (policies/paired-ci.ts);
 *  3. the same distributed run with the learner killed by SIGKILL at 60 % of the steps (between
 *     two checkpoints), restarted with `--resume latest`: transitions lost (sent by actors, never learned), the
 *     unacknowledged window at the kill, and the quality against the uninterrupted run.
 *
 *   npm run bench:distributed -- [--actors 1,2,4,8] [--throughput-steps 240000] [--quality-steps 40000] [--episodes 30] [--json]
 * The last JSON line: {"actors": 8, "ingestPerSecond", "learnerUpdatesPerSecond", "lostTransitions", "qualityDeltaVsSingle": {mean, lo, hi}, …}.
 */
import { parseArgs } from 'node:util';
import { trainDqn } from '../agent/train-loop.ts';
import { loadTf } from '../common/tf-backend.ts';
import { VecReplayEnv } from '../env/vec-replay-env.ts';
import { distributedDqnConfig, loadDistributedWorld } from '../cli/distributed-world.ts';
import { startLocalRedis } from '../cli/local-redis.ts';
import { pairedClusterCi, type MeanCi } from '../policies/paired-ci.ts';
import { DEFAULT_MODEL_DIR } from '../runtime/model/model-package.ts';
import { distributedRun, ingestCapacity, latestWeights, rates, validationScores } from './distributed-runs.ts';

const { values } = parseArgs({
  options: {
    actors: { type: 'string', default: '1,2,4,8' },
    'throughput-steps': { type: 'string', default: '240000' },
    'quality-steps': { type: 'string', default: '40000' },
    episodes: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
  },
});
const actorCounts = values.actors.split(',').map(Number);
const throughputSteps = Number(values['throughput-steps']);
const qualitySteps = Number(values['quality-steps']);
const episodes = Number(values.episodes);
for (const [k, v] of [['--throughput-steps', throughputSteps], ['--quality-steps', qualitySteps], ['--episodes', episodes], ...actorCounts.map((n) => ['--actors', n] as const)] as const) {
  if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`Expected ${k} a positive integer, actually ${v}`);
}
const emit = (o: object) => { if (values.json) process.stdout.write(`${JSON.stringify(o)}\n`); };
const say = (line: string) => { if (!values.json) process.stdout.write(`${line}\n`); };
const round = (ci: MeanCi) => ({ mean: +ci.mean.toFixed(4), lo: +ci.lo.toFixed(4), hi: +ci.hi.toFixed(4), episodes: ci.clusters });

const world = await loadDistributedWorld({ modelDir: DEFAULT_MODEL_DIR, scenario: 'base', energyLambda: undefined, say: () => {} });
const redis = await startLocalRedis();
try {
  // 1. Throughput. The learner's debt of train rounds grows when actors outrun it; it is stopped once they are done.
  const throughput: { actors: number; ingestPerSecond: number; learnerUpdatesPerSecond: number; actorStepsPerSecond: number; dropped: number }[] = [];
  const lanesTotal = 32;
  // Acting at a steady ε = 0.05 (after exploration): at ε ≈ 1 the actors skip the forward pass and
  // produce several times more, so figures taken along the schedule depend on where it stands.
  const STEADY_EPSILON = '{"epsilonStart":0.05,"epsilonEnd":0.05}';
  for (const n of actorCounts) {
    const r = await distributedRun({
      url: redis.url, namespace: `tput${n}`, actors: n, stepsPerActor: Math.ceil(throughputSteps / n), lanes: Math.max(1, lanesTotal / n), maxRate: null, dqn: STEADY_EPSILON, stopWhenCaughtUp: true,
      learnerArgs: ['--idle-exit-s', '2', '--checkpoint-every', '100000000', '--eval-episodes', '0', '--progress-every', '250'],
    });
    const { ingestPerSecond, updatesPerSecond } = rates(r.samples);
    const row = { actors: n, ingestPerSecond: Math.round(ingestPerSecond), learnerUpdatesPerSecond: +updatesPerSecond.toFixed(1), actorStepsPerSecond: Math.round(r.actorStepsPerSecond), dropped: r.dropped };
    throughput.push(row);
    emit({ phase: 'throughput', ...row, sent: r.sent, ingested: r.ingested });
    say(`${n} actor(s): ingest ${row.ingestPerSecond} transitions/s, learner ${row.learnerUpdatesPerSecond} updates/s, actors ${row.actorStepsPerSecond} env steps/s, dropped ${r.dropped}`);
  }
  const { tf } = await loadTf();
  const backlog = 512_000;
  const ingestCapacityPerSecond = Math.round(await ingestCapacity(tf, { url: redis.url, actors: 8, transitions: backlog, actionCount: world.codec.size }));
  emit({ phase: 'ingest-capacity', actors: 8, backlog, ingestCapacityPerSecond });
  say(`ingest capacity (a backlog of ${backlog} transitions from 8 actor ids, training off): ${ingestCapacityPerSecond} transitions/s`);

  // 2. Quality after equal env steps: single process first (it sets the pace of the actors).
  const dqnJson = JSON.stringify({ epsilonDecaySteps: qualitySteps / 2, learningStarts: 2_000 });
  const config = distributedDqnConfig(dqnJson, 1);
  const env = new VecReplayEnv({ manifest: world.pkg.manifest, actionAccuracy: world.pkg.actionAccuracy, computeTimes: world.times.computeTimes, traces: world.train, numEnvs: config.numEnvs, config: world.envInput });
  const t0 = performance.now();
  const single = await trainDqn(tf, { env, config, steps: qualitySteps, progressEvery: qualitySteps });
  const singleSeconds = (performance.now() - t0) / 1000;
  const singleWeights = single.learner.getWeights();
  const singleUpdates = single.learner.gradientSteps;
  single.learner.dispose();
  const pace = Math.round(qualitySteps / singleSeconds / 2);
  say(`single process: ${qualitySteps} steps, ${singleUpdates} updates in ${singleSeconds.toFixed(1)} s; distributed actors paced at ${pace} steps/s each`);
  const qualityRun = (namespace: string, killAt?: number) => distributedRun({
    url: redis.url, namespace, actors: 2, stepsPerActor: qualitySteps / 2, lanes: 16, maxRate: pace, dqn: dqnJson,
    learnerArgs: ['--max-transitions', String(qualitySteps), '--idle-exit-s', '10', '--checkpoint-every', String(qualitySteps / 4), '--eval-episodes', '0'], ...(killAt === undefined ? {} : { killAt }),
  });
  const uninterrupted = await qualityRun('quality');
  const killed = await qualityRun('killed', Math.round(qualitySteps * 0.6)); // between two checkpoints (every quarter): a window to re-read
  const lostTransitions = killed.sent - killed.ingested;
  say(`distributed: ${uninterrupted.ingested} of ${uninterrupted.sent} sent transitions learned; killed and restarted: ${killed.ingested} of ${killed.sent} learned (lost ${lostTransitions}), window at the kill ${killed.windowAtKill}, redeliveries refused ${killed.duplicates}`);

  // 3. Validation quality, paired by episode.
  const scores = await validationScores(world, { single: singleWeights, distributed: await latestWeights(tf, uninterrupted.out), killed: await latestWeights(tf, killed.out) }, episodes);
  const vsSingle = pairedClusterCi(scores['distributed']!, scores['single']!);
  const killedVsUninterrupted = pairedClusterCi(scores['killed']!, scores['distributed']!);
  const mean = (p: string) => scores[p]!.flat().reduce((a, b) => a + b, 0) / scores[p]!.flat().length;
  say(`validation accuracy (correct and on time) over ${episodes} episodes: single ${mean('single').toFixed(4)}, distributed ${mean('distributed').toFixed(4)}, killed+restarted ${mean('killed').toFixed(4)}`);
  say(`distributed − single: ${vsSingle.mean.toFixed(4)} [${vsSingle.lo.toFixed(4)}, ${vsSingle.hi.toFixed(4)}]; killed − uninterrupted: ${killedVsUninterrupted.mean.toFixed(4)} [${killedVsUninterrupted.lo.toFixed(4)}, ${killedVsUninterrupted.hi.toFixed(4)}]`);
  const eight = throughput.find((t) => t.actors === 8) ?? throughput.at(-1)!;
  emit({
    actors: eight.actors, ingestPerSecond: eight.ingestPerSecond, learnerUpdatesPerSecond: eight.learnerUpdatesPerSecond, ingestCapacityPerSecond,
    lostTransitions, unackedWindowAtKill: killed.windowAtKill, redeliveriesRefused: killed.duplicates,
    killedRun: { sent: killed.sent, dropped: killed.dropped, learned: killed.ingested }, uninterruptedRun: { sent: uninterrupted.sent, dropped: uninterrupted.dropped, learned: uninterrupted.ingested },
    qualityDeltaVsSingle: round(vsSingle), killedDeltaVsUninterrupted: round(killedVsUninterrupted),
    accuracy: { single: +mean('single').toFixed(4), distributed: +mean('distributed').toFixed(4), killed: +mean('killed').toFixed(4) },
    qualitySteps, singleSeconds: +singleSeconds.toFixed(1), throughput,
  });
} finally {
  await redis.stop();
}
