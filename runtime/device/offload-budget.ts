/**
 * How long an offload may wait for the edge's reply: the time left minus the reserve a local
 * answer needs, when a local answer can still make it; otherwise all the time left (the edge is
 * then the only chance). One rule for the device runtime, the replay env that simulates it and
 * the planner that predicts it. Pure.
 */
export function offloadBudgetMs(leftMs: number, reserveMs: number): number {
  return leftMs > reserveMs ? leftMs - reserveMs : leftMs;
}
