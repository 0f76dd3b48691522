/** Baseline: the final exit, everything on the device; never sends anything. */
import { canonicalAction, type Action } from '../runtime/action.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import type { Policy } from './policy.ts';

export function createDeviceOnlyPolicy(deps: { readonly manifest: ModelManifest }): Policy {
  const last = deps.manifest.exits[deps.manifest.exits.length - 1]!;
  const action: Action = canonicalAction(deps.manifest, { exit: last.index, partition: last.branchStage, encoding: 'f32' });
  return {
    name: 'device-only',
    decide: () => action,
    explain: () => `e${action.exit}/local: always the final exit on the device`,
  };
}
