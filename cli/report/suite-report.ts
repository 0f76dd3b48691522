/**
 * Renderings of a suite result: the terminal table, markdown, the JSON scripts rely on (shape
 * in docs/scenarios.md) and a self-contained HTML page with plots. Pure: result in, text out.
 */
import type { SuiteResult } from '../suite-run.ts';
import type { SuitePolicyRow } from '../../policies/suite-metrics.ts';
import { formatTable } from '../format-table.ts';
import { svgChart, type Series } from './svg-plot.ts';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const signed = (x: number, d = 2) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}`;
const deltaText = (r: SuitePolicyRow) => (r.deltaVsEdgent === null ? '-' : `${signed(r.deltaVsEdgent.mean)} [${signed(r.deltaVsEdgent.lo)}, ${signed(r.deltaVsEdgent.hi)}]`);
const capturedText = (r: SuitePolicyRow) => (r.headroomCaptured === null ? '-' : pct(r.headroomCaptured));

const HEADER = ['world', 'policy', 'accuracy', 'Δ vs edgent, pts [95% CI]', 'headroom captured', 'hit rate', 'mean ms', 'p95 ms', 'energy mJ', 'reward vs oracle'];

function cells(world: string, r: SuitePolicyRow): string[] {
  return [world, r.policy, pct(r.accuracy), deltaText(r), capturedText(r), pct(r.hitRate), r.meanLatencyMs.toFixed(1), r.p95LatencyMs.toFixed(1), r.energyMjPerRequest.toFixed(0), r.rewardVsOracle === null ? '-' : pct(r.rewardVsOracle)];
}

function setupLine(r: SuiteResult): string {
  const w = r.scenarios[0];
  return `suite ${r.suite}: ${r.scenarios.length} worlds × ${w?.episodes ?? 0} episodes × ${w?.requestsPerEpisode ?? 0} requests per policy, ${r.split} traces, seed ${r.seed}, model ${r.model}; ran in ${r.runSeconds.toFixed(1)} s`;
}

/** The terminal table: one block per world, headed by its headroom. */
export function formatSuiteTable(r: SuiteResult): string {
  const rows: string[][] = [];
  for (const w of r.scenarios) {
    w.policies.forEach((p, i) => rows.push(cells(i === 0 ? `${w.name} (headroom ${w.headroomPoints === null ? '-' : w.headroomPoints.toFixed(2)} pts)` : '', p)));
  }
  return `${formatTable(HEADER, rows)}\n\n${setupLine(r)}`;
}

/** Markdown: one table per world. */
export function formatSuiteMarkdown(r: SuiteResult): string {
  const out = [`# Suite \`${r.suite}\``, '', setupLine(r), '', 'Δ: paired accuracy difference to Edgent in points, 95% CI clustered by episode. Headroom: oracle − Edgent accuracy, points; captured: the share of it the policy gains over Edgent.', ''];
  for (const w of r.scenarios) {
    out.push(`## ${w.name}`, '', `${w.description ? `${w.description} ` : ''}Headroom ${w.headroomPoints === null ? '-' : `${w.headroomPoints.toFixed(2)} points`}.`, '');
    out.push(`| ${HEADER.slice(1).join(' | ')} |`, `|${HEADER.slice(1).map(() => '---').join('|')}|`);
    for (const p of w.policies) out.push(`| ${cells('', p).slice(1).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}

/** The documented JSON shape (fractions for accuracy-like shares, points for Δ and headroom). */
export function suiteJson(r: SuiteResult): object {
  return {
    suite: r.suite, model: r.model, split: r.split, seed: r.seed, episodes: r.episodes, runSeconds: r.runSeconds,
    scenarios: r.scenarios.map((w) => ({
      name: w.name, description: w.description, headroomPoints: w.headroomPoints, episodes: w.episodes, requestsPerEpisode: w.requestsPerEpisode,
      policies: w.policies.map((p) => ({
        policy: p.policy, accuracy: p.accuracy, hitRate: p.hitRate, meanLatencyMs: p.meanLatencyMs, p95LatencyMs: p.p95LatencyMs,
        energyMjPerRequest: p.energyMjPerRequest, meanReward: p.meanReward, rewardVsOracle: p.rewardVsOracle,
        deltaVsEdgent: p.deltaVsEdgent, deltaVsCalibrated: p.deltaVsCalibrated, headroomCaptured: p.headroomCaptured,
      })),
    })),
  };
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** The forest plot's axis is clipped here (points): the interesting differences are near 0, and one −88 would flatten them. */
const FOREST_CLIP = 10;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A forest plot: one row per world, each policy's Δ with its CI as a bar, zero marked. */
function forestPlot(r: SuiteResult, policies: readonly string[]): string {
  const rowH = 12 * Math.max(1, policies.length) + 8, W = 900, left = 190, right = 20, top = 30;
  const H = top + rowH * r.scenarios.length + 30;
  const all = r.scenarios.flatMap((w) => w.policies.filter((p) => policies.includes(p.policy) && p.deltaVsEdgent).flatMap((p) => [p.deltaVsEdgent!.lo, p.deltaVsEdgent!.hi])).filter(Number.isFinite);
  const lo = Math.max(-FOREST_CLIP, Math.min(-1, ...all)), hi = Math.min(FOREST_CLIP, Math.max(1, ...all));
  const sx = (x: number) => left + ((Math.min(Math.max(x, lo), hi) - lo) / (hi - lo)) * (W - left - right);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="16" font-size="13" font-weight="bold">Δ accuracy vs Edgent, points (95% CI clustered by episode)</text>`,
    `<line x1="${sx(0)}" x2="${sx(0)}" y1="${top}" y2="${H - 30}" stroke="#888"/>`,
    `<text x="${sx(lo)}" y="${H - 12}">${lo.toFixed(1)}</text><text x="${sx(hi)}" y="${H - 12}" text-anchor="end">${hi.toFixed(1)}</text><text x="${sx(0)}" y="${H - 12}" text-anchor="middle">0</text>`];
  r.scenarios.forEach((w, i) => {
    const y0 = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y0 + rowH / 2 + 4}" text-anchor="end">${esc(w.name)}</text><line x1="${left}" x2="${W - right}" y1="${y0}" y2="${y0}" stroke="#eee"/>`);
    policies.forEach((name, k) => {
      const d = w.policies.find((p) => p.policy === name)?.deltaVsEdgent;
      if (!d) return;
      const y = y0 + 8 + k * 12, c = COLORS[k % COLORS.length]!;
      parts.push(`<line x1="${sx(d.lo).toFixed(1)}" x2="${sx(d.hi).toFixed(1)}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="2"/><circle cx="${sx(d.mean).toFixed(1)}" cy="${y}" r="3" fill="${c}"/>`);
      // off the clipped axis: an arrow at the edge and the value
      if (d.mean < lo) parts.push(`<text x="${sx(lo) + 6}" y="${y + 4}" fill="${c}">◀ ${signed(d.mean, 1)}</text>`);
      if (d.mean > hi) parts.push(`<text x="${sx(hi) - 6}" y="${y + 4}" fill="${c}" text-anchor="end">${signed(d.mean, 1)} ▶</text>`);
    });
  });
  policies.forEach((name, k) => parts.push(`<rect x="${W - right - 150}" y="${top + 4 + k * 14}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/><text x="${W - right - 136}" y="${top + 13 + k * 14}">${esc(name)}</text>`));
  parts.push('</svg>');
  return parts.join('');
}

/** The HTML page: the setup, a forest plot of Δ, accuracy and headroom captured per world, and the tables. */
export function renderSuiteHtml(r: SuiteResult): string {
  const policies = [...new Set(r.scenarios.flatMap((w) => w.policies.map((p) => p.policy)))];
  const compared = policies.filter((p) => p !== 'edgent');
  const byWorld = (pick: (p: SuitePolicyRow) => number | null, names: readonly string[]): Series[] => names.map((name, k) => ({
    name, color: COLORS[k % COLORS.length]!, style: 'line' as const,
    points: r.scenarios.map((w, i) => [i, pick(w.policies.find((p) => p.policy === name) ?? ({} as SuitePolicyRow)) ?? Number.NaN] as const),
  }));
  const legend = r.scenarios.map((w, i) => `${i}: ${esc(w.name)}`).join(' · ');
  const md = formatSuiteMarkdown(r).split('\n');
  const tables = r.scenarios.map((w) => `<h3>${esc(w.name)} — headroom ${w.headroomPoints === null ? '-' : `${w.headroomPoints.toFixed(2)} pts`}</h3>${w.description ? `<p>${esc(w.description)}</p>` : ''}<table><tr>${HEADER.slice(1).map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${w.policies.map((p) => `<tr>${cells('', p).slice(1).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>coinfer suite ${esc(r.suite)}</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}svg{display:block;margin:1em 0}</style></head><body>
<h1>coinfer suite ${esc(r.suite)}</h1><p>${esc(md[2] ?? '')}</p><p>${esc(md[4] ?? '')}</p>
${forestPlot(r, compared)}
${svgChart(byWorld((p) => (p.accuracy === undefined ? null : 100 * p.accuracy), policies), { title: 'accuracy (correct within the deadline) per world, %', xLabel: 'world', yLabel: '%' })}
${svgChart(byWorld((p) => (p.headroomCaptured === undefined || p.headroomCaptured === null ? null : 100 * p.headroomCaptured), compared.filter((p) => p !== 'oracle')), { title: 'share of the oracle − Edgent headroom captured, %', xLabel: 'world', yLabel: '%' })}
<p>worlds: ${legend}</p>
${tables.join('\n')}
</body></html>`;
}
