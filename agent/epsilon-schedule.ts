/**
 * Linear schedules (pure): CleanRL's `linear_schedule`, used for ε-greedy exploration and for
 * annealing the prioritised-replay exponent β.
 */

/** A linear ramp from `start` to `end` over `durationSteps`, then constant. */
export interface LinearSchedule {
  /** Value at step 0. */
  readonly start: number;
  /** Value from `durationSteps` on. */
  readonly end: number;
  /** Steps of the ramp. Integer ≥ 0 (0 = `end` from the start). */
  readonly durationSteps: number;
}

/**
 * The schedule's value at `step` (clamped to the ramp).
 * @param step environment steps so far, ≥ 0.
 * @example linearSchedule({ start: 1, end: 0.05, durationSteps: 1000 }, 500) // 0.525
 */
export function linearSchedule(schedule: LinearSchedule, step: number): number {
  if (schedule.durationSteps <= 0 || step >= schedule.durationSteps) return schedule.end;
  if (step <= 0) return schedule.start;
  return schedule.start + (schedule.end - schedule.start) * (step / schedule.durationSteps);
}

/** ε at `step` under a DqnConfig's epsilonStart/End/DecaySteps. */
export function epsilonAt(
  config: { readonly epsilonStart: number; readonly epsilonEnd: number; readonly epsilonDecaySteps: number },
  step: number,
): number {
  return linearSchedule({ start: config.epsilonStart, end: config.epsilonEnd, durationSteps: config.epsilonDecaySteps }, step);
}
