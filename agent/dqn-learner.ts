/**
 * The DQN update on one page (CleanRL's `dqn.py` training block, with Rainbow's pieces):
 *
 *   trainRound: for each of `gradientSteps`:
 *     batch   = memory.sample(B, β)                 uniform, or PER: P(i) ∝ p_i^α, w_i = (p_i/p_min)^−β
 *     a*      = argmax_{a′ valid} Q_online(s′, a′)   double DQN (plain DQN: Q_target)
 *     y       = R + d · Q_target(s′, a*)             R, d = γ^k (0 after termination): n-step rows
 *     δ       = y − Q_online(s, a)                   Q = V + A − mean A: the dueling net (q-network.ts)
 *     loss    = mean_i w_i · Huber_κ(δ_i)            gradients clipped to a global L2 norm, Adam
 *     memory.updatePriorities(batch, |δ|)            PER only
 *     every `targetUpdateEvery` gradient steps: target ← τ·online + (1 − τ)·target
 *
 * Owns every tensor it creates; all maths runs inside `tf.tidy`. Does no I/O.
 */
import type * as TfNs from '@tensorflow/tfjs';
import { CoinferError } from '../common/errors.ts';
import type { Rng } from '../common/rng.ts';
import type { Tf } from '../common/tf-backend.ts';
import type { DqnConfig } from './dqn-config.ts';
import type { DqnLearnerOptions, OptimizerState, TrainRoundResult, TrainStepResult } from './dqn-learner-types.ts';
import { linearSchedule } from './epsilon-schedule.ts';
import { copyWeights, createQNetwork, readWeights, writeWeights, type LayersModel, type NetworkWeights, type QNetworkSpec } from './q-network.ts';
import type { ReplayMemory, TransitionBatch } from './replay-memory.ts';

/** Q of a masked-out action: large and negative but finite, so 0 · it stays 0 (−Infinity · 0 = NaN). */
const MASKED_Q = -1e9;

export type { DqnLearnerOptions, OptimizerState, TrainRoundResult, TrainStepResult } from './dqn-learner-types.ts';

export class DqnLearner {
  readonly config: DqnConfig;
  readonly spec: QNetworkSpec;
  /** The network trained and acted with. */
  readonly onlineNet: LayersModel;
  /** The slowly updated copy that evaluates bootstrap targets. */
  readonly targetNet: LayersModel;
  readonly #tf: Tf;
  readonly #optimizer: TfNs.Optimizer;
  readonly #vars: TfNs.Variable[];
  #gradientSteps = 0;
  #disposed = false;

  /** @example const learner = new DqnLearner(tf, { config: resolveDqnConfig(), observationSize: 8, actionCount: 4 }); */
  constructor(tf: Tf, options: DqnLearnerOptions) {
    this.#tf = tf;
    this.config = options.config;
    this.spec = { observationSize: options.observationSize, actionCount: options.actionCount, hidden: options.config.hidden, dueling: options.config.dueling };
    this.onlineNet = createQNetwork(tf, this.spec, options.config.seed);
    this.targetNet = createQNetwork(tf, this.spec, options.config.seed);
    if (options.initialWeights) writeWeights(tf, this.onlineNet, options.initialWeights);
    copyWeights(tf, this.targetNet, this.onlineNet);
    // LayerVariable.read() is the tf.Variable itself, which variableGrads differentiates against.
    this.#vars = this.onlineNet.trainableWeights.map((w) => w.read() as TfNs.Variable);
    this.#optimizer = tf.train.adam(options.config.learningRate);
  }

  /** Gradient steps taken so far. */
  get gradientSteps(): number {
    return this.#gradientSteps;
  }

  /**
   * Adam's state as fresh typed arrays (empty moments before the first step: Adam allocates
   * them lazily), with the gradient-step count, for saving (agent/learner-state.ts).
   */
  async exportOptimizerState(): Promise<OptimizerState> {
    this.#check();
    const named = await this.#optimizer.getWeights(); // [iter (int32 scalar, a fresh tensor), m…, v…]
    const [iter, ...moments] = named;
    const iterations = (await iter!.tensor.data())[0]!;
    iter!.tensor.dispose();
    const acc = this.#accBetas();
    return {
      gradientSteps: this.#gradientSteps,
      iterations,
      accBeta1: acc ? (acc[0].dataSync() as Float32Array)[0]! : null,
      accBeta2: acc ? (acc[1].dataSync() as Float32Array)[0]! : null,
      moments: moments.map((m) => ({ shape: [...m.tensor.shape], values: Float32Array.from(m.tensor.dataSync() as Float32Array) })),
    };
  }

  /**
   * Restores a saved Adam state and gradient-step count (the network weights come separately).
   * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE when the moments do not match the network's variables.
   */
  async importOptimizerState(state: OptimizerState): Promise<void> {
    this.#check();
    const tf = this.#tf;
    const shapes = this.#vars.map((v) => v.shape);
    const expected = state.moments.length === 0 ? 0 : 2 * shapes.length;
    const ok = state.moments.length === expected && state.moments.every((m, i) => {
      const s = shapes[i % shapes.length]!;
      return m.shape.length === s.length && m.shape.every((d, k) => d === s[k]) && m.values.length === m.shape.reduce((x, y) => x * y, 1);
    });
    if (!ok) {
      throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Expected Adam moments for ${shapes.length} variables of shapes ${JSON.stringify(shapes)} (twice), actually ${state.moments.length} of shapes ${JSON.stringify(state.moments.map((m) => m.shape))}: the learner state belongs to another network`);
    }
    this.#gradientSteps = state.gradientSteps;
    if (state.moments.length === 0) return; // saved before the first step: nothing allocated yet
    const tensors = [tf.scalar(state.iterations, 'int32'), ...state.moments.map((m) => tf.tensor(m.values, [...m.shape]))];
    const names = (await this.#optimizer.getWeights()).map((w) => w.name);
    await this.#optimizer.setWeights(tensors.map((tensor, i) => ({ name: names[i] ?? `moment_${i}`, tensor })));
    tensors.forEach((t) => t.dispose()); // setWeights copied them into variables
    // setWeights recomputes β^t with pow(); the original accumulated it by repeated float32
    // multiplication, which differs in the last bits: put back the saved values so a resumed
    // run's updates equal the uninterrupted run's.
    const acc = this.#accBetas();
    if (acc && state.accBeta1 !== null && state.accBeta2 !== null) {
      tf.tidy(() => {
        acc[0].assign(tf.scalar(state.accBeta1!));
        acc[1].assign(tf.scalar(state.accBeta2!));
      });
    }
  }

  /** Adam's running β1^t, β2^t variables (tfjs keeps them unexported; null if that ever changes). */
  #accBetas(): readonly [TfNs.Variable, TfNs.Variable] | null {
    const o = this.#optimizer as unknown as { accBeta1?: TfNs.Variable; accBeta2?: TfNs.Variable };
    return o.accBeta1 && o.accBeta2 ? [o.accBeta1, o.accBeta2] : null;
  }

  /** Q-values of one observation under the online net (length actionCount; tests and probes: acting uses ActingPolicy). */
  qValues(observation: Float32Array): Float32Array {
    this.#check();
    if (observation.length !== this.spec.observationSize) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an observation of length ${this.spec.observationSize}, actually ${observation.length}`);
    }
    const tf = this.#tf;
    const q = tf.tidy(() => this.onlineNet.apply(tf.tensor2d(observation, [1, this.spec.observationSize])) as TfNs.Tensor);
    const values = Float32Array.from(q.dataSync() as Float32Array);
    q.dispose();
    return values;
  }

  /**
   * One train round: `gradientSteps` × (sample, gradient step, priority update, target update on
   * schedule). The caller checks that the memory holds at least a batch.
   * @param envSteps env steps collected so far (anneals PER's β).
   */
  trainRound(memory: ReplayMemory, rng: Rng, envSteps: number): TrainRoundResult {
    const c = this.config;
    const per = c.prioritized;
    const beta = per ? linearSchedule({ start: per.beta0, end: 1, durationSteps: per.betaSteps }, envSteps) : 1;
    let tdLoss = 0;
    let meanQ = 0;
    let targetUpdated = false;
    for (let g = 0; g < c.gradientSteps; g++) {
      const batch = memory.sample(c.batchSize, rng, { beta });
      const r = this.trainStep(batch);
      memory.updatePriorities(batch.indices, r.tdErrors);
      tdLoss += r.tdLoss;
      meanQ += r.meanQ;
      if (this.#gradientSteps % c.targetUpdateEvery === 0) {
        this.syncTarget();
        targetUpdated = true;
      }
    }
    return { tdLoss: tdLoss / c.gradientSteps, meanQ: meanQ / c.gradientSteps, gradientSteps: this.#gradientSteps, targetUpdated };
  }

  /** One gradient step on `batch`. Does not touch the target net (see `syncTarget`). */
  trainStep(batch: TransitionBatch): TrainStepResult {
    this.#check();
    const tf = this.#tf;
    const { observationSize: o, actionCount: a } = this.spec;
    const b = batch.size;
    if (batch.observations.length !== b * o || batch.nextActionMasks.length !== b * a) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a batch for observationSize ${o} and actionCount ${a}, actually ${batch.observations.length / b} and ${batch.nextActionMasks.length / b}`);
    }
    const kept: TfNs.Tensor[] = []; // |δ| and mean Q escape variableGrads' scope through tf.keep
    const packed = tf.tidy(() => {
      const obs = tf.tensor2d(batch.observations, [b, o]);
      const target = this.#target(batch);
      const taken = tf.oneHot(tf.tensor1d(batch.actions, 'int32'), a).toFloat();
      const isWeights = tf.tensor1d(batch.weights);
      const { value, grads } = tf.variableGrads(() => {
        const q = this.onlineNet.apply(obs, { training: true }) as TfNs.Tensor2D;
        const qTaken = tf.sum(tf.mul(q, taken), 1);
        const delta = tf.sub(target, qTaken);
        kept.push(tf.keep(tf.abs(delta)), tf.keep(tf.mean(qTaken)));
        return tf.mean(tf.mul(isWeights, this.#huber(delta))) as TfNs.Scalar;
      }, this.#vars);
      this.#optimizer.applyGradients(this.#clip(grads));
      return tf.concat([tf.stack([value, kept[1]!]), kept[0]!]);
    });
    kept.forEach((t) => t.dispose());
    const out = packed.dataSync() as Float32Array;
    const result = { tdLoss: out[0]!, meanQ: out[1]!, tdErrors: Float32Array.from(out.subarray(2)) };
    packed.dispose();
    this.#gradientSteps++;
    return result;
  }

  /** target ← τ·online + (1 − τ)·target (τ from the config unless given; 1 = hard copy). */
  syncTarget(tau: number = this.config.tau): void {
    this.#check();
    copyWeights(this.#tf, this.targetNet, this.onlineNet, tau);
  }

  /** The online weights as fresh typed arrays (to hot-swap into an acting copy). */
  getWeights(): NetworkWeights {
    this.#check();
    return readWeights(this.onlineNet);
  }

  /** Replaces the online weights and hard-copies them into the target net. */
  setWeights(weights: NetworkWeights): void {
    this.#check();
    writeWeights(this.#tf, this.onlineNet, weights);
    copyWeights(this.#tf, this.targetNet, this.onlineNet);
  }

  /** Overwrites the target net only (restoring a saved learner state, whose target lags the online net). */
  setTargetWeights(weights: NetworkWeights): void {
    this.#check();
    writeWeights(this.#tf, this.targetNet, weights);
  }

  /** Releases both networks and the optimizer state. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.onlineNet.dispose();
    this.targetNet.dispose();
    this.#optimizer.dispose();
  }

  /** y = r + discount · Q_target(s', a*), a* = argmax over valid a' of Q_online (double) or Q_target. */
  #target(batch: TransitionBatch): TfNs.Tensor1D {
    const tf = this.#tf;
    const { observationSize: o, actionCount: a } = this.spec;
    const b = batch.size;
    const nextObs = tf.tensor2d(batch.nextObservations, [b, o]);
    const mask = tf.tensor2d(batch.nextActionMasks, [b, a], 'bool');
    const masked = (q: TfNs.Tensor) => tf.where(mask, q, tf.fill([b, a], MASKED_Q));
    const qNextTarget = this.targetNet.apply(nextObs) as TfNs.Tensor2D;
    const selector = this.config.double ? (this.onlineNet.apply(nextObs) as TfNs.Tensor2D) : qNextTarget;
    const best = tf.oneHot(tf.argMax(masked(selector), 1), a).toFloat();
    // A next state with no valid action has no future value (and keeps MASKED_Q out of targets).
    const hasAction = tf.any(mask, 1).toFloat();
    const next = tf.mul(tf.sum(tf.mul(qNextTarget, best), 1), hasAction);
    return tf.add(tf.tensor1d(batch.rewards), tf.mul(tf.tensor1d(batch.discounts), next));
  }

  /** Huber loss per element: ½δ² for |δ| ≤ κ, κ(|δ| − ½κ) above. */
  #huber(delta: TfNs.Tensor): TfNs.Tensor {
    const tf = this.#tf;
    const k = this.config.huberDelta;
    const abs = tf.abs(delta);
    const quad = tf.minimum(abs, k);
    return tf.add(tf.mul(0.5, tf.square(quad)), tf.mul(k, tf.sub(abs, quad)));
  }

  /** Scales all gradients by min(1, clip / ‖g‖₂) over the concatenation of all of them. */
  #clip(grads: TfNs.NamedTensorMap): TfNs.NamedTensorMap {
    const clip = this.config.gradClipNorm;
    if (clip === null) return grads;
    const tf = this.#tf;
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))));
    const scale = tf.div(clip, tf.maximum(norm, clip));
    const out: TfNs.NamedTensorMap = {};
    for (const n of names) out[n] = tf.mul(grads[n]!, scale);
    return out;
  }

  #check(): void {
    if (this.#disposed) throw new CoinferError('ERR_INVALID_ARGUMENT', 'DqnLearner used after dispose(): create a new learner');
  }
}
