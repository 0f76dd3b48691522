/**
 * The edge's inference work, apart from any networking: checks a decoded request against the
 * model (model id, action, shape), then runs the suffix sub-model (partition tensor → exit
 * output) through a SessionCache, stretched to the edge profile when it is emulated.
 */
import { CoinferError } from '../../common/errors.ts';
import { planExecution, type ExecutionPlan } from '../model/execution-plan.ts';
import type { ModelPackage } from '../model/model-package.ts';
import { preprocess } from '../model/preprocess.ts';
import { SessionCache } from '../model/session-cache.ts';
import type { RequestFrame } from '../wire/protocol.ts';
import { decodeTensor } from '../wire/tensor-codec.ts';
import { argmaxRows } from '../device/argmax-rows.ts';
import { emulatedMs, layersOfRange, profileRegression, runStretched, type EdgeComputeProfile } from '../device/compute-profile.ts';

/** A checked request, ready to run. */
export interface EdgeTask {
  readonly request: RequestFrame;
  readonly plan: ExecutionPlan;
  /** Samples in the request (dims[0]). */
  readonly batch: number;
  /** The emulated compute time of this task, ms (0 under `native`). */
  readonly targetMs: number;
}

/** The outcome of one task. */
export interface EdgeResult {
  readonly numClasses: number;
  readonly predictedClasses: Int32Array;
  /** batch × numClasses. */
  readonly probabilities: Float32Array;
  /** Real ORT time (incl. decoding), ms. */
  readonly realMs: number;
  /** Reported compute time (≥ the emulated target), ms. */
  readonly computeMs: number;
}

interface PlanEntry {
  readonly plan: ExecutionPlan;
  /** Emulated ms per sample. */
  readonly perSampleMs: number;
}

export class EdgeCompute {
  readonly pkg: ModelPackage;
  readonly profile: EdgeComputeProfile;
  readonly #sessions: SessionCache;
  readonly #plans = new Map<string, PlanEntry>();

  /**
   * @param opts.pkg the model package this edge serves
   * @param opts.profile `native`, or `edgent-desktop` (emulated)
   * @param opts.intraOpNumThreads ORT threads per session (1 when device and edge share a machine)
   */
  constructor(opts: { pkg: ModelPackage; profile: EdgeComputeProfile; intraOpNumThreads: number }) {
    this.pkg = opts.pkg;
    this.profile = opts.profile;
    this.#sessions = new SessionCache(opts.pkg.onnx, { intraOpNumThreads: opts.intraOpNumThreads });
  }

  /** True when compute times are stretched to a profile. */
  get emulated(): boolean {
    return this.profile !== 'native';
  }

  #entry(exit: number, partition: number): PlanEntry {
    const key = `${exit}/${partition}`;
    let e = this.#plans.get(key);
    if (e === undefined) {
      const { manifest } = this.pkg;
      const plan = planExecution(manifest, { exit, partition, encoding: partition === 0 ? 'uint8' : 'f32' });
      const layers = layersOfRange(manifest, { afterStage: partition, throughStage: manifest.exits[exit - 1]!.branchStage, exit });
      e = { plan, perSampleMs: emulatedMs(profileRegression(this.profile), layers) };
      this.#plans.set(key, e);
    }
    return e;
  }

  /**
   * Checks a framed request against the model.
   * @throws CoinferError ERR_FRAME_UNKNOWN_MODEL (other model id), ERR_FRAME_BAD_ACTION (exit
   *   or partition out of range, nothing left for the edge, or an encoding the partition
   *   cannot carry), ERR_FRAME_WRONG_SHAPE (dims ≠ [batch, ...crossing shape])
   */
  validate(request: RequestFrame): EdgeTask {
    const { manifest, modelId } = this.pkg;
    if (request.modelId !== modelId) {
      throw new CoinferError('ERR_FRAME_UNKNOWN_MODEL', `Expected model id ${modelId} (${manifest.name}), actually ${request.modelId}; device and edge must load the same model package`);
    }
    const { exit, partition, encoding } = request;
    const ex = manifest.exits[exit - 1];
    if (ex === undefined || partition > manifest.stages.length) {
      throw new CoinferError('ERR_FRAME_BAD_ACTION', `Expected exit in [1, ${manifest.exits.length}] and partition in [0, ${manifest.stages.length}], actually exit ${exit}, partition ${partition}`);
    }
    if (partition >= ex.branchStage) {
      throw new CoinferError('ERR_FRAME_BAD_ACTION', `Exit ${exit} branches at stage ${ex.branchStage}: at partition ${partition} the device finishes locally and must not send anything`);
    }
    if ((partition === 0) !== (encoding === 'uint8')) {
      throw new CoinferError('ERR_FRAME_BAD_ACTION', `Encoding ${encoding} does not fit partition ${partition}: the raw input (partition 0) travels as uint8, activations as f32, f16 or int8`);
    }
    const { plan, perSampleMs } = this.#entry(exit, partition);
    const shape = plan.crossing!.shape;
    const [batch, ...rest] = request.dims;
    if (rest.join() !== shape.join()) {
      throw new CoinferError('ERR_FRAME_WRONG_SHAPE', `Expected dims [N,${shape.join(',')}] for partition ${partition} (${plan.crossing!.tensor}), actually [${request.dims.join(',')}]`);
    }
    return { request, plan, batch: batch!, targetMs: batch! * perSampleMs };
  }

  /** Creates the sessions of every (partition, exit) the edge can be asked for. */
  async warmAll(): Promise<void> {
    const { manifest } = this.pkg;
    for (const ex of manifest.exits) {
      for (let p = 0; p < ex.branchStage; p++) {
        const { edge } = this.#entry(ex.index, p).plan;
        await this.#sessions.warm(edge!.from, edge!.to);
      }
    }
  }

  /**
   * Decodes (or preprocesses raw input), runs the suffix, and stretches to the profile.
   * @throws (rejects) whatever ORT raises; the server reports it as ERR_EDGE_INTERNAL
   */
  async run(task: EdgeTask): Promise<EdgeResult> {
    const { request, plan, batch } = task;
    const { manifest } = this.pkg;
    const numClasses = manifest.architecture.classes;
    const crossing = plan.crossing!;
    const timed = await runStretched(async () => {
      const input =
        request.encoding === 'uint8'
          ? preprocess(manifest, request.payload)
          : decodeTensor({ encoding: request.encoding, elements: batch * crossing.elements, bytes: request.payload, scale: request.scale, zeroPoint: request.zeroPoint });
      return this.#sessions.run({ from: plan.edge!.from, to: plan.edge!.to, input, batch, inputShape: crossing.shape });
    }, { targetMs: task.targetMs });
    const probabilities = timed.value;
    return { numClasses, probabilities, predictedClasses: argmaxRows(probabilities, numClasses), realMs: timed.realMs, computeMs: timed.computeMs };
  }

  /** Releases the ORT sessions; idempotent. */
  async close(): Promise<void> {
    await this.#sessions.close();
  }
}

