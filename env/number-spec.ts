/**
 * A numeric world parameter that is either fixed or drawn once per episode: a plain number,
 * `{"uniform": [lo, hi]}` (continuous, lo ≤ hi), `{"loguniform": [lo, hi]}` (uniform in
 * log(value), 0 < lo ≤ hi: for ratios such as slowdowns, where 1→2 matters as much as 10→20)
 * or `{"choice": [v1, v2, …]}` (equally likely).
 * Draws use the episode's own seeded RNG; a fixed value draws nothing, so a world without
 * ranges consumes exactly the random numbers it did before ranges existed.
 */
import { z } from 'zod';
import type { Rng } from '../common/rng.ts';

export type NumberSpec =
  | number
  | { readonly uniform: readonly [number, number] }
  | { readonly loguniform: readonly [number, number] }
  | { readonly choice: readonly number[] };

/**
 * The zod schema of a NumberSpec whose every possible value lies in [min, max].
 * @param opts `int`: values must be integers (a uniform range then draws integers lo…hi)
 */
export function numberSpec(min: number, max: number, opts: { int?: boolean } = {}): z.ZodType<NumberSpec> {
  const value = opts.int ? z.number().int().min(min).max(max) : z.number().min(min).max(max);
  return z.union([
    value,
    z.strictObject({ uniform: z.tuple([value, value]).refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' }) }),
    z.strictObject({
      loguniform: z.tuple([value, value]).refine(([lo, hi]) => lo > 0 && lo <= hi, { message: 'expected [lo, hi] with 0 < lo <= hi' }),
    }),
    z.strictObject({ choice: z.array(value).min(1) }),
  ]) as z.ZodType<NumberSpec>;
}

/** Whether the spec is a fixed number (nothing to draw). */
export function isFixed(spec: NumberSpec): spec is number {
  return typeof spec === 'number';
}

/**
 * The value a spec stands for when nothing is drawn (reports, the live env's fixed settings):
 * the number, the range's midpoint (geometric for a log-uniform range), or the first choice.
 */
export function nominalValue(spec: NumberSpec): number {
  if (typeof spec === 'number') return spec;
  if ('uniform' in spec) return (spec.uniform[0] + spec.uniform[1]) / 2;
  if ('loguniform' in spec) return Math.sqrt(spec.loguniform[0] * spec.loguniform[1]);
  return spec.choice[0]!;
}

/**
 * Draws one value.
 * @param int draw an integer in [lo, hi] from a uniform range (for counts)
 */
export function sampleNumber(spec: NumberSpec, rng: Rng, int = false): number {
  if (typeof spec === 'number') return spec;
  if ('uniform' in spec) {
    const [lo, hi] = spec.uniform;
    return int ? lo + rng.int(hi - lo + 1) : lo + rng.next() * (hi - lo);
  }
  if ('loguniform' in spec) {
    const [lo, hi] = spec.loguniform;
    const v = lo * (hi / lo) ** rng.next();
    return int ? Math.min(hi, Math.max(lo, Math.round(v))) : v;
  }
  return spec.choice[rng.int(spec.choice.length)]!;
}
