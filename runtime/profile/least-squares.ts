/**
 * Linear least squares by Householder QR with column pivoting (the LAPACK xGEQP3 idea, small
 * dense p), with optional ridge. Pure; written for the latency regressions (p ≤ 3 unknowns,
 * thousands of rows), where the normal equations would square an already poor condition
 * number (layer sizes span 1e2..1e5 and are nearly collinear for pooling).
 *
 * Columns are scaled to unit RMS before factorising, so the rank test and the ridge penalty
 * do not depend on the units of the variables.
 */
import { CoinferError } from '../../common/errors.ts';

export interface LeastSquaresProblem {
  /** Design matrix, one row per observation, each of length p (include a column of ones for an intercept). */
  readonly rows: readonly (readonly number[])[];
  /** Observations, one per row. */
  readonly y: readonly number[];
  /**
   * Ridge penalty λ ≥ 0 on the unit-RMS-scaled columns (0 = ordinary least squares). Added as
   * √λ·e_j pseudo-rows, so the problem stays a QR solve.
   */
  readonly ridge?: number;
  /** Column indices the ridge does not penalise (typically the intercept column). */
  readonly unpenalized?: readonly number[];
  /**
   * Relative tolerance of the rank test: a pivot |R_kk| below rcond·|R_00| counts as zero.
   * Default 1e-9.
   */
  readonly rcond?: number;
}

export interface LeastSquaresSolution {
  /** Coefficients in the original column units; 0 for columns found linearly dependent. */
  readonly coef: number[];
  /** Numerical rank of the (scaled) design matrix. */
  readonly rank: number;
  /** Columns left out of the basic solution because they were dependent on the others. */
  readonly dependentColumns: number[];
  /** Root-mean-square residual over the real rows (not the ridge pseudo-rows). */
  readonly residualRms: number;
}

/**
 * Solves min ‖X·b − y‖² + λ‖b_penalised‖² (scaled units). When X is rank deficient the basic
 * solution is returned: the dependent columns (the last pivots) get coefficient 0.
 * @throws CoinferError ERR_REGRESSION when there are no rows, rows of unequal length, or
 *   non-finite values.
 */
export function solveLeastSquares(problem: LeastSquaresProblem): LeastSquaresSolution {
  const { rows, y } = problem;
  const ridge = problem.ridge ?? 0;
  const rcond = problem.rcond ?? 1e-9;
  const m0 = rows.length;
  if (m0 === 0) throw new CoinferError('ERR_REGRESSION', 'Expected at least one observation, actually none; measure before fitting');
  if (y.length !== m0) throw new CoinferError('ERR_REGRESSION', `Expected ${m0} observations (one per row), actually ${y.length}`);
  const p = rows[0]!.length;
  if (p === 0) throw new CoinferError('ERR_REGRESSION', 'Expected at least one column, actually none');
  if (!(ridge >= 0)) throw new CoinferError('ERR_REGRESSION', `Expected ridge >= 0, actually ${ridge}`);
  const penalised = Array.from({ length: p }, (_, j) => ridge > 0 && !(problem.unpenalized ?? []).includes(j));
  const m = m0 + penalised.filter(Boolean).length;

  // column-major copy, scaled to unit RMS
  const scale = new Float64Array(p);
  const a = new Float64Array(m * p);
  for (let j = 0; j < p; j++) {
    let ss = 0;
    for (let i = 0; i < m0; i++) {
      const row = rows[i]!;
      if (row.length !== p) throw new CoinferError('ERR_REGRESSION', `Expected every row of length ${p}, actually row ${i} has ${row.length}`);
      const v = row[j]!;
      if (!Number.isFinite(v)) throw new CoinferError('ERR_REGRESSION', `Expected finite values, actually row ${i} column ${j} is ${v}`);
      ss += v * v;
    }
    scale[j] = ss > 0 ? Math.sqrt(ss / m0) : 1;
    for (let i = 0; i < m0; i++) a[j * m + i] = rows[i]![j]! / scale[j]!;
  }
  const b = new Float64Array(m);
  for (let i = 0; i < m0; i++) {
    if (!Number.isFinite(y[i]!)) throw new CoinferError('ERR_REGRESSION', `Expected finite observations, actually y[${i}] is ${y[i]}`);
    b[i] = y[i]!;
  }
  let extra = m0;
  for (let j = 0; j < p; j++) if (penalised[j]) a[j * m + extra++] = Math.sqrt(ridge);

  const perm = Array.from({ length: p }, (_, j) => j);
  const colNorm2 = (j: number, from: number): number => {
    let s = 0;
    for (let i = from; i < m; i++) s += a[j * m + i]! ** 2;
    return s;
  };
  const rdiag = new Float64Array(p);
  const steps = Math.min(m, p);
  for (let k = 0; k < steps; k++) {
    // pivot: the remaining column with the largest norm below row k
    let best = k, bestNorm = -1;
    for (let j = k; j < p; j++) {
      const n2 = colNorm2(j, k);
      if (n2 > bestNorm) { bestNorm = n2; best = j; }
    }
    if (best !== k) {
      for (let i = 0; i < m; i++) {
        const t = a[k * m + i]!; a[k * m + i] = a[best * m + i]!; a[best * m + i] = t;
      }
      const t = perm[k]!; perm[k] = perm[best]!; perm[best] = t;
    }
    const norm = Math.sqrt(bestNorm);
    if (norm === 0) { rdiag[k] = 0; continue; }
    // Householder vector v = x + sign(x0)·‖x‖·e0, stored in place of column k
    const alpha = a[k * m + k]! >= 0 ? -norm : norm;
    a[k * m + k] = a[k * m + k]! - alpha;
    let vnorm2 = 0;
    for (let i = k; i < m; i++) vnorm2 += a[k * m + i]! ** 2;
    const apply = (col: Float64Array, off: number): void => {
      let dot = 0;
      for (let i = k; i < m; i++) dot += a[k * m + i]! * col[off + i]!;
      const f = (2 * dot) / vnorm2;
      for (let i = k; i < m; i++) col[off + i] = col[off + i]! - f * a[k * m + i]!;
    };
    for (let j = k + 1; j < p; j++) apply(a, j * m);
    apply(b, 0);
    rdiag[k] = alpha;
  }

  const tol = rcond * Math.abs(rdiag[0] ?? 0);
  let rank = 0;
  while (rank < steps && Math.abs(rdiag[rank]!) > tol && rdiag[rank] !== 0) rank++;
  // back substitution on the leading rank×rank block: R[i][j] sits at a[j*m+i] for j > i
  const z = new Float64Array(p);
  for (let i = rank - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < rank; j++) s -= a[j * m + i]! * z[j]!;
    z[i] = s / rdiag[i]!;
  }
  const coef = new Array<number>(p).fill(0);
  for (let k = 0; k < rank; k++) coef[perm[k]!] = z[k]! / scale[perm[k]!]!;
  let rss = 0;
  for (let i = 0; i < m0; i++) {
    let pred = 0;
    for (let j = 0; j < p; j++) pred += rows[i]![j]! * coef[j]!;
    rss += (pred - y[i]!) ** 2;
  }
  return { coef, rank, dependentColumns: perm.slice(rank).sort((x, y2) => x - y2), residualRms: Math.sqrt(rss / m0) };
}
