/**
 * The device's uplink bandwidth estimate from its own recent transfers: the harmonic mean of
 * the last k throughputs, as ABR video players predict throughput (MPC, Yin et al. SIGCOMM
 * 2015; Pensieve, Mao et al. SIGCOMM 2017). The harmonic mean is dominated by the slow
 * samples, so one lucky fast transfer does not inflate it. The trend is the least-squares
 * slope of the same k throughputs against time.
 *
 * A sample with 0 bytes or 0 ms (plain mode, or a transfer that never touched the link) holds
 * no throughput information: it is skipped and the current estimate is returned unchanged.
 */
import { defer, map, type Observable, type OperatorFunction } from 'rxjs';
import { CoinferError } from '../../common/errors.ts';

/** One finished transfer, as the device saw it. */
export interface ThroughputSample {
  /** Payload size, bytes, finite ≥ 0. */
  readonly bytes: number;
  /** Serialisation time on the link (excluding queueing and propagation), ms, finite ≥ 0. */
  readonly transmitMs: number;
  /** When the transfer finished, ms on any monotonic clock (the trend's time axis). */
  readonly atMs: number;
}

export interface BandwidthEstimate {
  /** Harmonic mean throughput of the window, Mbps (the prior before any sample). */
  readonly mbps: number;
  /** Least-squares slope of throughput vs time over the window, Mbps per s (0 below 2 samples). */
  readonly trendMbpsPerS: number;
  /** Samples in the window the estimate rests on, 0..window (0 = the prior). */
  readonly samples: number;
}

export interface BandwidthEstimatorConfig {
  /** k: how many recent transfers the estimate uses, integer ≥ 1 (default 5, as in MPC). */
  readonly window: number;
  /** Estimate before any sample, Mbps, finite > 0 (default 1, near the traces' median). */
  readonly initialMbps: number;
}

export const DEFAULT_BANDWIDTH_ESTIMATOR_CONFIG: BandwidthEstimatorConfig = Object.freeze({ window: 5, initialMbps: 1 });

/**
 * Merges `p` over the defaults and validates.
 * @throws CoinferError ERR_INVALID_CONFIG naming the field
 */
export function resolveBandwidthEstimatorConfig(p: Partial<BandwidthEstimatorConfig> = {}): BandwidthEstimatorConfig {
  const c = { ...DEFAULT_BANDWIDTH_ESTIMATOR_CONFIG, ...p };
  if (!Number.isInteger(c.window) || c.window < 1) {
    throw new CoinferError('ERR_INVALID_CONFIG', `BandwidthEstimatorConfig.window: expected an integer >= 1, actually ${c.window}`);
  }
  if (!Number.isFinite(c.initialMbps) || c.initialMbps <= 0) {
    throw new CoinferError('ERR_INVALID_CONFIG', `BandwidthEstimatorConfig.initialMbps: expected a finite number > 0, actually ${c.initialMbps}`);
  }
  return Object.freeze(c);
}

/**
 * The estimator's maths, synchronous (for envs and policies that are not streams).
 *
 * @example
 * const est = new HarmonicMeanEstimator({ window: 3 });
 * est.add({ bytes: 125_000, transmitMs: 1000, atMs: 0 }); // { mbps: 1, trendMbpsPerS: 0, samples: 1 }
 */
export class HarmonicMeanEstimator {
  readonly config: BandwidthEstimatorConfig;
  /** Ring buffers of the window's throughputs (Mbps) and times (s). */
  readonly #mbps: Float64Array;
  readonly #atS: Float64Array;
  #count = 0;
  #next = 0;
  #current: BandwidthEstimate;

  /** @throws CoinferError ERR_INVALID_CONFIG */
  constructor(config: Partial<BandwidthEstimatorConfig> = {}) {
    this.config = resolveBandwidthEstimatorConfig(config);
    this.#mbps = new Float64Array(this.config.window);
    this.#atS = new Float64Array(this.config.window);
    this.#current = this.#prior();
  }

  /**
   * Adds a finished transfer and returns the new estimate.
   * @throws RangeError when a field is negative or not finite
   */
  add(sample: ThroughputSample): BandwidthEstimate {
    const { bytes, transmitMs, atMs } = sample;
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`Expected sample.bytes finite and >= 0, actually ${bytes}`);
    if (!Number.isFinite(transmitMs) || transmitMs < 0) throw new RangeError(`Expected sample.transmitMs finite and >= 0, actually ${transmitMs}`);
    if (!Number.isFinite(atMs)) throw new RangeError(`Expected sample.atMs finite, actually ${atMs}`);
    if (bytes === 0 || transmitMs === 0) return this.#current;
    // bits / µs = Mbit/s
    this.#mbps[this.#next] = (bytes * 8) / (transmitMs * 1000);
    this.#atS[this.#next] = atMs / 1000;
    this.#next = (this.#next + 1) % this.config.window;
    this.#count = Math.min(this.#count + 1, this.config.window);
    this.#current = this.#compute();
    return this.#current;
  }

  /** The estimate now (the prior before any informative sample). */
  current(): BandwidthEstimate {
    return this.#current;
  }

  /** Forgets every sample (back to the prior). */
  reset(): void {
    this.#count = 0;
    this.#next = 0;
    this.#current = this.#prior();
  }

  #prior(): BandwidthEstimate {
    return Object.freeze({ mbps: this.config.initialMbps, trendMbpsPerS: 0, samples: 0 });
  }

  #compute(): BandwidthEstimate {
    const n = this.#count;
    let inverseSum = 0;
    let meanT = 0;
    let meanX = 0;
    for (let i = 0; i < n; i++) {
      inverseSum += 1 / this.#mbps[i]!;
      meanT += this.#atS[i]!;
      meanX += this.#mbps[i]!;
    }
    meanT /= n;
    meanX /= n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      const dt = this.#atS[i]! - meanT;
      sxy += dt * (this.#mbps[i]! - meanX);
      sxx += dt * dt;
    }
    // Samples all at one instant carry no slope.
    const trendMbpsPerS = sxx > 0 ? sxy / sxx : 0;
    return Object.freeze({ mbps: n / inverseSum, trendMbpsPerS, samples: n });
  }
}

/**
 * RxJS operator: each throughput sample in, the updated estimate out (one per sample; skipped
 * samples repeat the current estimate). Each subscription has its own window. Invalid samples
 * error the stream (RangeError on the error channel).
 *
 * @param config window k and prior; validated when the operator is created
 * @throws CoinferError ERR_INVALID_CONFIG (synchronously, on a bad config)
 * @example
 * transfers$.pipe(
 *   map((t) => ({ bytes: t.bytes, transmitMs: t.transmitMs, atMs: performance.now() })),
 *   estimateBandwidth({ window: 5 }),
 * ).subscribe((e) => console.log(e.mbps, e.trendMbpsPerS));
 */
export function estimateBandwidth(config: Partial<BandwidthEstimatorConfig> = {}): OperatorFunction<ThroughputSample, BandwidthEstimate> {
  const resolved = resolveBandwidthEstimatorConfig(config);
  return (source: Observable<ThroughputSample>) =>
    defer(() => {
      const estimator = new HarmonicMeanEstimator(resolved);
      return source.pipe(map((sample) => estimator.add(sample)));
    });
}
