/**
 * `coinfer adapt`'s outputs: the text table per shift (the JSON document is the AdaptReport
 * itself: `{"shifts": [{"name", "recovery", "requestsToRecover", "longestBelowFrozen", …}]}`), and the
 * HTML page with one inline-SVG plot of the seed-averaged rolling curves per shift. Pure.
 */
import type { ShiftResult } from '../adapt/adapt-experiment.ts';
import { FROZEN, LEARNER, LEARNER_GREEDY, LEARNER_POLICY, ORACLE, RESIM } from '../adapt/adapt-experiment.ts';
import { formatTable } from '../format-table.ts';
import { svgChart, type Series } from './svg-plot.ts';

export interface AdaptReport {
  readonly env: 'replay' | 'live';
  readonly model: string;
  readonly checkpoint: string;
  readonly seeds: readonly number[];
  readonly before: number;
  readonly after: number;
  readonly horizon: number;
  readonly window: number;
  readonly epsilon: number;
  readonly slackShare: number;
  readonly guard: boolean;
  readonly runSeconds: number;
  readonly shifts: readonly ShiftResult[];
}

type Spread = { mean: number; std: number } | null;
const pm = (s: Spread, digits = 3, scale = 1): string => (s ? `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}` : '-');
const num = (x: number | null, digits = 2): string => (x === null ? '-' : x.toFixed(digits));

/** The text report (one block per shift). */
export function formatAdaptText(r: AdaptReport): string {
  const out: string[] = [];
  out.push(`coinfer adapt (${r.env}): model ${r.model}, checkpoint ${r.checkpoint}, seeds ${r.seeds.join(',')}, ${r.before} requests before the shift + ${r.after} after; recovery within N=${r.horizon}, rolling window ${r.window}; exploration ε=${r.epsilon} (slack ≥ ${Math.round(100 * r.slackShare)}% of the deadline), guard ${r.guard ? 'on' : 'off'}; ${r.runSeconds.toFixed(0)} s`);
  for (const s of r.shifts) {
    out.push('', `shift ${s.name}: ${s.description} (${s.before} → ${s.after}, at request ${s.shiftAt})`);
    const names = Object.keys(s.policies);
    out.push(formatTable(['POLICY', `ACC-ON-TIME (N after)`, 'REWARD (N after)', 'MISSES/1000'], names.map((n) => {
      const p = s.policies[n]!;
      return [n, pm(p.accuracyOnTimeAfter, 1, 100), pm(p.meanRewardAfter, 4), pm(p.missesPer1000After, 1)];
    })));
    const rs = s.spread.recovery;
    out.push(`  recovery ${num(s.recovery)}${rs ? ` (± ${rs.std.toFixed(2)} over ${rs.n} seeds)` : ''}, loss vs oracle to recover ${pm(s.spread.frozenGap, 4)}/request; requests to recover ${s.requestsToRecover ?? 'not within the stream'} (per seed ${s.seeds.map((x) => x.requestsToRecover ?? '-').join(', ')}); longest below frozen ${s.longestBelowFrozen} (per seed ${s.seeds.map((x) => x.longestBelowFrozen).join(', ')})`);
    out.push(`  the learner's greedy policy alone (exploration cost excluded): recovery ${num(s.policyRecovery)}, requests to recover ${s.seeds.map((x) => x.policyMetrics.requestsToRecover ?? '-').join(', ')}, longest below frozen ${s.seeds.map((x) => x.policyMetrics.longestBelowFrozen).join(', ')}`);
    if (s.resim) {
      const tunes = s.seeds.map((x) => x.resim?.fineTunes.map((f) => `#${f.requestIndex}→${f.servingFrom} (device ×${f.speeds.device.toFixed(2)}, edge ×${f.speeds.edge.toFixed(2)}, ${f.seconds.toFixed(0)} s)`).join(' ') || 'none').join('; ');
      out.push(`  re-simulation (fine-tuned in a replay of the measured world): recovery ${num(s.resim.recovery)} (per seed ${s.seeds.map((x) => num(x.resim?.recovery ?? null)).join(', ')}), requests to recover ${s.resim.requestsToRecover ?? 'not within the stream'}, longest below frozen ${s.resim.longestBelowFrozen}; fine-tunes ${tunes}; rollbacks at ${s.seeds.map((x) => x.resim?.rollbackAt.join(' ') || '-').join('; ')}`);
    }
    out.push(`  guard: ${s.seeds.map((x) => `${x.rollbacks} rollbacks/${x.promotions} promotions`).join('; ')}`);
    if (r.env === 'live') {
      const d = (n: string): number | undefined => s.policies[n]?.meanRewardAfter?.mean;
      const l = d(LEARNER), f = d(FROZEN);
      if (l !== undefined && f !== undefined) out.push(`  direction after the shift: learner − frozen mean reward ${(l - f >= 0 ? '+' : '')}${(l - f).toFixed(4)} per request (no oracle live, so no recovery)`);
    }
    out.push(`  exploration${r.env === 'live' ? ' (live: counterfactual misses predicted by the planner)' : ''}: extra misses/1000 requests vs the greedy action on the same requests ${pm(s.exploration.extraMissesPer1000Explored, 2)} (unfiltered ε would cost ${pm(s.exploration.unsafeExtraMissesPer1000, 2)}); vs the ε=0 learner's run ${pm(s.exploration.extraMissesPer1000VsGreedy, 2)}`);
  }
  return `${out.join('\n')}\n`;
}

const COLORS: Readonly<Record<string, string>> = { [ORACLE]: '#999999', [FROZEN]: '#1f77b4', [LEARNER]: '#d62728', [LEARNER_GREEDY]: '#ff9896', [LEARNER_POLICY]: '#ff7f0e', edgent: '#2ca02c', calibrated: '#9467bd', tracking: '#8c564b', 'risk-aware': '#e377c2', [RESIM]: '#17becf' };
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The HTML page: per shift, the rolling reward and accuracy-on-time curves and the figures. */
export function renderAdaptHtml(r: AdaptReport): string {
  const blocks = r.shifts.map((s) => {
    const series = (curves: Readonly<Record<string, readonly number[]>>): Series[] =>
      Object.entries(curves).map(([n, ys]) => ({ name: n, color: COLORS[n] ?? '#444', style: 'line', points: ys.map((y, i) => [s.curves.x[i]!, y] as const) }));
    // zoom on the curves (rewards of good policies crowd near the top), the shift as a vertical line
    const ys = Object.values(s.curves.reward).flat();
    const yMin = Math.floor(Math.min(...ys) * 20) / 20, yMax = Math.ceil(Math.max(...ys) * 20) / 20;
    const shiftLine: Series = { name: `shift (request ${s.shiftAt})`, color: '#000000', style: 'line', points: [[s.shiftAt, yMin], [s.shiftAt, yMax]] };
    return `<h2>${esc(s.name)}</h2><p>${esc(s.description)} (${esc(s.before)} → ${esc(s.after)}). Recovery ${num(s.recovery)}, requests to recover ${s.requestsToRecover ?? 'not within the stream'}, longest below frozen ${s.longestBelowFrozen} requests.${s.resim ? ` Re-simulation (${RESIM}): recovery ${num(s.resim.recovery)}, requests to recover ${s.resim.requestsToRecover ?? 'not within the stream'}, longest below frozen ${s.resim.longestBelowFrozen}.` : ''}</p>
${svgChart([...series(s.curves.reward), shiftLine], { title: `rolling reward (window ${r.window}, mean of ${r.seeds.length} seeds)`, xLabel: 'requests served', yLabel: 'reward', yMin, yMax, height: 320 })}
${svgChart(series(s.curves.accuracyOnTime), { title: 'rolling accuracy on time', xLabel: 'requests served', yLabel: 'correct and on time' })}`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>coinfer adapt</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}svg{display:block;margin:1em 0}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap;font-size:12px}</style></head><body>
<h1>Online adaptation after a world shift</h1>
<pre>${esc(formatAdaptText(r))}</pre>
${blocks.join('\n')}
</body></html>
`;
}
