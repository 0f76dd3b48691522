// The re-simulation variant's view of the world: the measured speeds over a window, and whether
// they moved from those it last tuned for.
import { describe, expect, it } from 'vitest';
import { estimateSpeeds, speedsMoved } from '../../env/speed-estimate.ts';
import { context } from '../policies/fixtures.ts';

describe('estimateSpeeds', () => {
  it('is the geometric mean of the measured speeds, skipping contexts without one', () => {
    const e = estimateSpeeds([context({ measuredSpeeds: { device: 1, edge: 4 } }), context(), context({ measuredSpeeds: { device: 4, edge: 1 } })]);
    expect(e!.device).toBeCloseTo(2, 12);
    expect(e!.edge).toBeCloseTo(2, 12);
    expect(estimateSpeeds([context(), context()])).toBeNull();
  });
});

describe('speedsMoved', () => {
  it('says moved when either side changed by more than the factor, either way', () => {
    const ref = { device: 1, edge: 2 };
    expect(speedsMoved({ device: 1.2, edge: 2 }, ref, 1.25)).toBe(false);
    expect(speedsMoved({ device: 1.3, edge: 2 }, ref, 1.25)).toBe(true);
    expect(speedsMoved({ device: 1, edge: 1.5 }, ref, 1.25)).toBe(true); // 25% faster
    expect(speedsMoved({ device: 1, edge: 1.7 }, ref, 1.25)).toBe(false);
  });
});
