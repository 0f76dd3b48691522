import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { createRng } from '../../../common/rng.ts';
import { solveLeastSquares } from '../../../runtime/profile/least-squares.ts';

describe('solveLeastSquares', () => {
  it('recovers exact coefficients from noise-free data of very different column scales', () => {
    const rows: number[][] = [], y: number[] = [];
    const rng = createRng(1);
    for (let i = 0; i < 40; i++) {
      const x1 = 1e3 + rng.next() * 1e5, x2 = 10 + rng.next() * 1e3;
      rows.push([x1, x2, 1]);
      y.push(6.13e-3 * x1 + 2.67e-2 * x2 - 9.909);
    }
    const s = solveLeastSquares({ rows, y });
    expect(s.rank).toBe(3);
    expect(s.coef[0]).toBeCloseTo(6.13e-3, 10);
    expect(s.coef[1]).toBeCloseTo(2.67e-2, 9);
    expect(s.coef[2]).toBeCloseTo(-9.909, 6);
    expect(s.residualRms).toBeLessThan(1e-8);
  });

  it('matches the closed-form simple regression on noisy data', () => {
    const rng = createRng(2);
    const xs = Array.from({ length: 200 }, () => rng.next() * 100);
    const y = xs.map((x) => 0.5 * x + 3 + rng.normal());
    const s = solveLeastSquares({ rows: xs.map((x) => [x, 1]), y });
    const mx = xs.reduce((a, b) => a + b) / xs.length, my = y.reduce((a, b) => a + b) / y.length;
    let sxy = 0, sxx = 0;
    xs.forEach((x, i) => { sxy += (x - mx) * (y[i]! - my); sxx += (x - mx) ** 2; });
    expect(s.coef[0]).toBeCloseTo(sxy / sxx, 10);
    expect(s.coef[1]).toBeCloseTo(my - (sxy / sxx) * mx, 9);
  });

  it('returns the basic solution with the dependent column at 0 when rank deficient', () => {
    // x2 = 4·x1 on every row: only one of them is identifiable
    const rows = [1, 2, 3, 4, 5].map((x) => [x, 4 * x, 1]);
    const y = [1, 2, 3, 4, 5].map((x) => 2 * x + 1);
    const s = solveLeastSquares({ rows, y });
    expect(s.rank).toBe(2);
    expect(s.dependentColumns).toHaveLength(1);
    expect(s.coef[s.dependentColumns[0]!]).toBe(0);
    // the fit is still exact
    expect(s.residualRms).toBeLessThan(1e-9);
  });

  it('shrinks penalised coefficients under ridge and leaves the intercept free', () => {
    const rows = [0, 1, 2, 3].map((x) => [x, 1]);
    const y = [0, 1, 2, 3].map((x) => 10 * x + 5);
    const ols = solveLeastSquares({ rows, y });
    const ridge = solveLeastSquares({ rows, y, ridge: 10, unpenalized: [1] });
    expect(Math.abs(ridge.coef[0]!)).toBeLessThan(Math.abs(ols.coef[0]!));
    expect(ridge.rank).toBe(2);
  });

  it('rejects empty or malformed problems with ERR_REGRESSION', () => {
    const code = (f: () => unknown): string | undefined => {
      try { f(); } catch (e) { expect(e).toBeInstanceOf(CoinferError); return (e as CoinferError).code; }
      return undefined;
    };
    expect(code(() => solveLeastSquares({ rows: [], y: [] }))).toBe('ERR_REGRESSION');
    expect(code(() => solveLeastSquares({ rows: [[1, 1], [1]], y: [1, 2] }))).toBe('ERR_REGRESSION');
    expect(code(() => solveLeastSquares({ rows: [[Number.NaN, 1]], y: [1] }))).toBe('ERR_REGRESSION');
  });
});
