/**
 * What `coinfer learner` and `coinfer actor` share: the world of a scenario as `coinfer train`
 * builds it (train traces and env config with the run's λ, validation traces for scoring), the
 * objective both sides must agree on, the DQN config, and the broker settings from options.
 */
import { resolveBrokerConfig, type BrokerConfig } from '../agent/distributed/distributed-config.ts';
import type { DistributedObjective } from '../agent/distributed/weights-codec.ts';
import type { DqnConfig, DqnConfigInput } from '../agent/dqn-config.ts';
import { TRAIN_DQN_DEFAULTS, TRAIN_ENV_DEFAULTS } from '../agent/train-defaults.ts';
import { CoinferError } from '../common/errors.ts';
import { ActionCodec } from '../env/action-codec.ts';
import { resolveEnvConfig, type EnvConfig, type EnvConfigInput } from '../env/replay-config.ts';
import type { RewardConfig } from '../env/reward.ts';
import { scenarioEnvInput } from '../env/scenario-file.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import { loadModelPackage, type ModelPackage } from '../runtime/model/model-package.ts';
import { runDqnConfig } from './train-run.ts';
import { loadScenario, scenarioComputeTimes, scenarioTraces, type LoadedScenario } from './scenario-setup.ts';

export interface DistributedWorld {
  readonly pkg: ModelPackage;
  readonly world: LoadedScenario;
  /** The training env's input (train split, the run's λ). */
  readonly envInput: EnvConfigInput;
  readonly envConfig: EnvConfig;
  /** Validation scoring: per-image correctness under the run's λ. */
  readonly evalInput: EnvConfigInput;
  readonly train: readonly BandwidthTrace[];
  readonly validation: readonly BandwidthTrace[];
  readonly times: Awaited<ReturnType<typeof scenarioComputeTimes>>;
  readonly codec: ActionCodec;
  readonly objective: DistributedObjective;
}

/** The objective a reward config pursues (what weights carry and actors check). */
export function distributedObjective(reward: RewardConfig): DistributedObjective {
  return { rewardKind: reward.signal, missPenalty: reward.missPenalty, energyLambdaPerJ: reward.energyLambdaPerJ };
}

/** The world of `scenario` as `coinfer train` sets it up (λ: the option, else the scenario's, else 0). */
export async function loadDistributedWorld(o: { readonly modelDir: string; readonly scenario: string; readonly energyLambda: number | undefined; readonly say: (line: string) => void }): Promise<DistributedWorld> {
  const [pkg, world] = await Promise.all([loadModelPackage(o.modelDir), loadScenario(o.scenario)]);
  const lambda = o.energyLambda ?? world.spec.reward?.energyLambdaPerJ ?? 0;
  const trainInput = scenarioEnvInput(world, { ...TRAIN_ENV_DEFAULTS, split: 'train' });
  const envInput: EnvConfigInput = { ...trainInput, reward: { ...trainInput.reward, energyLambdaPerJ: lambda } };
  const envConfig = resolveEnvConfig(envInput);
  const evalInput: EnvConfigInput = { ...scenarioEnvInput(world, { split: 'validation' }), reward: { energyLambdaPerJ: lambda } };
  const [train, validation, times] = await Promise.all([scenarioTraces(world, { split: 'train' }), scenarioTraces(world, { split: 'validation' }), scenarioComputeTimes(world, pkg, o.say)]);
  return { pkg, world, envInput, envConfig, evalInput, train, validation, times, codec: new ActionCodec(pkg.manifest, envConfig.encodings), objective: distributedObjective(envConfig.reward) };
}

/** `--dqn <json>` over the `coinfer train` defaults (or a resumed checkpoint's config); `seed` wins when given. */
export function distributedDqnConfig(json: string, seed: number | undefined, base: DqnConfigInput = TRAIN_DQN_DEFAULTS): DqnConfig {
  let overrides: DqnConfigInput;
  try {
    overrides = JSON.parse(json) as DqnConfigInput;
  } catch (e) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `--dqn must be a JSON object, e.g. '{"gamma":0.9}': ${(e as Error).message}`);
  }
  return runDqnConfig(base, overrides, seed);
}

/** Broker settings from `--broker`, `--namespace` and `--max-stream-entries`. */
export function brokerFromOptions(o: { readonly broker: string; readonly namespace: string; readonly maxStreamEntries?: number | undefined }): BrokerConfig {
  return resolveBrokerConfig({ url: o.broker, namespace: o.namespace, ...(o.maxStreamEntries === undefined ? {} : { maxStreamEntries: o.maxStreamEntries }) });
}
