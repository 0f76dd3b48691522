/**
 * A registry's serving rule (`<root>/serving.json`): the shipped `dqn` acts as a model-based
 * planner unless its own choice beats the planner's action by `margin` in its Q-values
 * (policies/dqn-policy.ts `anchor`). The margin is chosen on validation worlds and the file
 * says how; `dqn:<ref>` specs never read it (they are the bare network).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseWith } from '../common/schema.ts';

export const SERVING_ANCHOR_FILE = 'serving.json';

/** The planners a DQN may be anchored to (`dqn+<planner>@<margin>`, and serving.json's `anchor`). */
export const ANCHOR_PLANNERS = ['calibrated', 'tracking', 'risk-aware', 'edgent'] as const;

const ServingAnchorSchema = z.strictObject({
  /** The planner the network is anchored to. */
  anchor: z.enum(ANCHOR_PLANNERS),
  /** Q-value lead the network's choice needs over the planner's action to override it. */
  margin: z.number().min(0),
  /**
   * Checkpoint ids of the registry that can veto an override (policies/dqn-policy.ts): the
   * override stands only if each of them also leads by the margin. Default none.
   */
  vetoes: z.array(z.string().min(1)).optional(),
  /** How the margin was chosen (free text: the command, the split, the candidates). */
  selection: z.string(),
});

export type ServingAnchor = z.output<typeof ServingAnchorSchema>;

/**
 * The serving rule of the registry at `root`, or null when it has none.
 * @throws (rejects) CoinferError ERR_INVALID_CONFIG for a malformed file
 */
export async function readServingAnchor(root: string): Promise<ServingAnchor | null> {
  const path = join(root, SERVING_ANCHOR_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text; // fails the schema with the file named
  }
  return parseWith(ServingAnchorSchema, json, path);
}
