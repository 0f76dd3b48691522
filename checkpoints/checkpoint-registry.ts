/**
 * The checkpoint registry: `<root>/registry.json`, a lowdb 7 document listing the checkpoints
 * under `root` (one directory each). Built as `new Low(new JSONFile(path), defaults)` — not
 * `JSONFilePreset`, which silently switches to memory when NODE_ENV is 'test'. lowdb writes
 * through steno (temp file + rename), so a crash never leaves half a registry and readers need
 * no lock. Writers, in this process or others, take `registry.json.lock` (file-lock.ts) around
 * each read-modify-write, so concurrent saves neither lose entries nor share steno's temp file.
 * `rebuildRegistry` recovers from lost or damaged registries by scanning the checkpoint
 * directories; reconcile-registry.ts adds the finished folders a killed writer left unregistered.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { CoinferError } from '../common/errors.ts';
import { parseCheckpointMeta, type Lineage, type Objective } from './checkpoint-meta.ts';
import { withFileLock, type FileLockOptions } from './file-lock.ts';

export const REGISTRY_FILE = 'registry.json';
export const REGISTRY_LOCK_FILE = 'registry.json.lock';

/** One registered checkpoint (a summary of its checkpoint.json). */
export interface RegistryEntry {
  readonly id: string;
  /** Directory name under the root. */
  readonly dir: string;
  readonly parentId: string | null;
  readonly step: number;
  readonly createdAt: string;
  readonly evalMetrics: Readonly<Record<string, number>>;
  /** The training objective (absent or null: unrecorded). */
  readonly objective?: Objective | null;
  /** An online learner's version: why it was made from its parent (absent otherwise). */
  readonly lineage?: Lineage;
}

export interface RegistryData {
  readonly schemaVersion: 1;
  readonly checkpoints: RegistryEntry[];
}

const emptyRegistry = (): RegistryData => ({ schemaVersion: 1, checkpoints: [] });

export class CheckpointRegistry {
  readonly root: string;
  readonly #lock: Partial<FileLockOptions>;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param lock options of the writers' lock (tests shorten its timeouts) */
  constructor(root: string, lock: Partial<FileLockOptions> = {}) {
    this.root = root;
    this.#lock = lock;
  }

  /** Registered checkpoints in registration order (re-read from disk: other runs may have added some). */
  async list(): Promise<RegistryEntry[]> {
    return [...(await this.#open()).data.checkpoints];
  }

  /** Adds (or replaces, by id) an entry. */
  async add(entry: RegistryEntry): Promise<void> {
    await this.addAll([entry]);
  }

  /**
   * Adds (or replaces, by id) entries in one locked read-modify-write.
   * @throws (rejects) CoinferError ERR_REGISTRY_LOCKED, ERR_CHECKPOINT_CORRUPT
   */
  async addAll(entries: readonly RegistryEntry[]): Promise<void> {
    await this.#serial(async () => {
      await mkdir(this.root, { recursive: true });
      await withFileLock(join(this.root, REGISTRY_LOCK_FILE), async () => {
        const db = await this.#open();
        await db.update((d) => {
          for (const entry of entries) {
            const i = d.checkpoints.findIndex((c) => c.id === entry.id);
            if (i >= 0) d.checkpoints.splice(i, 1);
            d.checkpoints.push(entry);
          }
        });
      }, this.#lock);
    });
  }

  /** A fresh lowdb handle on the file, read and checked (fresh defaults each time: lowdb reuses the defaults object). */
  async #open(): Promise<Low<RegistryData>> {
    const db = new Low<RegistryData>(new JSONFile<RegistryData>(join(this.root, REGISTRY_FILE)), emptyRegistry());
    try {
      await db.read();
    } catch (e) {
      throw new CoinferError(
        'ERR_CHECKPOINT_CORRUPT',
        `${join(this.root, REGISTRY_FILE)} is not valid JSON (${(e as Error).message}): run 'coinfer checkpoints rebuild --root ${this.root}' (the checkpoint directories are intact)`,
        { cause: e },
      );
    }
    const d = db.data as unknown;
    if (typeof d !== 'object' || d === null || !Array.isArray((d as RegistryData).checkpoints)) {
      throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${join(this.root, REGISTRY_FILE)}: expected { checkpoints: [...] }: run 'coinfer checkpoints rebuild --root ${this.root}'`);
    }
    return db;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

/** The checkpoint folders under a root, as registry entries (oldest first), and the folders that are not checkpoints. */
export interface FolderScan {
  readonly entries: RegistryEntry[];
  /** Visible folders whose checkpoint.json is missing or does not validate. */
  readonly unreadable: string[];
}

/** Scans the visible folders under `root` (temp folders start with a dot); an absent root has none. */
export async function scanCheckpointFolders(root: string): Promise<FolderScan> {
  const entries: RegistryEntry[] = [];
  const unreadable: string[] = [];
  let names: string[] = [];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    names = [];
  }
  for (const name of names.sort()) {
    try {
      const file = join(root, name, 'checkpoint.json');
      const meta = parseCheckpointMeta(JSON.parse(await readFile(file, 'utf8')), file);
      entries.push({ id: meta.id, dir: name, parentId: meta.parentId, step: meta.step, createdAt: meta.createdAt, evalMetrics: meta.evalMetrics, objective: meta.objective ?? null, ...(meta.lineage ? { lineage: meta.lineage } : {}) });
    } catch {
      unreadable.push(name); // not a checkpoint, or a damaged one: never registered
    }
  }
  entries.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  return { entries, unreadable };
}

/**
 * Rewrites `<root>/registry.json` from the checkpoint directories under `root` (those whose
 * checkpoint.json parses), oldest first, under the writers' lock. Returns the entries registered.
 */
export async function rebuildRegistry(root: string): Promise<RegistryEntry[]> {
  await mkdir(root, { recursive: true });
  return withFileLock(join(root, REGISTRY_LOCK_FILE), async () => {
    const { entries } = await scanCheckpointFolders(root);
    const db = new Low<RegistryData>(new JSONFile<RegistryData>(join(root, REGISTRY_FILE)), emptyRegistry());
    db.data = { schemaVersion: 1, checkpoints: entries };
    await db.write();
    return entries;
  });
}
