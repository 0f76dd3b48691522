/** Baseline: the final exit, everything on the edge (partition 0: the raw uint8 input is sent). */
import type { Action } from '../runtime/action.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import type { Policy } from './policy.ts';

export function createEdgeOnlyPolicy(deps: { readonly manifest: ModelManifest }): Policy {
  const last = deps.manifest.exits[deps.manifest.exits.length - 1]!;
  const action: Action = { exit: last.index, partition: 0, encoding: 'uint8' };
  return {
    name: 'edge-only',
    decide: () => action,
    explain: () => `e${action.exit}/p0/uint8: always the raw input to the edge, final exit`,
  };
}
