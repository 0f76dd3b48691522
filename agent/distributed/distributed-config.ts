/**
 * Settings of distributed training (docs/distributed.md): the broker connection, the actors'
 * publishing and back-pressure, and the learner's cadence. One readonly record each, with
 * defaults and one validating resolver.
 */
import { z } from 'zod';
import { parseWith } from '../../common/schema.ts';

export interface BrokerConfig {
  /**
   * Redis URL: `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS (certificates
   * from Node's default store).
   */
  readonly url: string;
  /** Key prefix: `<namespace>:transitions` (stream) and `<namespace>:weights` (key and channel). Lets fleets share a server. */
  readonly namespace: string;
  /** Consumer group of the learner on the transition stream. */
  readonly group: string;
  /**
   * Cap of the stream in entries (`XADD … MAXLEN ~`): the oldest entries are trimmed beyond it,
   * read or not, so a stalled learner costs memory up to this bound and never blocks an actor.
   * Integer ≥ 1 (default 2,000 entries ≈ 45 MB at 256 transitions of 88 bytes).
   */
  readonly maxStreamEntries: number;
  /** Milliseconds a connection attempt may take before failing. */
  readonly connectTimeoutMs: number;
}

export const DEFAULT_BROKER_CONFIG: BrokerConfig = {
  url: 'redis://127.0.0.1:6379', namespace: 'coinfer', group: 'learner', maxStreamEntries: 2_000, connectTimeoutMs: 5_000,
};

const name = z.string().regex(/^[\w.-]{1,64}$/, 'expected 1-64 letters, digits, _ . -');
const brokerSchema = z.strictObject({
  url: z.string().regex(/^rediss?:\/\/.+/, 'expected redis://host:port or rediss://host:port'),
  namespace: name,
  group: name,
  maxStreamEntries: z.int().min(1),
  connectTimeoutMs: z.number().positive(),
});

/** @throws CoinferError ERR_INVALID_CONFIG naming the field */
export function resolveBrokerConfig(partial: Partial<BrokerConfig> = {}): BrokerConfig {
  return parseWith(brokerSchema, { ...DEFAULT_BROKER_CONFIG, ...partial }, 'broker config');
}

/** How an actor batches and sheds its transitions. */
export interface PublisherConfig {
  /** Transitions per stream entry. Integer in [1, 65536] (default 256: ~22 kB entries). */
  readonly batchTransitions: number;
  /** Batches sent but not yet confirmed by the broker (64 ≈ 1.4 MB); a full batch beyond this is dropped, never queued. Integer ≥ 1. */
  readonly maxInFlight: number;
  /** Unread entries in the learner's group above which the actor keeps only one batch in `sampleEvery`. Integer ≥ 1. */
  readonly lagHighWater: number;
  /** While the learner lags: send one batch in this many (the others are dropped and counted). Integer ≥ 1. */
  readonly sampleEvery: number;
  /** Milliseconds between lag checks (asynchronous, off the acting path). */
  readonly lagCheckMs: number;
}

export const DEFAULT_PUBLISHER_CONFIG: PublisherConfig = { batchTransitions: 256, maxInFlight: 64, lagHighWater: 1_000, sampleEvery: 4, lagCheckMs: 500 };

const publisherSchema = z.strictObject({
  batchTransitions: z.int().min(1).max(65_536),
  maxInFlight: z.int().min(1),
  lagHighWater: z.int().min(1),
  sampleEvery: z.int().min(1),
  lagCheckMs: z.number().positive(),
});

/** @throws CoinferError ERR_INVALID_CONFIG naming the field */
export function resolvePublisherConfig(partial: Partial<PublisherConfig> = {}): PublisherConfig {
  return parseWith(publisherSchema, { ...DEFAULT_PUBLISHER_CONFIG, ...partial }, 'publisher config');
}

/** The learner's cadence. Train rounds follow the DqnConfig (`trainEvery` counts ingested transitions). */
export interface LearnerLoopConfig {
  /** Stream entries per read (XREADGROUP COUNT). Integer ≥ 1. */
  readonly readEntries: number;
  /** Milliseconds a read waits for new entries when none are there. Integer ≥ 1. */
  readonly blockMs: number;
  /**
   * Milliseconds of train rounds at most between two reads (at least one round when owed), so
   * ingest keeps flowing while the learner catches up. > 0.
   */
  readonly trainSliceMs: number;
  /** Rounds owed beyond this are forgiven (counted as skipped): a learner far behind trains on fresh data, not an old debt. Integer ≥ 1. */
  readonly maxRoundDebt: number;
  /** Milliseconds between weight publications (when a round ran since the last). */
  readonly publishEveryMs: number;
  /**
   * Ingested transitions between checkpoints. Entries are acknowledged (XACK) only once a
   * checkpoint holding them is on disk: this is the unacknowledged window a crash re-reads.
   */
  readonly checkpointEveryTransitions: number;
  /** Stop after learning this many transitions (and paying the rounds they owe); null: run until stopped. */
  readonly maxTransitions: number | null;
  /** Stop when no entry arrived for this long after the first one (a resumed run: since its start); null: wait for ever. */
  readonly idleExitMs: number | null;
  /** Milliseconds between progress records. */
  readonly progressEveryMs: number;
}

export const DEFAULT_LEARNER_LOOP_CONFIG: LearnerLoopConfig = {
  readEntries: 64, blockMs: 100, trainSliceMs: 50, maxRoundDebt: 1_000_000, publishEveryMs: 200,
  checkpointEveryTransitions: 100_000, maxTransitions: null, idleExitMs: null, progressEveryMs: 1_000,
};

const learnerSchema = z.strictObject({
  readEntries: z.int().min(1),
  blockMs: z.int().min(1),
  trainSliceMs: z.number().positive(),
  maxRoundDebt: z.int().min(1),
  publishEveryMs: z.number().min(0),
  checkpointEveryTransitions: z.int().min(1),
  maxTransitions: z.int().min(1).nullable(),
  idleExitMs: z.number().positive().nullable(),
  progressEveryMs: z.number().positive(),
});

/** @throws CoinferError ERR_INVALID_CONFIG naming the field */
export function resolveLearnerLoopConfig(partial: Partial<LearnerLoopConfig> = {}): LearnerLoopConfig {
  return parseWith(learnerSchema, { ...DEFAULT_LEARNER_LOOP_CONFIG, ...partial }, 'learner loop config');
}
