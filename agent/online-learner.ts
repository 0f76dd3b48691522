/**
 * Online learning (docs/architecture.md §7): runtime outcomes arrive as an Observable of transitions, go into
 * replay, the learner trains on a schedule (every k transitions, or on a timer), and after each
 * train round the acting policy's weights are hot-swapped. The result is an Observable of
 * learner events; subscribing starts it, unsubscribing stops consuming and training.
 */
import { Observable, asyncScheduler, interval, share, type SchedulerLike, type Subscription } from 'rxjs';
import type { TrainRoundResult } from './dqn-trainer.ts';
import type { NetworkWeights } from './q-network.ts';
import type { Transition } from './transition.ts';

/** When to run a train round. */
export type TrainSchedule =
  /** After every `every`-th transition (integer ≥ 1). */
  | { readonly kind: 'transitions'; readonly every: number }
  /** Every `periodMs` milliseconds of scheduler time (> 0), whatever arrived meanwhile. */
  | { readonly kind: 'interval'; readonly periodMs: number };

/** What the online learner needs from a trainer (`DqnTrainer` provides it). */
export interface OnlineTrainer {
  record(t: Transition): void;
  /** One train round, or null when there is not enough data yet. */
  trainRound(): TrainRoundResult | null;
  getWeights(): NetworkWeights;
}

/** Where trained weights go (`ActingPolicy` provides it). */
export interface WeightSwapTarget {
  swapWeights(weights: NetworkWeights): void;
}

export type LearnerEvent =
  | {
      readonly type: 'train';
      /** 1-based train round. */
      readonly round: number;
      /** Transitions received so far. */
      readonly transitions: number;
      readonly tdLoss: number;
      readonly meanQ: number;
      readonly gradientSteps: number;
      /** Scheduler time (ms). */
      readonly atMs: number;
    }
  | { readonly type: 'swap'; readonly round: number; readonly atMs: number };

export interface OnlineLearnerOptions {
  readonly trainer: OnlineTrainer;
  readonly policy: WeightSwapTarget;
  readonly schedule: TrainSchedule;
  /** Time source for the interval schedule and event stamps (default asyncScheduler; a TestScheduler in tests). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Wires a transition stream to a trainer and an acting policy. Errors from the source, from
 * recording, training or swapping end the stream on its error channel; the source completing
 * completes it. The result is shared: however many subscribers, each transition is recorded
 * once; the source is subscribed while at least one subscriber is (unsubscribing all stops it).
 * @example
 * const policy = new ActingPolicy(learner.getWeights());
 * onlineLearner(outcomes$, { trainer: new DqnTrainer(learner, { rng }), policy, schedule: { kind: 'transitions', every: 4 } })
 *   .subscribe((e) => console.log(e.type, e.round));
 */
export function onlineLearner(transitions$: Observable<Transition>, options: OnlineLearnerOptions): Observable<LearnerEvent> {
  const { trainer, policy, schedule } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  if (schedule.kind === 'transitions' && !(Number.isInteger(schedule.every) && schedule.every >= 1)) {
    throw new RangeError(`Expected schedule.every an integer >= 1, actually ${schedule.every}`);
  }
  if (schedule.kind === 'interval' && !(schedule.periodMs > 0)) throw new RangeError(`Expected schedule.periodMs > 0, actually ${schedule.periodMs}`);

  return new Observable<LearnerEvent>((subscriber) => {
    let transitions = 0;
    let round = 0;
    const trainAndSwap = (): void => {
      const r = trainer.trainRound();
      if (!r) return;
      round++;
      subscriber.next({ type: 'train', round, transitions, tdLoss: r.tdLoss, meanQ: r.meanQ, gradientSteps: r.gradientSteps, atMs: scheduler.now() });
      policy.swapWeights(trainer.getWeights());
      subscriber.next({ type: 'swap', round, atMs: scheduler.now() });
    };
    // Synchronous sources keep emitting until subscribe() returns: guard so nothing runs after an error.
    const guarded = (work: () => void): void => {
      if (subscriber.closed) return;
      try {
        work();
      } catch (e) {
        subscriber.error(e);
      }
    };
    let timer: Subscription | null = null;
    if (schedule.kind === 'interval') timer = interval(schedule.periodMs, scheduler).subscribe(() => guarded(trainAndSwap));
    const source = transitions$.subscribe({
      next: (t) =>
        guarded(() => {
          trainer.record(t);
          transitions++;
          if (schedule.kind === 'transitions' && transitions % schedule.every === 0) trainAndSwap();
        }),
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    return () => {
      timer?.unsubscribe();
      source.unsubscribe();
    };
  }).pipe(share());
}
