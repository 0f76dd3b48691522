/**
 * The HTML report of the main job: the live comparison (and the replay comparison), with plots
 * of bandwidth, chosen actions, and latency against the deadline over time. Self-contained
 * (inline SVG, no scripts), so it opens anywhere offline.
 */
import type { PolicySummary } from '../../policies/evaluate-policies.ts';
import { svgChart, type Series } from './svg-plot.ts';

/** One live request as the report needs it. */
export interface ReportRequest {
  /** Trace time at arrival, s. */
  readonly traceTimeS: number;
  /** True trace bandwidth at arrival, Mbps. */
  readonly traceMbps: number;
  /** The device's estimate when it decided, Mbps. */
  readonly estimateMbps: number;
  readonly action: string;
  readonly totalMs: number;
  readonly deadlineMs: number;
  readonly hit: boolean;
  readonly correct: boolean;
  readonly fallback: boolean;
}

export interface DemoReportInput {
  readonly title: string;
  /** Lines describing the set-up (model, trace, profiles…). */
  readonly setup: readonly string[];
  readonly live: readonly PolicySummary[];
  readonly replay: readonly PolicySummary[];
  /** Live requests per policy name. */
  readonly requests: Readonly<Record<string, readonly ReportRequest[]>>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function table(rows: readonly PolicySummary[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const head = ['policy', 'requests', 'accuracy', 'hit rate', 'mean ms', 'p95 ms', 'energy mJ', 'reward', 'vs oracle'];
  const body = rows.map((r) => [r.policy, String(r.requests), pct(r.accuracy), pct(r.hitRate), r.meanLatencyMs.toFixed(1), r.p95LatencyMs.toFixed(1), r.energyMjPerRequest.toFixed(0), r.meanReward.toFixed(4), r.rewardVsOracle === null ? '-' : pct(r.rewardVsOracle)]);
  return `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function renderDemoReport(input: DemoReportInput): string {
  const names = Object.keys(input.requests);
  const first = input.requests[names[0] ?? ''] ?? [];
  const bandwidth: Series[] = [
    { name: 'trace (true)', color: '#999', style: 'step', points: first.map((r) => [r.traceTimeS, r.traceMbps] as const) },
    ...names.map((n, i) => ({ name: `${n} estimate`, color: COLORS[i % COLORS.length]!, style: 'line' as const, points: input.requests[n]!.map((r) => [r.traceTimeS, r.estimateMbps] as const) })),
  ];
  const labels = [...new Set(names.flatMap((n) => input.requests[n]!.map((r) => r.action)))].sort();
  const actions: Series[] = names.map((n, i) => ({
    name: n, color: COLORS[i % COLORS.length]!, style: 'points',
    points: input.requests[n]!.map((r, k) => [k, labels.indexOf(r.action) + (i - (names.length - 1) / 2) * 0.15] as const),
  }));
  const latencyCharts = names.map((n, i) => svgChart([
    { name: 'deadline', color: '#999', style: 'step', points: input.requests[n]!.map((r, k) => [k, r.deadlineMs] as const) },
    { name: `${n} latency`, color: COLORS[i % COLORS.length]!, style: 'points', points: input.requests[n]!.map((r, k) => [k, Math.min(r.totalMs, 2 * r.deadlineMs)] as const) },
    { name: 'missed', color: '#000', style: 'points', points: input.requests[n]!.filter((r) => !r.hit).map((r) => [input.requests[n]!.indexOf(r), Math.min(r.totalMs, 2 * r.deadlineMs)] as const) },
  ], { title: `${n}: latency vs deadline`, xLabel: 'request', yLabel: 'ms' }));
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}svg{display:block;margin:1em 0}</style></head><body>
<h1>${esc(input.title)}</h1>
<ul>${input.setup.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
<h2>Live: real split inference over loopback, shaped by a real trace</h2>${table(input.live)}
<h2>Replay: the same policies on the held-out traces</h2>${table(input.replay)}
<h2>Bandwidth over time</h2>${svgChart(bandwidth, { title: 'uplink bandwidth: trace and the device estimate', xLabel: 'trace time (s)', yLabel: 'Mbps' })}
<h2>Chosen actions</h2>${svgChart(actions, { title: 'action per request (exit/partition/encoding)', xLabel: 'request', yLabel: '', yCategories: labels, yMin: -0.5, yMax: labels.length - 0.5, height: 80 + 16 * labels.length })}
<h2>Latency against the deadline</h2>${latencyCharts.join('\n')}
</body></html>`;
}
