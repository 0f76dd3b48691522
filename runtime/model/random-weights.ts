/**
 * Seeded random initial weights for an ArchitectureSpec, in the ONNX layouts the builder
 * consumes: He-normal kernels (std = √(2 / fan-in), suited to ReLU nets) and zero biases.
 * Used for untrained test packages and as the trainer's reference initialisation.
 */
import type { Rng } from '../../common/rng.ts';
import type { ArchitectureSpec } from './architecture.ts';
import { architectureWeights } from './layer-shapes.ts';

/**
 * Random weights for every tensor of architectureWeights(spec).
 * @returns a new map name → Float32Array (conv fan-in = inC·k·k, fc fan-in = in).
 * @example const w = randomWeights(alexNetSpec({ channels: 1, size: 28, classes: 10 }), createRng(7));
 */
export function randomWeights(spec: ArchitectureSpec, rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const w of architectureWeights(spec)) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (w.name.endsWith('.weight')) {
      // conv OIHW: fan-in = I·H·W; fc [in, out]: fan-in = in.
      const fanIn = w.shape.length === 4 ? w.shape[1]! * w.shape[2]! * w.shape[3]! : w.shape[0]!;
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    out.set(w.name, data);
  }
  return out;
}
