import { describe, expect, it } from 'vitest';
import { renderDemoReport } from '../../../cli/report/demo-report.ts';
import { svgChart } from '../../../cli/report/svg-plot.ts';
import { summarizeOutcomes } from '../../../policies/evaluate-policies.ts';
import type { RequestOutcome } from '../../../env/step-info.ts';

const outcome = (totalMs: number, deadlineMs: number, correct: boolean): RequestOutcome => ({
  action: { exit: 5, partition: 0, encoding: 'uint8' }, actionIndex: 0, deadlineMs, deviceMs: 0, uplinkMs: totalMs / 2, edgeMs: totalMs / 2,
  totalMs, bytes: 800, energyMj: 10, hit: totalMs <= deadlineMs, correct, fallback: false, answeredExit: 5, imageIndex: 0, traceName: 't', traceTimeS: 0,
});

describe('summarizeOutcomes', () => {
  it('counts accuracy as correct and on time, and caps stalled latencies at 10× the deadline', () => {
    const s = summarizeOutcomes('p', [
      { outcome: outcome(50, 100, true), reward: 1, label: 'a' },
      { outcome: outcome(150, 100, true), reward: -1, label: 'a' },
      { outcome: outcome(60, 100, false), reward: 0, label: 'b' },
      { outcome: outcome(Infinity, 100, false), reward: -1, label: 'b' },
    ]);
    expect(s.accuracy).toBe(0.25);
    expect(s.hitRate).toBe(0.5);
    expect(s.meanLatencyMs).toBe((50 + 150 + 60 + 1000) / 4);
    expect(s.meanReward).toBe(-0.25);
    expect(s.actionCounts).toEqual({ a: 2, b: 2 });
  });
});

describe('renderDemoReport', () => {
  it('renders tables and charts and escapes text', () => {
    const row = summarizeOutcomes('<dqn>', [{ outcome: outcome(50, 100, true), reward: 1, label: 'e5/p0/uint8' }]);
    const html = renderDemoReport({
      title: 'T & <b>', setup: ['x<y'], live: [row], replay: [row],
      requests: { '<dqn>': [{ traceTimeS: 0, traceMbps: 1, estimateMbps: 0.9, action: 'e5/p0/uint8', totalMs: 50, deadlineMs: 100, hit: true, correct: true, fallback: false }] },
    });
    expect(html).toContain('T &amp; &lt;b&gt;');
    expect(html).not.toContain('<b>');
    expect(html.match(/<svg/g)!.length).toBe(3);
    expect(html).toContain('&lt;dqn&gt;');
  });

  it('draws one path per line series and skips non-finite points', () => {
    const svg = svgChart([{ name: 's', color: '#000', style: 'line', points: [[0, 1], [1, Number.NaN], [2, 3]] }], { title: 't', xLabel: 'x', yLabel: 'y' });
    expect(svg.match(/<path/g)!.length).toBe(1);
    expect(svg).not.toContain('NaN');
  });
});
