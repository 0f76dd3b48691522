/**
 * Paired differences with a confidence interval clustered by episode, pure.
 *
 * Two policies served identical seeded request streams, so request k of episode e is the same
 * request for both: the per-request difference d = y_policy − y_baseline is paired. Requests
 * inside an episode share a trace stretch and a load state, so they are correlated; the episode
 * is the independent unit. Each episode contributes its mean difference (a cluster mean), and
 * the interval is mean ± t(0.975, E − 1) · sd / √E over the E cluster means (all episodes have
 * the same number of requests, so the mean of cluster means is the per-request mean).
 */

/** A mean with its two-sided confidence interval. */
export interface MeanCi {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  /** Clusters (episodes) the interval rests on. */
  readonly clusters: number;
}

/** ln Γ(x) (Lanczos, g = 7), for x > 0. */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta (modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaCf(a, b, x)) / a : 1 - (front * betaCf(b, a, 1 - x)) / b;
}

/** Student-t CDF with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The Student-t quantile: the t with P(T ≤ t) = p, found by bisection on the CDF.
 * @throws RangeError when p is not in (0, 1) or df is not positive
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Expected p in (0, 1), actually ${p}`);
  if (!(df > 0)) throw new RangeError(`Expected df > 0, actually ${df}`);
  let lo = -1e3, hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Mean of the cluster means with a t interval over them.
 * @param clusterMeans one mean per cluster (episode)
 * @param level confidence level (default 0.95)
 * @returns with fewer than 2 clusters the interval is (−∞, ∞)
 */
export function clusterMeanCi(clusterMeans: readonly number[], level = 0.95): MeanCi {
  const n = clusterMeans.length;
  if (n === 0) throw new RangeError('Expected at least one cluster');
  const mean = clusterMeans.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, lo: -Infinity, hi: Infinity, clusters: n };
  const variance = clusterMeans.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = studentTQuantile(1 - (1 - level) / 2, n - 1) * Math.sqrt(variance / n);
  return { mean, lo: mean - half, hi: mean + half, clusters: n };
}

/**
 * Paired difference a − b, clustered: `a[e][k]` and `b[e][k]` are the values of request k of
 * episode e under the two policies.
 * @throws RangeError when the episodes or their lengths differ
 */
export function pairedClusterCi(a: readonly (readonly number[])[], b: readonly (readonly number[])[], level = 0.95): MeanCi {
  if (a.length !== b.length) throw new RangeError(`Expected the same episodes on both sides, actually ${a.length} and ${b.length}`);
  const means = a.map((ea, e) => {
    const eb = b[e]!;
    if (ea.length !== eb.length || ea.length === 0) throw new RangeError(`Expected episode ${e} to have the same non-zero number of requests on both sides, actually ${ea.length} and ${eb.length}`);
    let s = 0;
    for (let k = 0; k < ea.length; k++) s += ea[k]! - eb[k]!;
    return s / ea.length;
  });
  return clusterMeanCi(means, level);
}
