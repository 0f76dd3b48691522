import { describe, expect, it } from 'vitest';
import type { EdgeCompute, EdgeResult, EdgeTask } from '../../../runtime/edge/edge-compute.ts';
import { EdgeScheduler, type EdgeJob, type JobOutcome } from '../../../runtime/edge/edge-scheduler.ts';
import { resolveEdgeServerConfig } from '../../../runtime/edge/edge-server-config.ts';

/** A compute whose batches finish only when the test says so. */
function fakeCompute(workers: number): { compute: EdgeCompute; batches: { tasks: readonly EdgeTask[]; finish(): void }[] } {
  const batches: { tasks: readonly EdgeTask[]; finish(): void }[] = [];
  let running = 0;
  const compute = {
    workers,
    get idleWorkers() { return workers - running; },
    runBatch(tasks: readonly EdgeTask[]): Promise<EdgeResult[]> {
      running++;
      return new Promise((resolve) => {
        batches.push({ tasks, finish: () => { running--; resolve(tasks.map(() => ({ numClasses: 1, predictedClasses: new Int32Array(1), probabilities: new Float32Array(1), realMs: 1, computeMs: 1 }))); } });
      });
    },
  } as unknown as EdgeCompute;
  return { compute, batches };
}

const task = (key: string, batch = 1): EdgeTask => ({ key, batch, targetMs: 0 } as unknown as EdgeTask);

function setup(o: { workers: number; seedMs: number; batchWaitMs?: number }) {
  const { compute, batches } = fakeCompute(o.workers);
  const outcomes: { id: number; outcome: JobOutcome }[] = [];
  const config = resolveEdgeServerConfig({ batchWaitMs: o.batchWaitMs ?? 0, maxBatchSamples: 4 });
  const s = new EdgeScheduler<number>({ compute, config, seedMs: new Map([['5/0', o.seedMs], ['5/3', o.seedMs]]), onOutcome: (job, outcome) => outcomes.push({ id: job.owner, outcome }) });
  const job = (id: number, key: string, budgetMs: number): EdgeJob<number> => ({ owner: id, task: task(key), receivedMs: performance.now(), giveUpAtMs: performance.now() + budgetMs, cancelled: false });
  return { s, batches, outcomes, job };
}

describe('EdgeScheduler', () => {
  it('batches queued requests of the same key and leaves other keys for the next worker', () => {
    const { s, batches, job } = setup({ workers: 1, seedMs: 1 });
    expect(s.submit(job(1, '5/0', 1000))).toBeNull(); // starts at once on the idle worker
    for (const [id, key] of [[2, '5/0'], [3, '5/3'], [4, '5/0'], [5, '5/0']] as const) expect(s.submit(job(id, key, 1000))).toBeNull();
    expect(batches).toHaveLength(1);
    batches[0]!.finish();
    return new Promise<void>((done) => setTimeout(() => {
      expect(batches).toHaveLength(2);
      expect(batches[1]!.tasks.map((t) => t.key)).toEqual(['5/0', '5/0', '5/0']);
      expect(s.stats.queuedRequests).toBe(1); // the 5/3 one waits for the worker
      done();
    }, 5));
  });

  it('refuses as busy when the predicted wait passes the budget, and admits when it fits', () => {
    const { s, job } = setup({ workers: 1, seedMs: 10 });
    expect(s.submit(job(1, '5/0', 1000))).toBeNull();
    for (let id = 2; id < 6; id++) expect(s.submit(job(id, '5/0', 1000))).toBeNull();
    const refused = s.submit(job(9, '5/0', 12));
    expect(refused?.code).toBe('ERR_EDGE_BUSY');
    expect(s.stats.busy).toBe(1);
  });

  it('drops queued work that can no longer finish in time, answering ERR_DEADLINE_EXCEEDED, and never runs it', async () => {
    const { s, batches, outcomes, job } = setup({ workers: 1, seedMs: 10 });
    expect(s.submit(job(1, '5/0', 1000))).toBeNull();
    expect(s.submit(job(2, '5/0', 40))).toBeNull(); // fits now: ~5 ms wait + 10 ms
    await new Promise((r) => setTimeout(r, 45));
    batches[0]!.finish();
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toHaveLength(1);
    expect(outcomes.map((o) => [o.id, o.outcome.ok ? 'OK' : o.outcome.error.code])).toEqual([[1, 'OK'], [2, 'ERR_DEADLINE_EXCEEDED']]);
    expect(s.stats.expired).toBe(1);
  });

  it('counts an answer finished after its give-up time, or cancelled while running, as wasted', async () => {
    const { s, batches, outcomes, job } = setup({ workers: 2, seedMs: 1 });
    const late = job(1, '5/0', 5);
    const cancelled = job(2, '5/3', 1000);
    s.submit(late);
    s.submit(cancelled);
    s.cancel(cancelled);
    await new Promise((r) => setTimeout(r, 10));
    for (const b of batches) b.finish();
    await new Promise((r) => setTimeout(r, 5));
    expect(s.stats.samplesComputed).toBe(2);
    expect(s.stats.samplesWasted).toBe(2);
    expect(outcomes.map((o) => o.id)).toEqual([1]); // the cancelled one is never answered
  });
});

describe('EdgeScheduler batch size', () => {
  it('keeps a request out of a batch that would finish after its give-up time', async () => {
    const { s, batches, job } = setup({ workers: 1, seedMs: 10 });
    expect(s.submit(job(1, '5/0', 1000))).toBeNull(); // occupies the worker
    expect(s.submit(job(2, '5/0', 20))).toBeNull(); // predicted 5 ms wait + 10 ms: admitted
    for (const id of [3, 4, 5]) expect(s.submit(job(id, '5/0', 1000))).toBeNull();
    // Seeded at 10 ms: 2 fixed + 8 per sample. With request 2 at the head, a batch of two
    // (about 16 ms once the first fast batch has nudged the averages) ends before its give-up at
    // 20 ms; three (about 23 ms) would not.
    batches[0]!.finish();
    await new Promise((r) => setTimeout(r, 5));
    expect(batches[1]!.tasks).toHaveLength(2);
  });
});
