/**
 * `device --learn --broker`: served requests reach the learner's stream, and weights the learner
 * publishes are swapped into the serving policy after the next request (refused for another
 * objective). A real redis-server; the served outcomes come from a Subject.
 */
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveBrokerConfig } from '../../agent/distributed/distributed-config.ts';
import { RedisBroker } from '../../agent/distributed/redis-broker.ts';
import { decodeTransitionBatch } from '../../agent/distributed/transition-codec.ts';
import { encodeWeights } from '../../agent/distributed/weights-codec.ts';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import type { NetworkWeights } from '../../agent/q-network.ts';
import type { LiveOutcome } from '../../env/live-env.ts';
import { OBSERVATION_VERSION } from '../../env/observation.ts';
import { startDeviceActor } from '../../cli/device-broker.ts';
import { startRedis, type RedisHandle } from '../helpers/redis-server.ts';

const server = await startRedis();
const O = 3;
const A = 2;
const net = (bias: number): NetworkWeights => [{ name: 'q/kernel', shape: [O, A], values: new Float32Array(O * A) }, { name: 'q/bias', shape: [A], values: Float32Array.of(bias, -bias) }];
const reward = { signal: 'accuracy' as const, missPenalty: -1, energyLambdaPerJ: 0 };
const outcome = (i: number): LiveOutcome => ({
  observation: Float32Array.of(i, 0, 0), actionIndex: i % A, reward: 0.5, nextObservation: Float32Array.of(i + 1, 0, 0), nextActionMask: Uint8Array.of(1, 1), terminated: false, truncated: false,
}) as unknown as LiveOutcome;

(typeof server === 'string' ? describe.skip : describe)(`device --learn --broker${typeof server === 'string' ? ` (skipped: ${server})` : ''}`, () => {
  const redis = server as RedisHandle;
  afterAll(async () => {
    await redis.stop();
  });

  it('publishes every served transition and swaps in compatible weights between requests only', async () => {
    const broker = await RedisBroker.connect(resolveBrokerConfig({ url: redis.url, namespace: 'dev' }));
    const acting = new ActingPolicy(net(1)); // prefers action 0
    const outcomes$ = new Subject<LiveOutcome>();
    let swaps = 0;
    const lines: string[] = [];
    const actor = await startDeviceActor({ url: redis.url, namespace: 'dev', outcomes$, acting, reward, dqnConfig: { nStep: 1, gamma: 0.5 }, onSwap: () => void swaps++, say: (l) => lines.push(l) });
    const publish = async (version: number, bias: number, objective = { rewardKind: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0 }) => {
      await broker.putWeights(encodeWeights({ runId: 'r', version, envSteps: 0, gradientSteps: 0, objective, observationVersion: OBSERVATION_VERSION, observationSize: O, actionCount: A, weights: net(bias) }), version);
      await new Promise((r) => setTimeout(r, 150)); // notification → asynchronous fetch
    };
    await publish(1, -1, { rewardKind: 'accuracy', missPenalty: -1, energyLambdaPerJ: 0.3 }); // another λ: refused
    outcomes$.next(outcome(0));
    expect(swaps).toBe(0);
    expect(acting.decide(Float32Array.of(0, 0, 0), Uint8Array.of(1, 1))).toBe(0);
    await publish(2, -1); // compatible: prefers action 1, taken after the next request
    expect(acting.decide(Float32Array.of(0, 0, 0), Uint8Array.of(1, 1))).toBe(0);
    outcomes$.next(outcome(1));
    expect(swaps).toBe(1);
    expect(acting.decide(Float32Array.of(0, 0, 0), Uint8Array.of(1, 1))).toBe(1);
    for (let i = 2; i < 10; i++) outcomes$.next(outcome(i));
    outcomes$.complete();
    const counters = await actor.done;
    expect(counters.sent).toBe(10);
    expect(lines.some((l) => l.includes('refused weights v1'))).toBe(true);
    // what reached the stream: 10 transitions, in order, stamped with the weights they were served with
    await broker.ensureGroup();
    const entries = await broker.readNew('check', 10, 10);
    const batches = entries.map((e) => decodeTransitionBatch(e.data));
    expect(batches.flatMap((b) => Array.from(b.rows.observations.filter((_, k) => k % O === 0)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.at(-1)!.weightsVersion).toBe(2);
    await broker.close();
  });
});
