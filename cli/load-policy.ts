/**
 * Turns a policy spec from the command line into a Policy: a baseline name (`edgent`,
 * `device-only`, `random`, …; see policies/registry.ts), `dqn` (the shipped policy), or
 * `dqn:<ref>`, a checkpoint reference (id, `latest`, `best`, `best:<metric>` or a path; see
 * checkpoints/resolve-checkpoint.ts) looked up in the given registry, then in the shipped one
 * (models/dqn-policy), so `dqn:latest` works in a fresh clone. Where it resolved is reported
 * on stderr (or to `deps.report`).
 *
 * Loading a DQN: resolveCheckpoint (checked against the env's action count and labels, and its
 * observation size against its observation version: an older version's network reads the
 * prefix of today's vector that version defined, env/observation.ts) → loadCheckpoint → readWeights → dispose the tf model → ActingPolicy
 * (plain-JS forward pass, hot-swappable) → createDqnPolicy. TensorFlow.js is loaded only for
 * `dqn:` specs, so baselines start fast. Shared by `coinfer device` and `coinfer eval`.
 *
 * @example
 * const { policy, dqn } = await loadPolicy('dqn:best', { codec: env.codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: 'runs/checkpoints' });
 */
import { relative } from 'node:path';
import { ActingPolicy } from '../agent/acting-policy.ts';
import { readWeights, type NetworkWeights } from '../agent/q-network.ts';
import { loadCheckpoint } from '../checkpoints/checkpoint-io.ts';
import { resolveCheckpointIn, SHIPPED_CHECKPOINT_ROOT, type ResolvedCheckpoint } from '../checkpoints/resolve-checkpoint.ts';
import { ANCHOR_PLANNERS, readServingAnchor } from '../checkpoints/serving-anchor.ts';
import { CoinferError } from '../common/errors.ts';
import { loadTf, type Tf } from '../common/tf-backend.ts';
import type { ActionCodec } from '../env/action-codec.ts';
import { observationSizeOf } from '../env/observation.ts';
import { profileFromLatencyTable } from '../env/action-profile.ts';
import { writeDeadlineMask } from '../env/deadline-mask.ts';
import { jpegInputEncodings } from '../runtime/model/action-accuracy.ts';
import type { DecisionContext } from '../env/decision-context.ts';
import { createLatencyTable, createLatencyTableFromStages } from '../runtime/profile/latency-predictor.ts';
import { createDqnPolicy, type QActor } from '../policies/dqn-policy.ts';
import type { Policy } from '../policies/policy.ts';
import { createPolicy, type PolicyDeps } from '../policies/registry.ts';

/** The prefix that marks a checkpoint spec. */
export const DQN_PREFIX = 'dqn:';

/** The shipped DQN checkpoint registry (trained with `coinfer train`, see docs/dqn.md). */
export const SHIPPED_POLICY_ROOT: string = SHIPPED_CHECKPOINT_ROOT;

/** The bare spec 'dqn' names the shipped policy: the best checkpoint of SHIPPED_POLICY_ROOT. */
export const SHIPPED_POLICY_SPEC = 'dqn';

export interface LoadPolicyDeps {
  /** The env's action codec: the checkpoint must have been trained with exactly these actions. */
  readonly codec: ActionCodec;
  /** The env's observation length (OBSERVATION_SIZE). */
  readonly observationSize: number;
  /** What baselines are built from (manifest, latency profiles, candidate actions, seed). */
  readonly policyDeps: PolicyDeps;
  /** Checkpoint registry root (e.g. 'runs/checkpoints'), searched before the shipped registry. */
  readonly checkpointsRoot: string;
  /** Receives one line saying where a `dqn:` spec resolved; default: written to stderr. */
  readonly report?: (line: string) => void;
  /** The tf namespace; default `loadTf()` (only loaded for dqn specs). */
  readonly tf?: Tf;
}

/** What a loaded DQN brings besides its Policy (for online learning and lineage). */
export interface LoadedDqn {
  /** The acting copy the policy decides with; `swapWeights` hot-swaps it. */
  readonly acting: ActingPolicy;
  readonly checkpoint: ResolvedCheckpoint;
  /** The checkpoint's weights (fresh arrays; e.g. a learner's initialWeights). */
  readonly weights: NetworkWeights;
  /**
   * The served policy over another acting copy (the same observation prefix, trained mask and
   * anchor): what an online learner's weights act as, and what a guard's frozen copy acts as.
   */
  readonly serve: (acting: QActor) => Policy;
  /** The network alone over another acting copy (its observation prefix and trained mask, no anchor). */
  readonly serveAlone: (acting: QActor) => Policy;
}

export interface LoadedPolicy {
  readonly policy: Policy;
  /** Set for `dqn:` specs, null for baselines. */
  readonly dqn: LoadedDqn | null;
}

/**
 * A `report` for commands that load the same spec once per world: passes each distinct line to
 * `say` once (default: stderr).
 */
export function reportOnce(say: (line: string) => void = (l) => void process.stderr.write(`${l}\n`)): (line: string) => void {
  const seen = new Set<string>();
  return (line) => {
    if (!seen.has(line)) say(line);
    seen.add(line);
  };
}

/** One line: which checkpoint a spec resolved to, and in which registry. */
export function describeResolution(spec: string, c: ResolvedCheckpoint): string {
  const where = c.root === null ? `at ${c.dir}` : `in ${c.root === SHIPPED_POLICY_ROOT ? 'the shipped registry' : 'registry'} ${relative(process.cwd(), c.root) || '.'}`;
  return `${spec}: checkpoint ${c.id} (step ${c.meta.step}) ${where}`;
}

/**
 * The checkpoint a policy spec names (null for a baseline), without loading its network: what a
 * command reads first to set its env up with the checkpoint's own objective.
 * @throws (rejects) CoinferError ERR_POLICY_UNKNOWN for an empty ref, ERR_CHECKPOINT_NOT_FOUND / ERR_CHECKPOINT_CORRUPT
 */
export async function resolvePolicyCheckpoint(spec: string, checkpointsRoot: string): Promise<ResolvedCheckpoint | null> {
  const anchored = parseAnchor(spec);
  if (anchored) return resolvePolicyCheckpoint(anchored.dqn, checkpointsRoot);
  if (spec === SHIPPED_POLICY_SPEC) return resolveCheckpointIn([SHIPPED_POLICY_ROOT], 'best');
  if (!spec.startsWith(DQN_PREFIX)) return null;
  return resolveCheckpointIn([checkpointsRoot, SHIPPED_POLICY_ROOT], dqnRefs(spec)[0]!);
}

/**
 * The checkpoint references of a `dqn:` spec: one, or `<ref>&<ref>…`, the network and the
 * networks that may veto its overrides of an anchor (policies/dqn-policy.ts).
 */
function dqnRefs(spec: string): string[] {
  const refs = spec.slice(DQN_PREFIX.length).split('&');
  if (refs.some((r) => r === '')) {
    throw new CoinferError('ERR_POLICY_UNKNOWN', `Expected 'dqn:<checkpoint>' or 'dqn:<checkpoint>&<checkpoint>…' (each an id, 'latest', 'best', 'best:<metric>' or a path), actually '${spec}'`);
  }
  return refs;
}

/**
 * Loads the policy a spec names.
 * @param spec a baseline name, `dqn`, `dqn:<ref>`, or either with an anchor `+<planner>@<margin>`
 * @throws (rejects) CoinferError ERR_POLICY_UNKNOWN (unknown baseline or empty ref),
 *   ERR_CHECKPOINT_NOT_FOUND / ERR_CHECKPOINT_CORRUPT / ERR_CHECKPOINT_INCOMPATIBLE
 */
export async function loadPolicy(spec: string, deps: LoadPolicyDeps): Promise<LoadedPolicy> {
  const anchored = parseAnchor(spec);
  const base = anchored?.dqn ?? spec;
  const baselineDeps = { ...deps.policyDeps, actions: deps.policyDeps.actions ?? deps.codec.actions };
  if (base === SHIPPED_POLICY_SPEC) {
    // The shipped policy is the registry's best network under the registry's serving rule (if
    // any), unless the spec names its own anchor.
    const file = anchored ? null : await readServingAnchor(SHIPPED_POLICY_ROOT);
    const rule = anchored ?? (file ? { planner: file.anchor, margin: file.margin } : null);
    const vetoes = (file?.vetoes ?? []).map((id) => `&${id}`).join('');
    const inner = `${DQN_PREFIX}best${vetoes}${rule ? `+${rule.planner}@${rule.margin}` : ''}`;
    const loaded = await loadPolicy(inner, { ...deps, checkpointsRoot: SHIPPED_POLICY_ROOT });
    return { ...loaded, policy: { ...loaded.policy, name: spec } };
  }
  if (!base.startsWith(DQN_PREFIX)) {
    if (anchored) throw new CoinferError('ERR_POLICY_UNKNOWN', `Expected a DQN before '+' in '${spec}' (e.g. dqn+calibrated@0.02), actually '${base}'`);
    return { policy: createPolicy(spec, baselineDeps), dqn: null };
  }
  const [ref, ...vetoRefs] = dqnRefs(base);
  if (vetoRefs.length > 0 && !anchored) {
    throw new CoinferError('ERR_POLICY_UNKNOWN', `Expected an anchor after the networks of '${spec}' (e.g. '${spec}+calibrated@1.5'): the networks after '&' only veto overrides of a planner`);
  }
  const actions = { actionCount: deps.codec.size, actionLabels: deps.codec.labels };
  const report = deps.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const tf = deps.tf ?? (await loadTf()).tf;
  const load = async (r: string): Promise<{ checkpoint: ResolvedCheckpoint; observationSize: number; weights: NetworkWeights }> => {
    const checkpoint = await resolveCheckpointIn([deps.checkpointsRoot, SHIPPED_POLICY_ROOT], r, { expect: actions });
    const observationSize = checkpointObservationSize(checkpoint, deps.observationSize);
    report(describeResolution(`${DQN_PREFIX}${r}`, checkpoint));
    const { model } = await loadCheckpoint(tf, checkpoint.dir, { ...actions, observationSize });
    try {
      return { checkpoint, observationSize, weights: readWeights(model) };
    } finally {
      model.dispose();
    }
  };
  const { checkpoint, observationSize, weights } = await load(ref!);
  const vetoes: ActingPolicy[] = [];
  for (const r of vetoRefs) {
    const v = await load(r);
    if (v.observationSize !== observationSize) {
      throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Checkpoint ${v.checkpoint.id} reads ${v.observationSize} observation entries, ${checkpoint.id} reads ${observationSize}: networks that veto each other must read one observation version`);
    }
    vetoes.push(new ActingPolicy(v.weights));
  }
  const acting = new ActingPolicy(weights);
  const mask = trainedMask(checkpoint, deps);
  const anchor = anchored ? { policy: createPolicy(anchored.planner, baselineDeps), margin: anchored.margin, vetoes } : null;
  const served = (a: QActor, anchored: boolean): Policy => createDqnPolicy({ name: spec, acting: a, codec: deps.codec, observationSize, ...(mask ? { mask } : {}), ...(anchored && anchor ? { anchor } : {}) });
  const serve = (a: QActor): Policy => served(a, true);
  return { policy: serve(acting), dqn: { acting, checkpoint, weights, serve, serveAlone: (a) => served(a, false) } };
}

/** The deadline-mask factor a checkpoint was trained with (its env config's `deadlineMaskFactor`); null: no mask. */
export function trainedMaskFactor(c: ResolvedCheckpoint): number | null {
  const factor = (c.meta.envConfig as { deadlineMaskFactor?: unknown } | null)?.deadlineMaskFactor;
  return typeof factor === 'number' ? factor : null;
}

/**
 * The deadline mask a checkpoint was trained under (its env config's `deadlineMaskFactor`),
 * over the device's profile as the baselines plan with it (the fused stage fits when given,
 * else the regressions); null when it trained without one.
 */
function trainedMask(c: ResolvedCheckpoint, deps: LoadPolicyDeps): ((obs: Float32Array, ctx: DecisionContext) => Uint8Array) | null {
  const factor = trainedMaskFactor(c);
  if (factor === null) return null;
  const d = deps.policyDeps;
  const base = d.stageProfiles ? createLatencyTableFromStages(d.manifest, d.stageProfiles.device, d.stageProfiles.edge) : createLatencyTable(d.manifest, d.device, d.edge);
  const profile = profileFromLatencyTable({ ...base, inputEncodings: jpegInputEncodings(d.actionAccuracy ?? null) }, deps.codec.actions, new Float64Array(deps.codec.size));
  return (obs, ctx) => {
    const out = new Uint8Array(deps.codec.size);
    writeDeadlineMask(out, 0, profile, ctx, obs, 0, factor);
    return out;
  };
}

/**
 * The observation length a checkpoint's network reads: its version's (a prefix of the env's
 * vector when older).
 * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE when its size is not its version's, or exceeds the env's
 */
export function checkpointObservationSize(c: ResolvedCheckpoint, envObservationSize: number): number {
  const version = c.meta.observationVersion ?? 1;
  const size = observationSizeOf(version);
  if (c.meta.observationSize !== size || size > envObservationSize) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Checkpoint ${c.meta.id}: expected an observation of ${size} entries (version ${version}) within the env's ${envObservationSize}, actually ${c.meta.observationSize}: pick a checkpoint trained for this env configuration`);
  }
  return size;
}

/**
 * Parses an anchored spec `<dqn spec>+<planner>@<margin>` (e.g. `dqn+calibrated@0.02`): the DQN
 * acts as the planner unless its own choice's Q-value beats the planner's action by the margin.
 * @returns null for a spec without '+'
 * @throws CoinferError ERR_POLICY_UNKNOWN for a malformed anchor
 */
export function parseAnchor(spec: string): { dqn: string; planner: string; margin: number } | null {
  const plus = spec.lastIndexOf('+');
  if (plus < 0) return null;
  const m = /^([a-z-]+)@([0-9]*\.?[0-9]+)$/.exec(spec.slice(plus + 1));
  const margin = m ? Number(m[2]) : Number.NaN;
  if (!m || !(ANCHOR_PLANNERS as readonly string[]).includes(m[1]!) || !Number.isFinite(margin)) {
    throw new CoinferError('ERR_POLICY_UNKNOWN', `Expected '<dqn spec>+<planner>@<margin>' with planner one of ${ANCHOR_PLANNERS.join(', ')} and a margin ≥ 0 (e.g. dqn+calibrated@0.02), actually '${spec}'`);
  }
  return { dqn: spec.slice(0, plus), planner: m[1]!, margin };
}
