import { describe, it, expect } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { alexNetSpec } from '../../../runtime/model/architecture.ts';
import { planExecution } from '../../../runtime/model/execution-plan.ts';
import { buildManifest } from '../../../runtime/model/manifest-build.ts';

const manifest = buildManifest({
  spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), onnx: new Uint8Array(1), dataset: 'x',
  preprocessing: { scale: 1 / 255, mean: [0], std: [1] }, classNames: Array.from({ length: 10 }, (_, i) => String(i)),
  provenance: { dataset: 'x', trainingCommand: null, gitCommit: null, date: '2026-01-01' },
});

describe('planExecution', () => {
  it('plans a local action (partition ≥ branch stage) as input → exit on the device', () => {
    const p = planExecution(manifest, { exit: 2, partition: 9, encoding: 'int8' });
    expect(p).toEqual({
      action: { exit: 2, partition: 6, encoding: 'f32' }, local: true,
      device: { from: 'input', to: 'exit2' }, edge: null, crossing: null, exitOutput: 'exit2',
    });
  });

  it('plans partition 0 as sending the raw input to the edge', () => {
    const p = planExecution(manifest, { exit: 5, partition: 0, encoding: 'f32' });
    expect(p.action.encoding).toBe('uint8');
    expect(p.local).toBe(false);
    expect(p.device).toBeNull();
    expect(p.edge).toEqual({ from: 'input', to: 'exit5' });
    expect(p.crossing).toEqual({ tensor: 'input', shape: [1, 28, 28], elements: 784 });
  });

  it('plans mid partitions as prefix on the device and suffix on the edge', () => {
    const p = planExecution(manifest, { exit: 5, partition: 6, encoding: 'f16' });
    expect(p.device).toEqual({ from: 'input', to: 'lrn2' });
    expect(p.edge).toEqual({ from: 'lrn2', to: 'exit5' });
    expect(p.crossing).toEqual({ tensor: 'lrn2', shape: [64, 7, 7], elements: 64 * 49 });
    expect(p.exitOutput).toBe('exit5');
    const q = planExecution(manifest, { exit: 4, partition: 7, encoding: 'int8' });
    expect(q.crossing?.tensor).toBe('conv3');
    expect(q.edge).toEqual({ from: 'conv3', to: 'exit4' });
    expect(planExecution(manifest, { exit: 5, partition: 11, encoding: 'f32' }).crossing).toEqual({ tensor: 'fc1', shape: [256], elements: 256 });
  });

  it('rejects invalid actions with ERR_INVALID_ACTION', () => {
    for (const a of [{ exit: 6, partition: 0 }, { exit: 1, partition: 13 }, { exit: 5, partition: 3, encoding: 'uint8' }]) {
      let err: unknown;
      try {
        planExecution(manifest, { encoding: 'f32', ...a } as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CoinferError);
      expect((err as CoinferError).code).toBe('ERR_INVALID_ACTION');
    }
  });
});
