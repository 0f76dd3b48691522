/**
 * The runs bench/distributed.ts is made of: one distributed run (a `coinfer learner` and N
 * `coinfer actor` processes on a local Redis), optionally with the learner killed by SIGKILL
 * mid-run and restarted with `--resume latest`; and the greedy validation evaluation of trained
 * policies, paired by episode.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActingPolicy } from '../agent/acting-policy.ts';
import { readWeights, type NetworkWeights } from '../agent/q-network.ts';
import { loadCheckpoint } from '../checkpoints/checkpoint-io.ts';
import { resolveCheckpoint } from '../checkpoints/resolve-checkpoint.ts';
import type { Tf } from '../common/tf-backend.ts';
import type { DistributedWorld } from '../cli/distributed-world.ts';
import { EVAL_SEED } from '../cli/train-run.ts';
import { createDqnPolicy } from '../policies/dqn-policy.ts';
import { evaluatePolicies } from '../policies/evaluate-policies.ts';
import { spawnCoinfer, type CoinferProcess } from './coinfer-process.ts';
import { resolveBrokerConfig, resolveLearnerLoopConfig, resolvePublisherConfig } from '../agent/distributed/distributed-config.ts';
import { runLearner } from '../agent/distributed/learner-loop.ts';
import { RedisBroker } from '../agent/distributed/redis-broker.ts';
import { TransitionPublisher } from '../agent/distributed/transition-publisher.ts';
import { describeObjective } from '../agent/distributed/weights-codec.ts';
import { resolveDqnConfig } from '../agent/dqn-config.ts';
import { DqnLearner } from '../agent/dqn-learner.ts';
import { ReplayMemory } from '../agent/replay-memory.ts';
import { createRng } from '../common/rng.ts';
import { OBSERVATION_SIZE, OBSERVATION_VERSION } from '../env/observation.ts';

export interface RunOptions {
  readonly url: string;
  readonly namespace: string;
  readonly actors: number;
  /** Env steps per actor. */
  readonly stepsPerActor: number;
  readonly lanes: number;
  /** Pace per actor (steps/s), or null. */
  readonly maxRate: number | null;
  readonly dqn: string;
  /** Learner flags besides the broker, the output and --json. */
  readonly learnerArgs: readonly string[];
  /** Kill the learner with SIGKILL once it has checkpointed and learned this many transitions, then restart it. */
  readonly killAt?: number;
  /** Stop the learner (SIGINT) once it has ingested everything the actors sent, whatever train rounds it still owes. */
  readonly stopWhenCaughtUp?: boolean;
}

export interface Sample {
  readonly atMs: number;
  readonly ingested: number;
  readonly gradientSteps: number;
}

export interface RunResult {
  readonly out: string;
  /** Transitions the actors' broker confirmed. */
  readonly sent: number;
  readonly dropped: number;
  /** Transitions the (last) learner reports learned. */
  readonly ingested: number;
  readonly duplicates: number;
  /** Learner progress samples (both learners when killed). */
  readonly samples: readonly Sample[];
  /** Transitions learned but not yet checkpointed when the learner was killed (the unacknowledged window). */
  readonly windowAtKill: number | null;
  /** Wall time until the last actor was done (process start-up included). */
  readonly actorsSeconds: number;
  /** Env steps per second of all actors together, from the first one's start of acting to the last one's end. */
  readonly actorStepsPerSecond: number;
}

const fail = (what: string, p: CoinferProcess): never => {
  throw new Error(`${what} failed:\n${p.stderrTail()}`);
};

export async function distributedRun(o: RunOptions): Promise<RunResult> {
  const out = await mkdtemp(join(tmpdir(), 'coinfer-bench-dist-'));
  const common = ['--broker', o.url, '--namespace', o.namespace, '--dqn', o.dqn, '--json'];
  const samples: Sample[] = [];
  let lastCheckpoint = 0;
  let done: Record<string, unknown> | null = null;
  let windowAtKill: number | null = null;
  let killed = false;
  const startLearner = (extra: readonly string[]): CoinferProcess => {
    const p: CoinferProcess = spawnCoinfer(['learner', ...common, '--out', out, ...o.learnerArgs, ...extra], (e) => {
      if (e['event'] === 'progress') {
        const s = { atMs: performance.now(), ingested: Number(e['ingested']), gradientSteps: Number(e['gradientSteps']) };
        samples.push(s);
        if (o.killAt !== undefined && !killed && lastCheckpoint > 0 && s.ingested >= o.killAt) {
          killed = true;
          windowAtKill = s.ingested - lastCheckpoint;
          p.signal('SIGKILL');
        }
      }
      if (e['event'] === 'checkpoint') lastCheckpoint = Number(e['ingested']);
      if (e['event'] === 'done') done = e;
    });
    return p;
  };
  const actorTotals: Record<string, unknown>[] = [];
  const spans: { startMs: number; endMs: number }[] = [];
  const runActors = (): Promise<void> => Promise.all(Array.from({ length: o.actors }, async (_, i) => {
    let last: Record<string, unknown> = {};
    const a = spawnCoinfer(['actor', ...common, '--lanes', String(o.lanes), '--steps', String(o.stepsPerActor), '--seed', String(i + 1), '--actor-id', `bench${i}`, ...(o.maxRate ? ['--max-rate', String(o.maxRate)] : [])], (e) => {
      if (e['event'] === 'done') {
        last = e;
        const endMs = performance.now();
        spans.push({ startMs: endMs - 1000 * Number(e['seconds']), endMs });
      }
    });
    if ((await a.exited) !== 0) fail(`actor ${i}`, a);
    actorTotals.push(last);
  })).then(() => undefined);

  let actorsSeconds = 0;
  const t0 = performance.now();
  let learner = startLearner([]);
  // Actors start once the learner runs (it publishes weights first): they act with a network from
  // their first steps, not uniformly at random (which skips the forward pass and is several times cheaper).
  const ready = performance.now() + 120_000;
  while (samples.length === 0 && learner.child.exitCode === null && performance.now() < ready) await new Promise((r) => setTimeout(r, 50));
  const actors = runActors().then(() => { actorsSeconds = (performance.now() - t0) / 1000; });
  if (o.killAt !== undefined) {
    const code = await learner.exited;
    if (!killed) fail(`learner (exit ${code} before the kill)`, learner);
    learner = startLearner(['--resume', 'latest']);
  }
  await actors;
  if (o.stopWhenCaughtUp) {
    const sent = actorTotals.reduce((s, e) => s + Number(e['sent'] ?? 0), 0);
    const until = performance.now() + 30_000;
    while ((samples.at(-1)?.ingested ?? 0) < sent && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
    learner.signal('SIGINT');
  }
  if ((await learner.exited) !== 0) fail('learner', learner);
  if (!done) throw new Error('learner ended without its summary line');
  const d = done as Record<string, unknown>;
  const sum = (k: string) => actorTotals.reduce((s, e) => s + Number(e[k] ?? 0), 0);
  return {
    out, sent: sum('sent'), dropped: sum('droppedInFlight') + sum('droppedLag') + sum('failed'), ingested: Number(d['ingested']), duplicates: Number(d['duplicates']),
    samples, windowAtKill, actorsSeconds,
    actorStepsPerSecond: sum('steps') / ((Math.max(...spans.map((s) => s.endMs)) - Math.min(...spans.map((s) => s.startMs))) / 1000),
  };
}

/** Transitions and gradient steps per second between the first and the last sample that learned something new. */
export function rates(samples: readonly Sample[]): { ingestPerSecond: number; updatesPerSecond: number } {
  const moving = samples.filter((s, i) => i > 0 && s.ingested > samples[i - 1]!.ingested);
  const first = samples[Math.max(0, samples.indexOf(moving[0]!) - 1)];
  const last = moving.at(-1);
  if (!first || !last || last.atMs <= first.atMs) return { ingestPerSecond: 0, updatesPerSecond: 0 };
  const s = (last.atMs - first.atMs) / 1000;
  return { ingestPerSecond: (last.ingested - first.ingested) / s, updatesPerSecond: (last.gradientSteps - first.gradientSteps) / s };
}

/** The weights of the latest checkpoint in a registry. */
export async function latestWeights(tf: Tf, root: string): Promise<NetworkWeights> {
  const ck = await resolveCheckpoint(root, 'latest');
  const { model } = await loadCheckpoint(tf, ck.dir);
  try {
    return readWeights(model);
  } finally {
    model.dispose();
  }
}

/**
 * Greedy episodes of each policy on the world's validation traces, the same seeded requests for
 * all: per episode the share of requests answered correctly in time.
 */
export async function validationScores(world: DistributedWorld, policies: Readonly<Record<string, NetworkWeights>>, episodes: number): Promise<Record<string, number[][]>> {
  const names = Object.keys(policies);
  const perEpisode: Record<string, number[][]> = Object.fromEntries(names.map((n) => [n, Array.from({ length: episodes }, () => [] as number[])]));
  await evaluatePolicies(names.map((name) => createDqnPolicy({ name, acting: new ActingPolicy(policies[name]!), codec: world.codec })), {
    manifest: world.pkg.manifest, actionAccuracy: world.pkg.actionAccuracy, computeTimes: world.times.computeTimes, traces: world.validation, config: world.evalInput,
    episodes, seed: EVAL_SEED, onOutcome: (p, outcome, e) => { perEpisode[p]![e]!.push(outcome.hit && outcome.correct ? 1 : 0); },
  });
  return perEpisode;
}

/**
 * The learner's ingest alone: `actors` publishers fill the stream with `transitions` random
 * transitions first, then the learner loop (training off: learningStarts beyond the budget)
 * reads, decodes, dedupes and inserts them into replay. Transitions per second of that loop.
 */
export async function ingestCapacity(tf: Tf, o: { readonly url: string; readonly actors: number; readonly transitions: number; readonly actionCount: number }): Promise<number> {
  const O = OBSERVATION_SIZE;
  const A = o.actionCount;
  const broker = await RedisBroker.connect(resolveBrokerConfig({ url: o.url, namespace: 'capacity', maxStreamEntries: 100_000 }));
  await broker.reset();
  const rng = createRng(11);
  const n = 256;
  const rows = {
    size: n, observations: Float32Array.from({ length: n * O }, () => rng.next()), actions: Int32Array.from({ length: n }, () => rng.int(A)), rewards: Float32Array.from({ length: n }, () => rng.next()),
    nextObservations: Float32Array.from({ length: n * O }, () => rng.next()), discounts: new Float32Array(n).fill(0.5), nextActionMasks: new Uint8Array(n * A).fill(1),
  };
  const objective = { rewardKind: 'bench', missPenalty: 0, energyLambdaPerJ: 0 };
  const config = resolvePublisherConfig({ lagHighWater: 1_000_000_000, maxInFlight: 1_000_000 });
  const pubs = Array.from({ length: o.actors }, (_, i) => new TransitionPublisher({ sink: broker, config, actorId: `cap${i}`, observationSize: O, actionCount: A, observationVersion: OBSERVATION_VERSION, objective: describeObjective(objective) }));
  for (let sent = 0, i = 0; sent < o.transitions; sent += n, i++) pubs[i % o.actors]!.push(rows);
  await Promise.all(pubs.map((p) => p.drain()));
  const dqn = resolveDqnConfig({ replayCapacity: o.transitions, learningStarts: o.transitions * 10 });
  const learner = new DqnLearner(tf, { config: dqn, observationSize: O, actionCount: A });
  const memory = new ReplayMemory({ capacity: o.transitions, observationSize: O, actionCount: A });
  try {
    const t0 = performance.now();
    const r = await runLearner({
      learner, memory, source: broker, weights: broker, config: resolveLearnerLoopConfig({ maxTransitions: o.transitions, checkpointEveryTransitions: 1_000_000_000 }),
      consumer: 'capacity', objective, observationVersion: OBSERVATION_VERSION, sampleRng: createRng(1), runId: 'capacity',
      onCheckpoint: async () => {},
    });
    return r.state.ingested / ((performance.now() - t0) / 1000);
  } finally {
    learner.dispose();
    await broker.close();
  }
}
