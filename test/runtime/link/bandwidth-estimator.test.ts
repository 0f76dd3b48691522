import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CoinferError } from '../../../common/errors.ts';
import {
  HarmonicMeanEstimator,
  estimateBandwidth,
  type BandwidthEstimate,
  type ThroughputSample,
} from '../../../runtime/link/bandwidth-estimator.ts';

/** A sample whose throughput is `mbps`: 1 s worth of bytes at that rate, finishing at `atS`. */
function sample(mbps: number, atS: number): ThroughputSample {
  return { bytes: mbps * 125_000, transmitMs: 1000, atMs: atS * 1000 };
}

function estimate(mbps: number, trendMbpsPerS: number, samples: number): BandwidthEstimate {
  return { mbps, trendMbpsPerS, samples };
}

function scheduler(): TestScheduler {
  // Estimates are computed in floating point: compare numbers to 12 digits.
  return new TestScheduler((actual, expected) => {
    // Subscription logs (expectSubscriptions) are compared as they are.
    const isFrames = (xs: unknown): boolean => Array.isArray(xs) && xs.every((x) => typeof x === 'object' && x !== null && 'notification' in x);
    if (!isFrames(actual) || !isFrames(expected)) return expect(actual).toEqual(expected);
    expect(actual).toHaveLength(expected.length);
    (actual as { frame: number; notification: { kind: string; value?: BandwidthEstimate; error?: unknown } }[]).forEach((a, i) => {
      const e = expected[i] as typeof a;
      expect(a.frame).toBe(e.frame);
      expect(a.notification.kind).toBe(e.notification.kind);
      if (a.notification.kind === 'N') {
        const [av, ev] = [a.notification.value!, e.notification.value!];
        expect(av.samples).toBe(ev.samples);
        expect(av.mbps).toBeCloseTo(ev.mbps, 12);
        expect(av.trendMbpsPerS).toBeCloseTo(ev.trendMbpsPerS, 12);
      } else {
        expect(a.notification.error).toEqual(e.notification.error);
      }
    });
  });
}

describe('HarmonicMeanEstimator', () => {
  it('computes the harmonic mean and least-squares trend of a known example by hand', () => {
    const est = new HarmonicMeanEstimator({ window: 3, initialMbps: 2 });
    expect(est.current()).toEqual(estimate(2, 0, 0));
    expect(est.add(sample(1, 0))).toEqual(estimate(1, 0, 1));
    // 2 / (1 + 1/2) = 4/3; slope of (0,1),(1,2) = 1
    const two = est.add(sample(2, 1));
    expect(two.mbps).toBeCloseTo(4 / 3, 14);
    expect(two.trendMbpsPerS).toBeCloseTo(1, 14);
    // 3 / (1 + 1/2 + 1/4) = 12/7; slope: t̄ = 1, x̄ = 7/3, Σ(t−t̄)(x−x̄) = 3, Σ(t−t̄)² = 2 → 1.5
    const three = est.add(sample(4, 2));
    expect(three.mbps).toBeCloseTo(12 / 7, 14);
    expect(three.trendMbpsPerS).toBeCloseTo(1.5, 14);
    // The window slides: 2, 4, 4 → 3 / (1/2 + 1/4 + 1/4) = 3; slope 1
    const four = est.add(sample(4, 3));
    expect(four).toMatchObject({ samples: 3 });
    expect(four.mbps).toBeCloseTo(3, 14);
    expect(four.trendMbpsPerS).toBeCloseTo(1, 14);
    expect(est.current()).toBe(four);
  });

  it('converts bytes and ms to Mbps and weights slow transfers heavily', () => {
    const est = new HarmonicMeanEstimator({ window: 2 });
    est.add({ bytes: 12_500, transmitMs: 10, atMs: 0 }); // 100 kbit in 10 ms = 10 Mbps
    const e = est.add({ bytes: 12_500, transmitMs: 1000, atMs: 0 }); // 0.1 Mbps, same instant
    expect(e.mbps).toBeCloseTo(2 / (1 / 10 + 1 / 0.1), 12);
    expect(e.trendMbpsPerS).toBe(0);
  });

  it('skips uninformative samples, resets, and rejects bad ones and bad configs', () => {
    const est = new HarmonicMeanEstimator();
    const e = est.add(sample(3, 0));
    expect(est.add({ bytes: 0, transmitMs: 5, atMs: 1 })).toBe(e);
    expect(est.add({ bytes: 10, transmitMs: 0, atMs: 1 })).toBe(e);
    expect(() => est.add({ bytes: -1, transmitMs: 5, atMs: 1 })).toThrow(RangeError);
    expect(() => est.add({ bytes: 1, transmitMs: NaN, atMs: 1 })).toThrow(RangeError);
    est.reset();
    expect(est.current()).toEqual(estimate(1, 0, 0));
    for (const bad of [{ window: 0 }, { window: 2.5 }, { initialMbps: 0 }, { initialMbps: Infinity }]) {
      expect(() => new HarmonicMeanEstimator(bad)).toThrow(CoinferError);
      expect(() => estimateBandwidth(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    }
  });
});

describe('estimateBandwidth', () => {
  const values = { a: sample(1, 0), b: sample(2, 1), c: sample(4, 2), d: sample(4, 3) };

  it('emits one estimate per sample, sliding the window', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c-d|', values);
      expectObservable(source.pipe(estimateBandwidth({ window: 3 }))).toBe('w-x-y-z|', {
        w: estimate(1, 0, 1),
        x: estimate(4 / 3, 1, 2),
        y: estimate(12 / 7, 1.5, 3),
        z: estimate(3, 1, 3),
      });
    });
  });

  it('keeps a separate window per subscription', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const estimates = cold('a-c|', values).pipe(estimateBandwidth({ window: 2 }));
      const expected = { x: estimate(1, 0, 1), y: estimate(1.6, 1.5, 2) };
      expectObservable(estimates).toBe('x-y|', expected);
      expectObservable(estimates).toBe('x-y|', expected);
    });
  });

  it('completes without values on an empty source and stays silent on never', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<ThroughputSample>('|').pipe(estimateBandwidth())).toBe('|');
      expectObservable(cold<ThroughputSample>('-').pipe(estimateBandwidth())).toBe('-');
    });
  });

  it('propagates source errors and errors on an invalid sample', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('a-#', values, new Error('link down'));
      expectObservable(failing.pipe(estimateBandwidth())).toBe('w-#', { w: estimate(1, 0, 1) }, new Error('link down'));
      const bad = cold('a-b-c', { ...values, b: { bytes: -5, transmitMs: 1, atMs: 1 } });
      const rangeError = new RangeError('Expected sample.bytes finite and >= 0, actually -5');
      expectObservable(bad.pipe(estimateBandwidth())).toBe('w-#', { w: estimate(1, 0, 1) }, rangeError);
      expectSubscriptions(bad.subscriptions).toBe('^-!');
    });
  });

  it('unsubscribes from the source on early unsubscribe', () => {
    scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c-d-|', values);
      expectObservable(source.pipe(estimateBandwidth({ window: 3 })), '^---!').toBe('-w-x', {
        w: estimate(1, 0, 1),
        x: estimate(4 / 3, 1, 2),
      });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('works on a live Subject outside virtual time', () => {
    const subject = new Subject<ThroughputSample>();
    const seen: number[] = [];
    const sub = subject.pipe(estimateBandwidth({ window: 2 })).subscribe((e) => seen.push(e.mbps));
    subject.next(sample(2, 0));
    subject.next(sample(6, 1));
    sub.unsubscribe();
    subject.next(sample(1, 2));
    expect(seen).toEqual([2, 3]);
  });
});
