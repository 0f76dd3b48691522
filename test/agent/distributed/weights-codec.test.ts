import { describe, expect, it } from 'vitest';
import { checkWeightsCompatible, decodeWeights, encodeWeights, type WeightsMessage } from '../../../agent/distributed/weights-codec.ts';
import { thrownCoinferError } from '../../helpers/thrown.ts';

const objective = { rewardKind: 'normalized-accuracy', missPenalty: -1, energyLambdaPerJ: 0 };
const message: WeightsMessage = {
  runId: 'r1', version: 3, envSteps: 1000, gradientSteps: 12, objective, observationVersion: 2, observationSize: 2, actionCount: 3,
  weights: [{ name: 'q/kernel', shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) }, { name: 'q/bias', shape: [3], values: Float32Array.from([0.5, -1, 2]) }],
};
const expectation = { objective, observationVersion: 2, observationSize: 2, actionCount: 3 };

describe('weights codec', () => {
  it('round-trips the header and every tensor', () => {
    const d = decodeWeights(encodeWeights(message));
    expect({ ...d, weights: d.weights.map((w) => ({ ...w, values: Array.from(w.values) })) }).toEqual({ ...message, weights: message.weights.map((w) => ({ ...w, values: Array.from(w.values) })) });
  });

  it('accepts weights of the actor\'s own objective and observation version', () => {
    expect(() => checkWeightsCompatible(message, expectation)).not.toThrow();
  });

  it('refuses weights trained for another objective (reward kind, miss penalty or λ) or another observation version', () => {
    thrownCoinferError(() => checkWeightsCompatible(message, { ...expectation, objective: { ...objective, energyLambdaPerJ: 0.5 } }), 'ERR_WEIGHTS_INCOMPATIBLE');
    thrownCoinferError(() => checkWeightsCompatible(message, { ...expectation, objective: { ...objective, rewardKind: 'correctness' } }), 'ERR_WEIGHTS_INCOMPATIBLE');
    thrownCoinferError(() => checkWeightsCompatible(message, { ...expectation, objective: { ...objective, missPenalty: -2 } }), 'ERR_WEIGHTS_INCOMPATIBLE');
    thrownCoinferError(() => checkWeightsCompatible(message, { ...expectation, observationVersion: 1 }), 'ERR_WEIGHTS_INCOMPATIBLE');
  });

  it('refuses bytes that are not a weights message, and a truncated one', () => {
    const bytes = encodeWeights(message);
    thrownCoinferError(() => decodeWeights(new Uint8Array(16)), 'ERR_FRAME_BAD_MAGIC');
    thrownCoinferError(() => decodeWeights(bytes.subarray(0, bytes.byteLength - 4)), 'ERR_FRAME_MALFORMED');
  });
});
