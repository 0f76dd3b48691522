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
  /** Start the actors before the learner and wait for them (a backlog for the learner to drain). */
  readonly actorsFirst?: boolean;
  /** Kill the learner with SIGKILL once it has checkpointed and learned this many transitions, then restart it. */
  readonly killAt?: number;
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
  /** Env steps per second of all actors together, from their own acting time. */
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
  const runActors = (): Promise<void> => Promise.all(Array.from({ length: o.actors }, async (_, i) => {
    let last: Record<string, unknown> = {};
    const a = spawnCoinfer(['actor', ...common, '--lanes', String(o.lanes), '--steps', String(o.stepsPerActor), '--seed', String(i + 1), '--actor-id', `bench${i}`, ...(o.maxRate ? ['--max-rate', String(o.maxRate)] : [])], (e) => {
      if (e['event'] === 'done') last = e;
    });
    if ((await a.exited) !== 0) fail(`actor ${i}`, a);
    actorTotals.push(last);
  })).then(() => undefined);

  let actorsSeconds = 0;
  let learner: CoinferProcess;
  const t0 = performance.now();
  if (o.actorsFirst) {
    await runActors();
    actorsSeconds = (performance.now() - t0) / 1000;
    learner = startLearner([]);
  } else {
    learner = startLearner([]);
    const actors = runActors().then(() => { actorsSeconds = (performance.now() - t0) / 1000; });
    if (o.killAt !== undefined) {
      const code = await learner.exited;
      if (!killed) fail(`learner (exit ${code} before the kill)`, learner);
      learner = startLearner(['--resume', 'latest']);
    }
    await actors;
  }
  if ((await learner.exited) !== 0) fail('learner', learner);
  if (!done) throw new Error('learner ended without its summary line');
  const d = done as Record<string, unknown>;
  const sum = (k: string) => actorTotals.reduce((s, e) => s + Number(e[k] ?? 0), 0);
  return {
    out, sent: sum('sent'), dropped: sum('droppedInFlight') + sum('droppedLag') + sum('failed'), ingested: Number(d['ingested']), duplicates: Number(d['duplicates']),
    samples, windowAtKill, actorsSeconds, actorStepsPerSecond: sum('steps') / Math.max(...actorTotals.map((e) => Number(e['seconds'] ?? Infinity))),
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
