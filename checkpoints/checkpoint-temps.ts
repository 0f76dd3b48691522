/**
 * The hidden temp folders a checkpoint save writes into before renaming them into place
 * (checkpoint-io.ts). The name records the writer, `.tmp-p<pid>@<host>-<id>`, so a folder left
 * by a killed writer (kill -9, power loss) can be told from one still being written: it is
 * stale when its writer's process is gone (same host) or it is older than `maxAgeMs` (which
 * also covers PID reuse, other hosts, and the older `.tmp-<id>` names without a writer).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './file-lock.ts';

export const TEMP_PREFIX = '.tmp-';

/** A save takes milliseconds to seconds; a temp folder this old has no live writer, ms. */
export const DEFAULT_TEMP_MAX_AGE_MS = 60 * 60 * 1000;

/** Host names as they may appear in a folder name. */
const safeHost = (h: string): string => h.replace(/[^A-Za-z0-9.]/g, '_');

/** The temp folder name for a checkpoint id written by this process. */
export function tempFolderName(id: string): string {
  return `${TEMP_PREFIX}p${process.pid}@${safeHost(hostname())}-${id}`;
}

/** The writer recorded in a temp folder name (null for names without one). */
export function parseTempFolderName(name: string): { readonly pid: number; readonly host: string } | null {
  const m = /^\.tmp-p(\d+)@([A-Za-z0-9._]+)-\d{8}-\d{6}-s\d+-[0-9a-f]+$/.exec(name);
  return m === null ? null : { pid: Number(m[1]), host: m[2]! };
}

/** One temp folder and what was decided about it. */
export interface TempFolder {
  readonly name: string;
  /** 'removed': stale and deleted; 'in-progress': a live writer may still finish it. */
  readonly state: 'removed' | 'in-progress';
  /** Why, for people. */
  readonly reason: string;
}

/**
 * Removes the stale temp folders under `root` and lists the others (none when root is absent).
 * @param o.alive process liveness (tests pass their own); o.nowMs the clock
 */
export async function sweepTempFolders(root: string, o: { readonly maxAgeMs?: number; readonly nowMs?: number; readonly alive?: (pid: number) => boolean } = {}): Promise<TempFolder[]> {
  const maxAgeMs = o.maxAgeMs ?? DEFAULT_TEMP_MAX_AGE_MS;
  const nowMs = o.nowMs ?? Date.now();
  const alive = o.alive ?? isProcessAlive;
  const host = safeHost(hostname());
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name.startsWith(TEMP_PREFIX)).map((d) => d.name);
  } catch {
    return [];
  }
  const out: TempFolder[] = [];
  for (const name of names.sort()) {
    let ageMs: number;
    try {
      ageMs = nowMs - (await stat(join(root, name))).mtimeMs;
    } catch {
      continue; // renamed into place or removed meanwhile
    }
    const writer = parseTempFolderName(name);
    let stale: string | null = null;
    if (ageMs > maxAgeMs) stale = `older than ${Math.round(maxAgeMs / 60_000)} min`;
    else if (writer !== null && writer.host === host && !alive(writer.pid)) stale = `its writer, process ${writer.pid}, is gone`;
    if (stale === null) {
      out.push({ name, state: 'in-progress', reason: writer === null ? 'recent, writer unknown' : `writer process ${writer.pid} on ${writer.host} may still finish it` });
      continue;
    }
    await rm(join(root, name), { recursive: true, force: true });
    out.push({ name, state: 'removed', reason: stale });
  }
  return out;
}
