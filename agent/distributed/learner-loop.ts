/**
 * The learner loop (Ape-X's learner) over a transition source and a weights store:
 *
 *   start:  ensure the consumer group; take over the entries a crashed predecessor left
 *           unacknowledged (XAUTOCLAIM), then read new ones (XREADGROUP)
 *   each read:  decode → refuse other shapes, observation versions, objectives → dedupe by (actor, seq)
 *               → replay memory → the train rounds the ingested transitions owe (DqnConfig's
 *               trainEvery, learningStarts; at most trainSliceMs of them per read) → publish weights
 *               every publishEveryMs → checkpoint every checkpointEveryTransitions, and only
 *               then XACK the entries the checkpoint holds.
 *
 * So the unacknowledged window is "everything since the last checkpoint": a learner killed
 * with -9 resumes from its checkpoint (weights, replay, Adam, counters, dedupe state) and
 * re-reads exactly the window; nothing acknowledged is lost and nothing is learned twice.
 * The checkpoint itself is written by the caller (`onCheckpoint`): agent/ does not touch files.
 */
import { isCoinferError } from '../../common/errors.ts';
import type { Rng } from '../../common/rng.ts';
import type { DqnLearner } from '../dqn-learner.ts';
import { captureLearnerState, type LearnerState } from '../learner-state.ts';
import type { ReplayMemory } from '../replay-memory.ts';
import type { LearnerLoopConfig } from './distributed-config.ts';
import { IngestDedupe, type IngestDedupeState } from './ingest-dedupe.ts';
import type { StreamEntry, TransitionSource, WeightsStore } from './redis-broker.ts';
import { decodeTransitionBatch } from './transition-codec.ts';
import { describeObjective, encodeWeights, type DistributedObjective } from './weights-codec.ts';

/** The loop's own state, saved with each checkpoint (JSON) and given back on resume. */
export interface DistributedLearnerState {
  readonly runId: string;
  /** Unique transitions learned from. */
  readonly ingested: number;
  /** Train rounds accounted for (run, or forfeited before learningStarts / forgiven as debt). */
  readonly roundsAccounted: number;
  /** Rounds forgiven because the debt exceeded maxRoundDebt. */
  readonly skippedRounds: number;
  readonly weightsVersion: number;
  /** Entries refused: undecodable, or of another shape, observation version or objective. */
  readonly rejected: number;
  /** Pending entries whose data the stream cap trimmed before they could be re-read. */
  readonly trimmedPending: number;
  readonly dedupe: IngestDedupeState;
}

export interface LearnerProgress {
  readonly ingested: number;
  readonly ingestPerSecond: number;
  readonly gradientSteps: number;
  readonly updatesPerSecond: number;
  readonly replaySize: number;
  /** Entries read but not yet acknowledged (the window a crash would re-read). */
  readonly unacked: number;
  readonly duplicates: number;
  readonly missing: number;
  readonly rejected: number;
  readonly skippedRounds: number;
  readonly weightsVersion: number;
  /** Mean TD loss of the rounds since the last record (NaN: none). */
  readonly tdLoss: number;
}

export interface CheckpointEvent {
  readonly learner: DqnLearner;
  readonly state: DistributedLearnerState;
  /** Replay, Adam, target net, counters and the sampling stream (encode before the loop goes on). */
  captureLearnerState(): Promise<LearnerState>;
}

export interface RunLearnerOptions {
  readonly learner: DqnLearner;
  readonly memory: ReplayMemory;
  readonly source: TransitionSource;
  readonly weights: WeightsStore;
  readonly config: LearnerLoopConfig;
  /** Consumer name in the group. */
  readonly consumer: string;
  readonly objective: DistributedObjective;
  readonly observationVersion: number;
  readonly sampleRng: Rng;
  /** A fresh run's id (ignored when resuming: the run keeps its id). */
  readonly runId: string;
  /** The state saved with the checkpoint this run resumes. */
  readonly resume?: DistributedLearnerState;
  /** Writes a checkpoint; the entries it holds are acknowledged once it resolves. */
  readonly onCheckpoint: (e: CheckpointEvent) => Promise<void>;
  readonly onProgress?: (p: LearnerProgress) => void;
  /** Told once per kind of refused entry. */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface LearnerResult {
  readonly state: DistributedLearnerState;
  readonly gradientSteps: number;
}

export async function runLearner(o: RunLearnerOptions): Promise<LearnerResult> {
  const { learner, memory, source, config: c } = o;
  const dqn = learner.config;
  const { observationSize: O, actionCount: A } = learner.spec;
  const r = o.resume;
  const runId = r?.runId ?? o.runId;
  const dedupe = new IngestDedupe({}, r?.dedupe);
  let ingested = r?.ingested ?? 0;
  let rounds = r?.roundsAccounted ?? 0;
  let skipped = r?.skippedRounds ?? 0;
  let version = r?.weightsVersion ?? 0;
  let rejected = r?.rejected ?? 0;
  let trimmed = r?.trimmedPending ?? 0;
  let unacked: string[] = [];
  let lastCheckpointAt = ingested;
  let roundsAtCheckpoint = rounds;
  const warned = new Set<string>();
  const warn = (kind: string, message: string): void => {
    if (!warned.has(kind)) o.onWarning?.(message);
    warned.add(kind);
  };
  const objectiveKey = describeObjective(o.objective);
  const state = (): DistributedLearnerState => ({ runId, ingested, roundsAccounted: rounds, skippedRounds: skipped, weightsVersion: version, rejected, trimmedPending: trimmed, dedupe: dedupe.exportState() });

  const publish = async (): Promise<void> => {
    version++;
    const bytes = encodeWeights({ runId, version, envSteps: ingested, gradientSteps: learner.gradientSteps, objective: o.objective, observationVersion: o.observationVersion, observationSize: O, actionCount: A, weights: learner.getWeights() });
    await o.weights.putWeights(bytes, version);
  };
  const checkpoint = async (): Promise<void> => {
    const s = state();
    await o.onCheckpoint({
      learner, state: s,
      captureLearnerState: () => captureLearnerState({ learner, memory, envSteps: ingested, betaSteps: ingested, roundsDue: rounds, rngs: { sample: o.sampleRng } }),
    });
    const ids = unacked;
    unacked = [];
    lastCheckpointAt = ingested;
    roundsAtCheckpoint = rounds;
    await source.ack(ids);
  };
  const ingest = (e: StreamEntry): void => {
    unacked.push(e.id); // handled either way: acknowledged with the next checkpoint
    let batch;
    try {
      batch = decodeTransitionBatch(e.data);
    } catch (err) {
      if (!isCoinferError(err)) throw err;
      rejected++;
      warn(err.code, `entry ${e.id} refused: ${err.message}`);
      return;
    }
    if (batch.observationSize !== O || batch.actionCount !== A || batch.observationVersion !== o.observationVersion) {
      rejected++;
      warn('shape', `entries of actor ${batch.actorId} refused: expected ${O} features, ${A} actions, observation version ${o.observationVersion}; actually ${batch.observationSize}, ${batch.actionCount}, ${batch.observationVersion}: start actors with the learner's scenario and coinfer version`);
      return;
    }
    if (batch.objective !== objectiveKey) {
      rejected++;
      warn(`objective ${batch.objective}`, `entries of actor ${batch.actorId} refused: expected rewards for objective ${objectiveKey}, actually ${batch.objective}: start the actor with the learner's scenario and --energy-lambda`);
      return;
    }
    if (!dedupe.accept(batch.actorId, batch.seq)) return;
    try {
      memory.addRows(batch.rows); // validates every row before copying any
    } catch (err) {
      if (!isCoinferError(err)) throw err;
      rejected++; // a bad row (NaN reward, discount outside [0, 1]) would otherwise crash every restart that re-reads it
      warn('rows', `entry ${e.id} of actor ${batch.actorId} refused: ${err.message}`);
      return;
    }
    ingested += batch.rows.size;
  };

  await source.ensureGroup();
  await publish(); // actors joining now act with the current weights at once
  let claiming = true;
  let lastEntryMs: number | null = r ? performance.now() : null; // a resumed run has had its first entry
  let lastPublishMs = performance.now();
  let roundsSincePublish = 0;
  const t0 = performance.now();
  let win = { at: t0, ingested, steps: learner.gradientSteps, loss: 0, rounds: 0 };
  const owed = (): number => Math.floor(ingested / dqn.trainEvery) - rounds;
  for (;;) {
    const debt = owed();
    const ready = ingested >= dqn.learningStarts && memory.size >= dqn.batchSize;
    const reachedMax = c.maxTransitions !== null && ingested >= c.maxTransitions;
    const idle = c.idleExitMs !== null && lastEntryMs !== null && performance.now() - lastEntryMs >= c.idleExitMs;
    if (o.signal?.aborted || ((reachedMax || idle) && (debt <= 0 || !ready))) break;
    let entries: StreamEntry[] = [];
    if (claiming) {
      const page = await source.claimPending(o.consumer, c.readEntries);
      entries = page.entries;
      trimmed += page.deleted;
      claiming = !page.done;
    } else if (!reachedMax) {
      // With rounds owed, do not wait for entries: train meanwhile.
      entries = await source.readNew(o.consumer, c.readEntries, debt > 0 && ready ? 1 : c.blockMs);
    }
    for (const e of entries) ingest(e);
    if (entries.length > 0) lastEntryMs = performance.now();
    // Train rounds owed by the ingested transitions (the single-process cadence).
    let due = owed();
    if (due > c.maxRoundDebt) {
      skipped += due - c.maxRoundDebt;
      rounds += due - c.maxRoundDebt;
      due = c.maxRoundDebt;
    }
    if (due > 0 && !(ingested >= dqn.learningStarts && memory.size >= dqn.batchSize)) {
      rounds += due; // forfeited before learningStarts, as in the single-process loop
    } else {
      const sliceEnd = performance.now() + c.trainSliceMs;
      for (let k = 0; k < due && (k === 0 || performance.now() < sliceEnd); k++) {
        const res = learner.trainRound(memory, o.sampleRng, ingested);
        rounds++;
        roundsSincePublish++;
        win.loss += res.tdLoss;
        win.rounds++;
      }
    }
    const now = performance.now();
    if (roundsSincePublish > 0 && now - lastPublishMs >= c.publishEveryMs) {
      await publish();
      lastPublishMs = now;
      roundsSincePublish = 0;
    }
    if (ingested - lastCheckpointAt >= c.checkpointEveryTransitions) await checkpoint();
    if (now - win.at >= c.progressEveryMs) {
      const s = (now - win.at) / 1000;
      o.onProgress?.({
        ingested, ingestPerSecond: (ingested - win.ingested) / s, gradientSteps: learner.gradientSteps, updatesPerSecond: (learner.gradientSteps - win.steps) / s,
        replaySize: memory.size, unacked: unacked.length, duplicates: dedupe.duplicates, missing: dedupe.missing, rejected, skippedRounds: skipped, weightsVersion: version,
        tdLoss: win.rounds > 0 ? win.loss / win.rounds : Number.NaN,
      });
      win = { at: now, ingested, steps: learner.gradientSteps, loss: 0, rounds: 0 };
    }
    if (entries.length === 0) await new Promise<void>((resolve) => setImmediate(resolve)); // let signal handlers run
  }
  await publish();
  if (ingested !== lastCheckpointAt || rounds !== roundsAtCheckpoint || unacked.length > 0 || !r) await checkpoint(); // nothing new: the last checkpoint stands
  return { state: state(), gradientSteps: learner.gradientSteps };
}
