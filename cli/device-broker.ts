/**
 * `coinfer device --learn --broker URL`: the device as an actor of distributed training. Each
 * served request's transition (n-step as the checkpoint's config says) goes to the learner's
 * Redis stream through the never-blocking publisher; after each request, weights the learner
 * published meanwhile (fetched asynchronously, refused for another objective or observation
 * version) are swapped into the acting policy, so the next request uses them.
 */
import type { Observable } from 'rxjs';
import { resolveBrokerConfig, resolvePublisherConfig } from '../agent/distributed/distributed-config.ts';
import { RedisBroker } from '../agent/distributed/redis-broker.ts';
import { TransitionPublisher, type PublisherCounters } from '../agent/distributed/transition-publisher.ts';
import { WeightsFollower } from '../agent/distributed/weights-follower.ts';
import { describeObjective } from '../agent/distributed/weights-codec.ts';
import type { ActingPolicy } from '../agent/acting-policy.ts';
import type { DqnConfig } from '../agent/dqn-config.ts';
import { VecNStep } from '../agent/vec-n-step.ts';
import type { LiveOutcome } from '../env/live-env.ts';
import { OBSERVATION_VERSION } from '../env/observation.ts';
import type { RewardConfig } from '../env/reward.ts';
import { distributedObjective } from './distributed-world.ts';

export interface DeviceActorOptions {
  readonly url: string;
  readonly namespace?: string;
  readonly outcomes$: Observable<LiveOutcome>;
  /** The policy serving the requests: new weights are swapped into it. */
  readonly acting: ActingPolicy;
  /** The checkpoint's reward: the objective weights must share. */
  readonly reward: RewardConfig;
  readonly dqnConfig: Pick<DqnConfig, 'nStep' | 'gamma'>;
  readonly onSwap: () => void;
  readonly say: (line: string) => void;
}

/**
 * Connects and starts publishing; resolves with `done`, which settles once the outcome stream
 * has completed and every batch is confirmed (with the publisher's counters).
 * @throws CoinferError ERR_BROKER when the broker cannot be reached.
 */
export async function startDeviceActor(o: DeviceActorOptions): Promise<{ readonly done: Promise<PublisherCounters> }> {
  const broker = await RedisBroker.connect(resolveBrokerConfig({ url: o.url, ...(o.namespace ? { namespace: o.namespace } : {}) }));
  const O = o.acting.observationSize;
  const A = o.acting.actionCount;
  // Small batches: a device serves a few requests per second, and the learner should see them soon.
  const publisher = new TransitionPublisher({ sink: broker, config: resolvePublisherConfig({ batchTransitions: 8 }), actorId: `device-${process.pid}`, observationSize: O, actionCount: A, observationVersion: OBSERVATION_VERSION, objective: describeObjective(distributedObjective(o.reward)) });
  const follower = new WeightsFollower({
    store: broker, expect: { objective: distributedObjective(o.reward), observationVersion: OBSERVATION_VERSION, observationSize: O, actionCount: A },
    onRefused: (e, v) => o.say(`refused weights v${v}: ${e.message}`),
  });
  await follower.start();
  const nStep = new VecNStep({ numEnvs: 1, observationSize: O, actionCount: A, nStep: o.dqnConfig.nStep, gamma: o.dqnConfig.gamma });
  const done = new Promise<PublisherCounters>((resolve) => {
    const finish = async (): Promise<void> => {
      publisher.flush();
      await publisher.drain();
      await follower.stop();
      await broker.close();
      resolve(publisher.counters);
    };
    o.outcomes$.subscribe({
      next: (t) => {
        publisher.push(nStep.push({
          observations: t.observation, actions: Int32Array.of(t.actionIndex), rewards: Float32Array.of(t.reward), nextObservations: t.nextObservation,
          nextActionMasks: t.nextActionMask, terminated: Uint8Array.of(t.terminated ? 1 : 0), truncated: Uint8Array.of(t.truncated ? 1 : 0),
        }));
        const w = follower.take();
        if (w) {
          o.acting.swapWeights(w.weights);
          publisher.weightsVersion = w.version;
          o.onSwap();
        }
      },
      error: (e: unknown) => { o.say(`outcome stream failed: ${(e as Error).message}`); void finish(); },
      complete: () => void finish(),
    });
  });
  return { done };
}
