import { beforeAll, describe, it, expect } from 'vitest';
import { copyWeights, createQNetwork, inferQNetworkSpec, readWeights, writeWeights } from '../../agent/q-network.ts';
import { thrownCoinferError } from '../helpers/thrown.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const spec = { observationSize: 5, actionCount: 4, hidden: [8, 6], dueling: true };
const q = (model: ReturnType<typeof createQNetwork>, rows: number[][]): Float32Array =>
  tf.tidy(() => (model.apply(tf.tensor2d(rows)) as ReturnType<typeof tf.tensor>).dataSync() as Float32Array);

describe('createQNetwork', () => {
  it('builds the dueling head as V + A − mean(A): advantages are centred', () => {
    const net = createQNetwork(tf, spec, 3);
    const rows = [[0.1, 0.2, 0.3, 0.4, 0.5], [1, 0, -1, 0.5, 2]];
    const out = q(net, rows);
    // mean over actions of Q equals V (the value head's output)
    const v = tf.tidy(() => {
      const model = tf.model({ inputs: net.inputs, outputs: net.getLayer('value').output as never });
      return (model.predict(tf.tensor2d(rows)) as ReturnType<typeof tf.tensor>).dataSync();
    });
    for (let r = 0; r < 2; r++) {
      const mean = out.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0) / 4;
      expect(mean).toBeCloseTo(v[r]!, 5);
    }
    expect(inferQNetworkSpec(net)).toEqual(spec);
    net.dispose();
  });

  it('is reproducible from its seed', () => {
    const a = createQNetwork(tf, { ...spec, dueling: false }, 7);
    const b = createQNetwork(tf, { ...spec, dueling: false }, 7);
    expect(Array.from(q(a, [[1, 2, 3, 4, 5]]))).toEqual(Array.from(q(b, [[1, 2, 3, 4, 5]])));
    expect(inferQNetworkSpec(a)).toEqual({ ...spec, dueling: false });
    a.dispose();
    b.dispose();
  });
});

describe('copyWeights', () => {
  it('hard-copies and soft-updates weight by weight (frozen dueling layers included, tfjs #1807)', () => {
    const a = createQNetwork(tf, spec, 1);
    const b = createQNetwork(tf, spec, 2);
    const wa = readWeights(a);
    const wb = readWeights(b);
    copyWeights(tf, b, a, 0.25);
    readWeights(b).forEach((w, i) => {
      for (let k = 0; k < w.values.length; k += 7) expect(w.values[k]).toBeCloseTo(0.25 * wa[i]!.values[k]! + 0.75 * wb[i]!.values[k]!, 6);
    });
    copyWeights(tf, b, a);
    expect(readWeights(b)).toEqual(wa);
    a.dispose();
    b.dispose();
  });

  it('rejects networks of different shapes', () => {
    const a = createQNetwork(tf, spec, 1);
    const b = createQNetwork(tf, { ...spec, hidden: [8] }, 1);
    for (const f of [() => copyWeights(tf, b, a), () => writeWeights(tf, b, readWeights(a))]) thrownCoinferError(f, 'ERR_INVALID_ARGUMENT');
    a.dispose();
    b.dispose();
  });

  it('round-trips weights through typed arrays', () => {
    const a = createQNetwork(tf, spec, 1);
    const b = createQNetwork(tf, spec, 9);
    writeWeights(tf, b, readWeights(a));
    expect(Array.from(q(b, [[1, 1, 1, 1, 1]]))).toEqual(Array.from(q(a, [[1, 1, 1, 1, 1]])));
    a.dispose();
    b.dispose();
  });
});
