/**
 * Brings the registry in line with the folders under its root after crashes: a writer killed
 * between renaming its checkpoint into place and registering it leaves a finished folder the
 * registry does not list (recovered here), one killed mid-write leaves a `.tmp-*` folder
 * (removed once stale, checkpoint-temps.ts). Entries whose folder was deleted and folders that
 * are not checkpoints are reported, never changed.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointRegistry, scanCheckpointFolders, type RegistryEntry } from './checkpoint-registry.ts';
import { sweepTempFolders, type TempFolder } from './checkpoint-temps.ts';

export interface RegistryReport {
  /** Finished checkpoint folders that were missing from registry.json and are registered now. */
  readonly recovered: readonly RegistryEntry[];
  /** Registered entries whose folder is gone (deleted by hand?); left in the registry. */
  readonly missing: readonly RegistryEntry[];
  /** Visible folders without a valid checkpoint.json; never registered. */
  readonly unreadable: readonly string[];
  /** Temp folders: the stale ones removed, the others still being written. */
  readonly temps: readonly TempFolder[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sweeps stale temp folders, registers finished but unregistered checkpoints, and reports.
 * @param o passed to sweepTempFolders (tests set the clock and liveness)
 * @throws (rejects) CoinferError ERR_CHECKPOINT_CORRUPT (registry.json damaged: rebuild it), ERR_REGISTRY_LOCKED
 */
export async function reconcileRegistry(root: string, o: Parameters<typeof sweepTempFolders>[1] = {}): Promise<RegistryReport> {
  const temps = await sweepTempFolders(root, o);
  if (!(await exists(root))) return { recovered: [], missing: [], unreadable: [], temps };
  const registry = new CheckpointRegistry(root);
  const registered = await registry.list();
  const known = new Set(registered.map((e) => e.id));
  const scan = await scanCheckpointFolders(root);
  const recovered = scan.entries.filter((e) => !known.has(e.id));
  if (recovered.length > 0) await registry.addAll(recovered);
  const missing: RegistryEntry[] = [];
  for (const e of registered) if (!(await exists(join(root, e.dir)))) missing.push(e);
  return { recovered, missing, unreadable: scan.unreadable, temps };
}

/** The report as lines for people (none when there is nothing to say). */
export function formatRegistryReport(r: RegistryReport): string[] {
  return [
    ...r.temps.map((t) => (t.state === 'removed' ? `removed stale temp folder ${t.name} (${t.reason})` : `temp folder ${t.name} is being written (${t.reason})`)),
    ...r.recovered.map((e) => `recovered checkpoint ${e.id}: its folder was complete but missing from the registry`),
    ...r.missing.map((e) => `registered checkpoint ${e.id} has no folder ${e.dir} (deleted?); 'coinfer checkpoints rebuild' drops it`),
    ...r.unreadable.map((n) => `folder ${n} is not a readable checkpoint (checkpoint.json missing or invalid); not registered`),
  ];
}
