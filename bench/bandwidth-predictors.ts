/**
 * How well a device predicts its next throughput sample from its past ones, on real traces:
 * the shipped estimator (harmonic mean of the last k, runtime/link/bandwidth-estimator.ts) for
 * k = 5, 3, 2 and 1 (the last sample), against the log-space mean of the last 3 and log-space
 * EWMAs. One sample a second (the default request interval: a transfer or a probe), of 2 KB (the
 * probe), 20 KB and 100 KB. Prints the mean error (bias), spread and mean absolute error of
 * ln(sample / prediction) per predictor; what the risk-aware planner's surprises measure.
 * Run: node bin/run-ts.js bench/bandwidth-predictors.ts [validation|train|test]
 */
import { loadSplitTraces } from '../env/load-traces.ts';
import type { TraceSplit } from '../runtime/link/trace-catalog.ts';
import { HarmonicMeanEstimator } from '../runtime/link/bandwidth-estimator.ts';
import { transferMs } from '../runtime/link/trace-integrate.ts';

const split = (process.argv[2] ?? 'validation') as TraceSplit;
const traces = await loadSplitTraces({ split });
const SIZES = [2048, 20_000, 100_000];
const MAX_S = 600;

/** A predictor: folds a sample (Mbps) and says what it predicts for the next one. */
interface Predictor {
  readonly name: string;
  add(mbps: number): number;
}
const harmonic = (k: number): Predictor => {
  const est = new HarmonicMeanEstimator({ window: k });
  let t = 0;
  // 125 bytes in 1 ms is 1 Mbit/s: a sample of `mbps` as the estimator's (bytes, ms) pair
  return { name: k === 1 ? 'last sample' : `harmonic mean of ${k}`, add: (mbps) => est.add({ bytes: 125 * mbps, transmitMs: 1, atMs: (t += 1000) }).mbps };
};
const geometric = (k: number): Predictor => {
  const ring: number[] = [];
  return { name: `geometric mean of ${k}`, add: (mbps) => { ring.push(Math.log(mbps)); if (ring.length > k) ring.shift(); return Math.exp(ring.reduce((a, x) => a + x, 0) / ring.length); } };
};
const ewmaLog = (alpha: number): Predictor => {
  let e = Number.NaN;
  return { name: `log EWMA α ${alpha}`, add: (mbps) => { e = Number.isNaN(e) ? Math.log(mbps) : e + alpha * (Math.log(mbps) - e); return Math.exp(e); } };
};
const predictors = (): Predictor[] => [harmonic(5), harmonic(3), harmonic(2), harmonic(1), geometric(3), ewmaLog(0.5), ewmaLog(0.7)];

console.log(`${traces.length} ${split} traces, one sample a second (first ${MAX_S} s of each); error = ln(sample / prediction)`);
for (const bytes of SIZES) {
  const names = predictors().map((p) => p.name);
  const errors = names.map(() => [] as number[]);
  for (const trace of traces) {
    const ps = predictors();
    const preds = ps.map(() => Number.NaN);
    for (let t = 0, seen = 0; t < Math.min(trace.durationS, MAX_S); t++) {
      const ms = transferMs(trace, { startS: t, bytes });
      if (!(ms > 0 && Number.isFinite(ms))) continue;
      const mbps = (bytes * 8) / (ms * 1000);
      // every predictor has a full window of history before it is scored
      if (seen++ >= 5) preds.forEach((p, i) => errors[i]!.push(Math.log(mbps / p)));
      ps.forEach((p, i) => { preds[i] = p.add(mbps); });
    }
  }
  console.log(`\n${(bytes / 1000).toFixed(bytes < 10_000 ? 1 : 0)} KB transfers (${errors[0]!.length} predictions)`);
  console.log(`${'predictor'.padEnd(22)} ${'bias'.padStart(7)} ${'sd'.padStart(7)} ${'mae'.padStart(7)}`);
  names.forEach((name, i) => {
    const e = errors[i]!;
    const mean = e.reduce((a, x) => a + x, 0) / e.length;
    const sd = Math.sqrt(e.reduce((a, x) => a + (x - mean) ** 2, 0) / e.length);
    const mae = e.reduce((a, x) => a + Math.abs(x), 0) / e.length;
    console.log(`${name.padEnd(22)} ${mean.toFixed(3).padStart(7)} ${sd.toFixed(3).padStart(7)} ${mae.toFixed(3).padStart(7)}`);
  });
}
