/**
 * Distributed training against a real Redis (test/helpers/redis-server.ts): delivery, dedupe,
 * restart from a checkpoint and the pending entries, the capped stream, actors joining and
 * leaving, and weights refused for another objective.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActor } from '../../../agent/distributed/actor-loop.ts';
import { resolveBrokerConfig, resolveLearnerLoopConfig, resolvePublisherConfig, type LearnerLoopConfig } from '../../../agent/distributed/distributed-config.ts';
import { runLearner, type DistributedLearnerState } from '../../../agent/distributed/learner-loop.ts';
import { RedisBroker } from '../../../agent/distributed/redis-broker.ts';
import { TransitionPublisher } from '../../../agent/distributed/transition-publisher.ts';
import { WeightsFollower } from '../../../agent/distributed/weights-follower.ts';
import { describeObjective } from '../../../agent/distributed/weights-codec.ts';
import { resolveDqnConfig } from '../../../agent/dqn-config.ts';
import { DqnLearner } from '../../../agent/dqn-learner.ts';
import { EnvVector } from '../../../agent/env-vector.ts';
import { applyLearnerState, type LearnerState } from '../../../agent/learner-state.ts';
import { ReplayMemory } from '../../../agent/replay-memory.ts';
import type { TransitionRows } from '../../../agent/replay-memory.ts';
import { CoinferError } from '../../../common/errors.ts';
import { createRng } from '../../../common/rng.ts';
import { loadTf, type Tf } from '../../../common/tf-backend.ts';
import { startRedis, type RedisHandle } from '../../helpers/redis-server.ts';
import { IdentityEnv } from '../fixtures/identity-env.ts';

const server = await startRedis();
const SIZE = 4;
const objective = { rewardKind: 'identity', missPenalty: 0, energyLambdaPerJ: 0 };
const dqn = resolveDqnConfig({ hidden: [16], batchSize: 16, learningStarts: 32, trainEvery: 16, replayCapacity: 4096, epsilonDecaySteps: 200 });
let namespaceCounter = 0;

const rows = (n: number, seed: number): TransitionRows => {
  const rng = createRng(seed);
  return {
    size: n, observations: Float32Array.from({ length: n * SIZE }, () => rng.next()), actions: Int32Array.from({ length: n }, () => rng.int(SIZE)),
    rewards: Float32Array.from({ length: n }, () => rng.next()), nextObservations: Float32Array.from({ length: n * SIZE }, () => rng.next()),
    discounts: new Float32Array(n).fill(0.5), nextActionMasks: new Uint8Array(n * SIZE).fill(1),
  };
};

(typeof server === 'string' ? describe.skip : describe)(`distributed training over Redis${typeof server === 'string' ? ` (skipped: ${server})` : ''}`, () => {
  const redis = server as RedisHandle;
  let tf: Tf;
  const brokers: RedisBroker[] = [];
  const connect = async (namespace: string, p: { maxStreamEntries?: number } = {}) => {
    const b = await RedisBroker.connect(resolveBrokerConfig({ url: redis.url, namespace, ...p }));
    brokers.push(b);
    return b;
  };
  const learnerParts = (state?: LearnerState) => {
    const learner = new DqnLearner(tf, { config: dqn, observationSize: SIZE, actionCount: SIZE });
    const memory = new ReplayMemory({ capacity: dqn.replayCapacity, observationSize: SIZE, actionCount: SIZE });
    return { learner, memory, ready: state ? applyLearnerState(state, { learner, memory }) : Promise.resolve(null) };
  };
  const publisher = (broker: RedisBroker, actorId: string, batchTransitions = 16) =>
    new TransitionPublisher({ sink: broker, config: resolvePublisherConfig({ batchTransitions, maxInFlight: 1000 }), actorId, observationSize: SIZE, actionCount: SIZE, observationVersion: 2, objective: describeObjective(objective) });
  const loop = (p: Partial<LearnerLoopConfig>) => resolveLearnerLoopConfig({ readEntries: 2, blockMs: 20, publishEveryMs: 0, progressEveryMs: 60_000, ...p });

  beforeAll(async () => {
    tf = (await loadTf()).tf;
  });
  afterAll(async () => {
    for (const b of brokers) await b.close();
    await redis.stop();
  });

  it('a learner killed mid-run resumes from its checkpoint and the pending entries: every transition learned exactly once', async () => {
    const ns = `t${namespaceCounter++}`;
    const broker = await connect(ns);
    const pub = publisher(broker, 'actor-a');
    for (let i = 0; i < 10; i++) pub.push(rows(16, i)); // 10 batches, 160 transitions
    await pub.drain();
    // Run 1: checkpoints every 64 transitions; it "dies" in its second checkpoint, after the
    // checkpoint is on disk but before the XACK (the worst moment: those entries come again).
    const saved: { state: DistributedLearnerState; learnerState: LearnerState }[] = [];
    const one = learnerParts();
    const died = runLearner({
      ...one, source: broker, weights: broker, config: loop({ checkpointEveryTransitions: 64 }), consumer: 'learner-1', objective, observationVersion: 2, sampleRng: createRng(1), runId: 'run',
      onCheckpoint: async (e) => {
        saved.push({ state: e.state, learnerState: await e.captureLearnerState() });
        if (saved.length === 2) throw new Error('killed');
      },
    });
    await expect(died).rejects.toThrow('killed');
    one.learner.dispose();
    const last = saved[1]!;
    expect(last.state.ingested).toBeGreaterThan(64);
    // Delivered but unacknowledged: what the second checkpoint holds beyond the first (only the first was acknowledged).
    expect(await broker.pendingCount()).toBe((last.state.ingested - saved[0]!.state.ingested) / 16);
    // Run 2: another consumer resumes from the last checkpoint on disk.
    const two = learnerParts(last.learnerState);
    await two.ready;
    const r = await runLearner({
      ...two, source: broker, weights: broker, config: loop({ maxTransitions: 160, checkpointEveryTransitions: 1000 }), consumer: 'learner-2', objective, observationVersion: 2, sampleRng: createRng(2), runId: 'ignored',
      resume: last.state, onCheckpoint: async () => {},
    });
    expect(r.state.ingested).toBe(160);
    expect(two.memory.size).toBe(160);
    expect(r.state.dedupe.duplicates).toBe((last.state.ingested - saved[0]!.state.ingested) / 16); // redelivered, refused
    expect(r.state.runId).toBe('run');
    expect(r.state.roundsAccounted).toBe(Math.floor(160 / dqn.trainEvery));
    expect(await broker.pendingCount()).toBe(0);
    two.learner.dispose();
  });

  it('the capped stream trims the oldest entries instead of blocking actors; the learner counts what never came', async () => {
    const ns = `t${namespaceCounter++}`;
    const broker = await connect(ns, { maxStreamEntries: 10 });
    const pub = publisher(broker, 'actor-b', 4);
    for (let i = 0; i < 300; i++) pub.push(rows(4, i));
    await pub.drain();
    expect(pub.counters.sent).toBe(1200); // every XADD answered at once
    const left = await broker.groupLag();
    expect(left).toBeLessThan(300); // MAXLEN ~ trims whole nodes (100 entries each)
    const parts = learnerParts();
    const r = await runLearner({
      ...parts, source: broker, weights: broker, config: loop({ readEntries: 100, idleExitMs: 200 }), consumer: 'l', objective, observationVersion: 2, sampleRng: createRng(3), runId: 'capped',
      onCheckpoint: async () => {},
    });
    expect(r.state.ingested).toBe(4 * left);
    const gaps = 300 - left;
    const seen = r.state.dedupe.actors['actor-b']!.seen;
    expect(Math.min(...seen)).toBe(gaps); // exactly the oldest batches were trimmed: the learner sees them as a gap
    expect(seen.length).toBe(left);
    parts.learner.dispose();
  });

  it('actors join and leave while the learner runs; both learn weights from it and every transition arrives', async () => {
    const ns = `t${namespaceCounter++}`;
    const broker = await connect(ns);
    const parts = learnerParts();
    const learning = runLearner({
      ...parts, source: broker, weights: broker, config: loop({ readEntries: 16, idleExitMs: 1500 }), consumer: 'l', objective, observationVersion: 2, sampleRng: createRng(4), runId: 'fleet',
      onCheckpoint: async () => {},
    });
    const actor = async (id: string, steps: number) => {
      const b = await connect(ns);
      const follower = new WeightsFollower({ store: b, expect: { objective, observationVersion: 2, observationSize: SIZE, actionCount: SIZE }, pollMs: 50 });
      await follower.start();
      const env = new EnvVector([new IdentityEnv({ size: SIZE }), new IdentityEnv({ size: SIZE })]);
      const r = await runActor({ env, publisher: publisher(b, id), weights: follower, config: dqn, seed: 1, rng: createRng(5), steps, maxStepsPerSecond: 2000 });
      await follower.stop();
      return r;
    };
    const first = actor('early', 400); // leaves after 400 steps
    await new Promise((r) => setTimeout(r, 100));
    const second = await actor('late', 300); // joins later
    const a = await first;
    const r = await learning;
    expect(r.state.ingested).toBe(700);
    expect(Object.keys(r.state.dedupe.actors).sort()).toEqual(['early', 'late']);
    expect(a.weightsSwaps).toBeGreaterThan(0);
    expect(second.weightsSwaps).toBeGreaterThan(0);
    expect(r.gradientSteps).toBeGreaterThan(0);
    parts.learner.dispose();
  });

  it('an actor refuses weights trained for another objective or observation version, and takes matching ones', async () => {
    const ns = `t${namespaceCounter++}`;
    const broker = await connect(ns);
    const parts = learnerParts();
    const controller = new AbortController();
    controller.abort(); // publish the initial weights, checkpoint, stop
    await runLearner({ ...parts, source: broker, weights: broker, config: loop({}), consumer: 'l', objective, observationVersion: 2, sampleRng: createRng(6), runId: 'w', onCheckpoint: async () => {}, signal: controller.signal });
    const refusals: Error[] = [];
    const follow = async (expect: ConstructorParameters<typeof WeightsFollower>[0]['expect']) => {
      const f = new WeightsFollower({ store: broker, expect, onRefused: (e) => refusals.push(e) });
      f.refresh();
      await f.settled();
      return f;
    };
    const base = { objective, observationVersion: 2, observationSize: SIZE, actionCount: SIZE };
    const otherLambda = await follow({ ...base, objective: { ...objective, energyLambdaPerJ: 0.2 } });
    const otherObservation = await follow({ ...base, observationVersion: 1 });
    const same = await follow(base);
    expect(otherLambda.take()).toBeNull();
    expect(otherObservation.take()).toBeNull();
    expect(same.take()?.version).toBe(2); // the initial and the final publication
    expect(refusals.map((e) => (e as CoinferError).code)).toEqual(['ERR_WEIGHTS_INCOMPATIBLE', 'ERR_WEIGHTS_INCOMPATIBLE']);
    parts.learner.dispose();
  });

  it('the learner refuses transitions computed for another objective, and rows it cannot learn, without stopping', async () => {
    const broker = await connect(`t${namespaceCounter++}`);
    const other = new TransitionPublisher({ sink: broker, config: resolvePublisherConfig({ batchTransitions: 16 }), actorId: 'other', observationSize: SIZE, actionCount: SIZE, observationVersion: 2, objective: describeObjective({ ...objective, energyLambdaPerJ: 0.5 }) });
    const mine = publisher(broker, 'mine');
    other.push(rows(32, 1));
    mine.push(rows(16, 2));
    mine.push({ ...rows(16, 3), rewards: new Float32Array(16).fill(Number.NaN) });
    await Promise.all([other.drain(), mine.drain()]);
    const parts = learnerParts();
    const warnings: string[] = [];
    const r = await runLearner({ ...parts, source: broker, weights: broker, config: loop({ readEntries: 10, idleExitMs: 100 }), consumer: 'l', objective, observationVersion: 2, sampleRng: createRng(7), runId: 'o', onCheckpoint: async () => {}, onWarning: (m) => warnings.push(m) });
    expect(r.state.ingested).toBe(16);
    expect(r.state.rejected).toBe(3);
    expect(warnings).toHaveLength(2); // once per kind (objective, rows), not per entry
    parts.learner.dispose();
  });

  it('an unreachable broker is ERR_BROKER with the URL (password hidden)', async () => {
    await expect(RedisBroker.connect(resolveBrokerConfig({ url: 'redis://u:secret@127.0.0.1:1', connectTimeoutMs: 500 }))).rejects.toMatchObject({ code: 'ERR_BROKER', message: expect.stringContaining('u:***@') });
  });
});
