/**
 * The profile store: a lowdb JSON file (default ./runs/profiles.json) of profiling runs, each
 * with its machine, side, profile (native or emulated), model sha256, date, every repetition,
 * and the regression fitted on it. Built with `new Low(new JSONFile(path), defaults)`, not
 * `JSONFilePreset`, which silently keeps data in memory when NODE_ENV is 'test'.
 */
import type { StageHoldoutEvaluation, StageLatencyProfile } from './stage-fit.ts';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { CoinferError } from '../../common/errors.ts';
import type { LayerRegressionProfile } from './layer-regression.ts';
import type { ProfileMeasurements, ProfileSide } from './profile-measurements.ts';
import type { GroupFitReport, HoldoutEvaluation } from './regression-fit.ts';

export const PROFILE_STORE_SCHEMA_VERSION = 1;

/** Where `coinfer profile` keeps its runs unless told otherwise (relative to the working directory). */
export const DEFAULT_PROFILE_STORE_PATH = './runs/profiles.json';

/** The regression fitted on a run, with its report and held-out evaluation. */
export interface StoredFit {
  /** Fitted on all repetitions (what predictions use). */
  readonly profile: LayerRegressionProfile;
  readonly report: Readonly<Record<string, GroupFitReport>>;
  /** Scores of a separate fit on a train subset, measured on the held-out repetitions. */
  readonly evaluation: HoldoutEvaluation;
  /** The calibrated (fused per-stage) model: fitted on all repetitions, scored on held-out ones. */
  readonly stageFit?: { readonly profile: StageLatencyProfile; readonly evaluation: StageHoldoutEvaluation };
}

export interface ProfileRecord extends ProfileMeasurements {
  readonly id: string;
  readonly fit: StoredFit | null;
}

export interface ProfileStoreData {
  schemaVersion: number;
  runs: ProfileRecord[];
}

/** A filter over stored runs; every given field must match. */
export interface ProfileQuery {
  readonly side?: ProfileSide;
  readonly profile?: string;
  readonly modelSha256?: string;
}

export class ProfileStore {
  readonly path: string;
  readonly #db: Low<ProfileStoreData>;

  private constructor(path: string, db: Low<ProfileStoreData>) {
    this.path = path;
    this.#db = db;
  }

  /**
   * Opens (or creates on first write) the store at `path`.
   * @throws (rejects) CoinferError ERR_PROFILE_NOT_FOUND when the file is not a profile store.
   */
  static async open(path: string = DEFAULT_PROFILE_STORE_PATH): Promise<ProfileStore> {
    const abs = resolve(path);
    const db = new Low<ProfileStoreData>(new JSONFile<ProfileStoreData>(abs), { schemaVersion: PROFILE_STORE_SCHEMA_VERSION, runs: [] });
    try {
      await db.read();
    } catch (e) {
      throw new CoinferError('ERR_PROFILE_NOT_FOUND', `Could not read the profile store ${abs} (expected JSON written by coinfer profile); move it away or pass another --store`, { cause: e });
    }
    if (db.data.schemaVersion !== PROFILE_STORE_SCHEMA_VERSION || !Array.isArray(db.data.runs)) {
      throw new CoinferError('ERR_PROFILE_NOT_FOUND', `${abs}: expected a profile store of schema ${PROFILE_STORE_SCHEMA_VERSION}, actually schema ${String(db.data.schemaVersion)}; move it away or pass another --store`);
    }
    return new ProfileStore(abs, db);
  }

  /** Appends a run and writes the file (atomically: lowdb writes a temp file, then renames). */
  async add(run: ProfileMeasurements, fit: StoredFit | null): Promise<ProfileRecord> {
    const record: ProfileRecord = { ...run, id: `${run.side}-${run.profile}-${run.date}`, fit };
    await mkdir(dirname(this.path), { recursive: true });
    await this.#db.update((d) => { d.runs.push(record); });
    return record;
  }

  /** Stored runs matching the query, oldest first. */
  find(query: ProfileQuery = {}): ProfileRecord[] {
    return this.#db.data.runs.filter((r) =>
      (query.side === undefined || r.side === query.side)
      && (query.profile === undefined || r.profile === query.profile)
      && (query.modelSha256 === undefined || r.modelSha256 === query.modelSha256));
  }

  /**
   * The fitted profile of the latest matching run.
   * @throws CoinferError ERR_PROFILE_NOT_FOUND naming the query, with the command that makes one.
   */
  latestFitted(query: ProfileQuery): LayerRegressionProfile {
    const runs = this.find(query).filter((r) => r.fit !== null);
    const last = runs[runs.length - 1];
    if (!last?.fit) {
      throw new CoinferError('ERR_PROFILE_NOT_FOUND', `No fitted profile for ${JSON.stringify(query)} in ${this.path}; run \`coinfer profile --side ${query.side ?? 'device'} --profile ${query.profile ?? 'native'}\` first`);
    }
    return last.fit.profile;
  }
}
