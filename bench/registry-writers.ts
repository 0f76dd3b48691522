/**
 * Several processes registering checkpoints in one registry at once: prints how many entries
 * survive (all must) and the cost of a locked add. Each writer is this script started with
 * --child; each add is one locked read-modify-write of registry.json (checkpoints/file-lock.ts).
 *
 *   node bin/run-ts.js bench/registry-writers.ts [--writers N] [--adds M]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CheckpointRegistry } from '../checkpoints/checkpoint-registry.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

async function child(root: string, prefix: string, adds: number): Promise<void> {
  const registry = new CheckpointRegistry(root);
  const t0 = performance.now();
  for (let i = 0; i < adds; i++) await registry.add({ id: `${prefix}-${i}`, dir: `${prefix}-${i}`, parentId: null, step: i, createdAt: new Date().toISOString(), evalMetrics: {} });
  process.stdout.write(`${JSON.stringify({ msPerAdd: (performance.now() - t0) / adds })}\n`);
}

async function main(): Promise<void> {
  const writers = flag('--writers', 4);
  const adds = flag('--adds', 100);
  const root = await mkdtemp(join(tmpdir(), 'coinfer-registry-bench-'));
  const self = fileURLToPath(import.meta.url);
  const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  try {
    const t0 = performance.now();
    const outs = await Promise.all(Array.from({ length: writers }, (_, w) => promisify(execFile)(process.execPath, [runTs, self, '--child', root, `w${w}`, String(adds)])));
    const wallS = (performance.now() - t0) / 1000;
    const perAdd = outs.map((o) => (JSON.parse(o.stdout) as { msPerAdd: number }).msPerAdd);
    const found = (await new CheckpointRegistry(root).list()).length;
    process.stdout.write(`${writers} writers × ${adds} adds: ${found}/${writers * adds} entries registered (${writers * adds - found} lost), ms per locked add under contention: ${perAdd.map((m) => m.toFixed(2)).join(', ')}; wall ${wallS.toFixed(1)} s incl. process start\n`);
    process.stdout.write(`${JSON.stringify({ writers, adds, expected: writers * adds, found, msPerAdd: perAdd })}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (args[0] === '--child') await child(args[1]!, args[2]!, Number(args[3]));
else await main();
