import { beforeAll, describe, it, expect } from 'vitest';
import { Subject, filter, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { DqnTrainer } from '../../agent/dqn-trainer.ts';
import { onlineLearner, type LearnerEvent, type OnlineTrainer, type TrainSchedule } from '../../agent/online-learner.ts';
import type { NetworkWeights } from '../../agent/q-network.ts';
import type { Transition } from '../../agent/transition.ts';
import { createRng } from '../../common/rng.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

const t: Transition = {
  observation: new Float32Array([1, 0]),
  action: 0,
  reward: 1,
  nextObservation: new Float32Array([0, 1]),
  terminated: false,
  truncated: false,
  nextActionMask: new Uint8Array([1, 1]),
};

/** A trainer without tensors: counts, optionally needs `readyAfter` transitions, may fail on a round. */
function fakeTrainer(opts: { readyAfter?: number; failOnRound?: number } = {}) {
  const state = { recorded: 0, rounds: 0 };
  const trainer: OnlineTrainer = {
    record: () => {
      state.recorded++;
    },
    trainRound: () => {
      if (state.recorded < (opts.readyAfter ?? 0)) return null;
      state.rounds++;
      if (state.rounds === opts.failOnRound) throw new Error('train failed');
      return { tdLoss: 0.5, meanQ: 1, gradientSteps: state.rounds, targetUpdated: false };
    },
    getWeights: (): NetworkWeights => [{ name: `round/${state.rounds}`, shape: [1], values: new Float32Array([state.rounds]) }],
  };
  return { trainer, state };
}

function setup(schedule: TrainSchedule, scheduler: TestScheduler, opts: { readyAfter?: number; failOnRound?: number } = {}) {
  const { trainer, state } = fakeTrainer(opts);
  const swapped: string[] = [];
  const policy = { swapWeights: (w: NetworkWeights) => void swapped.push(w[0]!.name) };
  return { state, swapped, run: (source: import('rxjs').Observable<Transition>) => onlineLearner(source, { trainer, policy, schedule, scheduler }) };
}

const trains = (e$: import('rxjs').Observable<LearnerEvent>) =>
  e$.pipe(
    filter((e) => e.type === 'train'),
    map((e) => (e.type === 'train' ? `${e.round}@${e.transitions}@${e.atMs}` : '')),
  );
const swaps = (e$: import('rxjs').Observable<LearnerEvent>) => e$.pipe(filter((e) => e.type === 'swap'), map((e) => e.round));

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('onlineLearner', () => {
  it('counts transitions and trains + swaps every k-th one', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { run, swapped, state } = setup({ kind: 'transitions', every: 2 }, ts);
      const source = cold('a-b-c-d-e-f|', { a: t, b: t, c: t, d: t, e: t, f: t });
      const events$ = run(source);
      expectObservable(trains(events$)).toBe('--x---y---z|', { x: '1@2@2', y: '2@4@6', z: '3@6@10' });
      expectObservable(swaps(events$)).toBe('--x---y---z|', { x: 1, y: 2, z: 3 });
      expectSubscriptions(source.subscriptions).toBe('^----------!'); // two subscribers share one run
      ts.flush();
      expect(state.recorded).toBe(6);
      expect(swapped).toEqual(['round/1', 'round/2', 'round/3']);
    });
  });

  it('skips rounds until the trainer is ready', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const { run } = setup({ kind: 'transitions', every: 1 }, ts, { readyAfter: 3 });
      expectObservable(trains(run(cold('a-b-c-d|', { a: t, b: t, c: t, d: t })))).toBe('----x-y|', { x: '1@3@4', y: '2@4@6' });
    });
  });

  it('trains on a timer in virtual time', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const { run } = setup({ kind: 'interval', periodMs: 3 }, ts, { readyAfter: 2 });
      const source = cold('a-b-c-d-e-f-g|', { a: t, b: t, c: t, d: t, e: t, f: t, g: t });
      expectObservable(trains(run(source))).toBe('---w--x--y--z|', { w: '1@2@3', x: '2@4@6', y: '3@5@9', z: '4@7@12' });
    });
  });

  it('propagates source errors on the error channel', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const { run } = setup({ kind: 'transitions', every: 1 }, ts);
      expectObservable(trains(run(cold('a-b-#', { a: t, b: t }, new Error('source failed'))))).toBe('x-y-#', { x: '1@1@0', y: '2@2@2' }, new Error('source failed'));
    });
  });

  it('errors when training fails, and stops consuming', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { run, state } = setup({ kind: 'transitions', every: 1 }, ts, { failOnRound: 2 });
      const source = cold('a-b-c-d|', { a: t, b: t, c: t, d: t });
      expectObservable(trains(run(source))).toBe('x-#', { x: '1@1@0' }, new Error('train failed'));
      expectSubscriptions(source.subscriptions).toBe('^-!');
      ts.flush();
      expect(state.recorded).toBe(2);
    });
  });

  it('stops training when unsubscribed (transition and timer schedules)', () => {
    const ts = scheduler();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const counted = setup({ kind: 'transitions', every: 1 }, ts);
      const source = cold('a-b-c-d-e-f|', { a: t, b: t, c: t, d: t, e: t, f: t });
      expectObservable(trains(counted.run(source)), '^--!').toBe('x-y', { x: '1@1@0', y: '2@2@2' });
      expectSubscriptions(source.subscriptions).toBe('^--!');

      const timed = setup({ kind: 'interval', periodMs: 2 }, ts);
      const endless = hot('a-a-a-a-a-a-a-a-a-a-', { a: t });
      expectObservable(trains(timed.run(endless)), '^------!').toBe('--x-y-z', { x: '1@2@2', y: '2@3@4', z: '3@4@6' });
      ts.flush();
      expect(counted.state.rounds).toBe(2);
      expect(timed.state.rounds).toBe(3);
    });
  });

  it('rejects a bad schedule', () => {
    const { trainer } = fakeTrainer();
    expect(() => onlineLearner(new Subject<Transition>(), { trainer, policy: { swapWeights: () => undefined }, schedule: { kind: 'transitions', every: 0 } })).toThrow(RangeError);
    expect(() => onlineLearner(new Subject<Transition>(), { trainer, policy: { swapWeights: () => undefined }, schedule: { kind: 'interval', periodMs: 0 } })).toThrow(RangeError);
  });
});

describe('onlineLearner with a real DqnTrainer', () => {
  let tf: Tf;
  beforeAll(async () => {
    tf = (await loadTf()).tf;
  });

  it('hot-swaps trained weights into the acting policy while it keeps deciding', () => {
    const config = resolveDqnConfig({ hidden: [8], batchSize: 8, learningStarts: 8, replayCapacity: 100, nStep: 2, learningRate: 1e-2 });
    const learner = new DqnLearner(tf, { config, observationSize: 2, actionCount: 2 });
    const trainer = new DqnTrainer(learner, { rng: createRng(1) });
    const policy = new ActingPolicy(learner.getWeights());
    const outcomes = new Subject<Transition>();
    const events: LearnerEvent[] = [];
    const sub = onlineLearner(outcomes, { trainer, policy, schedule: { kind: 'transitions', every: 4 } }).subscribe({ next: (e) => events.push(e) });
    const rng = createRng(2);
    const probe = new Float32Array([1, 0]);
    const q0 = policy.qValues(probe);
    for (let i = 0; i < 40; i++) {
      const k = rng.int(2);
      const observation = new Float32Array([1 - k, k]);
      const action = policy.decide(observation, new Uint8Array([1, 1]), { epsilon: 0.5, rng }); // decides between swaps, synchronously
      outcomes.next({ ...t, observation, action, reward: action === k ? 1 : 0 });
    }
    sub.unsubscribe();
    const trained = events.filter((e) => e.type === 'train');
    expect(trained.length).toBe(8); // rounds at transitions 8, 12, …, 40
    expect(policy.version).toBe(events.filter((e) => e.type === 'swap').length);
    expect(Array.from(policy.qValues(probe))).not.toEqual(Array.from(q0));
    learner.qValues(probe).forEach((v, i) => expect(policy.qValues(probe)[i]).toBeCloseTo(v, 5));
    learner.dispose();
  });
});
