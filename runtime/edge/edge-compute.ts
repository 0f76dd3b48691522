/**
 * The edge's inference work, apart from any networking: checks a decoded request against the
 * model (model id, action, shape), then runs a micro-batch of same (partition, exit) requests
 * through the suffix sub-model (partition tensor → exit output) in an ORT worker thread
 * (ort-worker-pool.ts), stretched to the edge profile when it is emulated.
 */
import { CoinferError } from '../../common/errors.ts';
import { INPUT_ENCODINGS, isJpeg } from '../action.ts';
import { planExecution, type ExecutionPlan } from '../model/execution-plan.ts';
import type { ModelPackage } from '../model/model-package.ts';
import { preprocess } from '../model/preprocess.ts';
import type { RequestFrame } from '../wire/protocol.ts';
import { decodeTensor } from '../wire/tensor-codec.ts';
import { argmaxRows } from '../device/argmax-rows.ts';
import { OrtWorkerPool } from './ort-worker-pool.ts';
import { emulatedMs, layersOfRange, profileRegression, runStretched, type EdgeComputeProfile } from '../device/compute-profile.ts';

/** A checked request, ready to run. */
export interface EdgeTask {
  readonly request: RequestFrame;
  readonly plan: ExecutionPlan;
  /** Samples in the request (dims[0]). */
  readonly batch: number;
  /** The emulated compute time of this task, ms (0 under `native`). */
  readonly targetMs: number;
  /** Requests with the same key can share one batch: `exit/partition`. */
  readonly key: string;
  /** A JPEG request's decoded image, C·H·W uint8 (decoded before queueing; jpeg-input.ts). */
  readonly pixels?: Uint8Array;
}

/** The outcome of one task. */
export interface EdgeResult {
  readonly numClasses: number;
  readonly predictedClasses: Int32Array;
  /** batch × numClasses. */
  readonly probabilities: Float32Array;
  /** Real time of the whole batch this task ran in (incl. decoding), ms. */
  readonly realMs: number;
  /** Reported compute time of the batch (≥ the emulated target), ms. */
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
  readonly #pool: OrtWorkerPool;
  readonly #plans = new Map<string, PlanEntry>();

  private constructor(opts: { pkg: ModelPackage; profile: EdgeComputeProfile; pool: OrtWorkerPool }) {
    this.pkg = opts.pkg;
    this.profile = opts.profile;
    this.#pool = opts.pool;
  }

  /**
   * @param opts.pkg the model package this edge serves
   * @param opts.profile `native`, or `edgent-desktop` (emulated)
   * @param opts.workers ORT worker threads (batches run at once)
   * @param opts.intraOpNumThreads ORT threads per session (1 when device and edge share a machine)
   */
  static async create(opts: { pkg: ModelPackage; profile: EdgeComputeProfile; workers: number; intraOpNumThreads: number }): Promise<EdgeCompute> {
    const pool = await OrtWorkerPool.create({ onnx: opts.pkg.onnx, workers: opts.workers, intraOpNumThreads: opts.intraOpNumThreads });
    return new EdgeCompute({ pkg: opts.pkg, profile: opts.profile, pool });
  }

  /** Batches that can run at once (ORT workers). */
  get workers(): number {
    return this.#pool.size;
  }

  /** Workers with no batch in progress. */
  get idleWorkers(): number {
    return this.#pool.idle;
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
    if ((partition === 0) !== (INPUT_ENCODINGS as readonly string[]).includes(encoding)) {
      throw new CoinferError('ERR_FRAME_BAD_ACTION', `Encoding ${encoding} does not fit partition ${partition}: the raw input (partition 0) travels as uint8, jpeg90 or jpeg50, activations as f32, f16 or int8`);
    }
    const { plan, perSampleMs } = this.#entry(exit, partition);
    const shape = plan.crossing!.shape;
    const [batch, ...rest] = request.dims;
    if (rest.join() !== shape.join()) {
      throw new CoinferError('ERR_FRAME_WRONG_SHAPE', `Expected dims [N,${shape.join(',')}] for partition ${partition} (${plan.crossing!.tensor}), actually [${request.dims.join(',')}]`);
    }
    return { request, plan, batch: batch!, targetMs: batch! * perSampleMs, key: `${exit}/${partition}` };
  }

  /** Every (exit, partition) the edge can be asked for. */
  actions(): { exit: number; partition: number }[] {
    return this.pkg.manifest.exits.flatMap((ex) => Array.from({ length: ex.branchStage }, (_, p) => ({ exit: ex.index, partition: p })));
  }

  /**
   * Creates the sessions of every (partition, exit) and runs each once at batch 1.
   * @returns the real ms of that run per key (`exit/partition`): the first service-time estimates
   */
  async warmAll(): Promise<Map<string, number>> {
    const ms = new Map<string, number>();
    for (const { exit, partition } of this.actions()) {
      const { plan } = this.#entry(exit, partition);
      const crossing = plan.crossing!;
      const input = new Float32Array(crossing.elements);
      await this.#pool.run({ from: plan.edge!.from, to: plan.edge!.to, input, batch: 1, inputShape: crossing.shape }); // first run allocates
      const t0 = performance.now();
      await this.#pool.run({ from: plan.edge!.from, to: plan.edge!.to, input, batch: 1, inputShape: crossing.shape });
      ms.set(`${exit}/${partition}`, performance.now() - t0);
    }
    return ms;
  }

  /**
   * Decodes (or preprocesses raw input) every task into one batch, runs the suffix once, and
   * stretches to the profile (the emulated time is the sum of the tasks' targets).
   * @param tasks one or more validated tasks with the same key
   * @throws (rejects) RangeError on mixed keys; whatever ORT raises (the server reports ERR_EDGE_INTERNAL)
   */
  async runBatch(tasks: readonly EdgeTask[]): Promise<EdgeResult[]> {
    const first = tasks[0];
    if (first === undefined) return [];
    if (tasks.some((t) => t.key !== first.key)) throw new RangeError(`Expected one (exit, partition) per batch, actually ${[...new Set(tasks.map((t) => t.key))].join(', ')}`);
    const { plan } = first;
    const { manifest } = this.pkg;
    const numClasses = manifest.architecture.classes;
    const crossing = plan.crossing!;
    const samples = tasks.reduce((a, t) => a + t.batch, 0);
    const timed = await runStretched(async () => {
      const input = new Float32Array(samples * crossing.elements);
      let at = 0;
      for (const { request, batch, pixels } of tasks) {
        const out = input.subarray(at, at + batch * crossing.elements);
        if (request.encoding === 'uint8') preprocess(manifest, request.payload, out);
        else if (isJpeg(request.encoding)) {
          if (pixels === undefined) throw new RangeError(`Expected the decoded image of JPEG request ${request.requestId}, actually none (decode it before queueing)`);
          preprocess(manifest, pixels, out);
        }
        else decodeTensor({ encoding: request.encoding, elements: batch * crossing.elements, bytes: request.payload, scale: request.scale, zeroPoint: request.zeroPoint }, out);
        at += batch * crossing.elements;
      }
      return this.#pool.run({ from: plan.edge!.from, to: plan.edge!.to, input, batch: samples, inputShape: crossing.shape });
    }, { targetMs: tasks.reduce((a, t) => a + t.targetMs, 0) });
    let row = 0;
    return tasks.map((t) => {
      const probabilities = timed.value.slice(row * numClasses, (row + t.batch) * numClasses);
      row += t.batch;
      return { numClasses, probabilities, predictedClasses: argmaxRows(probabilities, numClasses), realMs: timed.realMs, computeMs: timed.computeMs };
    });
  }

  /** Releases the ORT sessions and workers; idempotent. */
  async close(): Promise<void> {
    await this.#pool.close();
  }
}

