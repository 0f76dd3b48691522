/**
 * Input preprocessing as the manifest declares it: float = (u8 · scale − mean[c]) / std[c],
 * NCHW. The trainer, the device and split-check all go through this one function.
 */
import type { ModelManifest } from './manifest.ts';

/**
 * Preprocesses raw NCHW pixels (any whole number of samples).
 * @param raw uint8 pixels, a multiple of C·H·W bytes.
 * @param out optional destination of raw.length floats (reused to avoid allocation).
 * @returns `out` (or a new array) holding the network input.
 * @throws RangeError when raw is not whole samples or out has the wrong length.
 * @example const x = preprocess(pkg.manifest, samples.images.subarray(0, 784));
 */
export function preprocess(manifest: ModelManifest, raw: Uint8Array, out?: Float32Array): Float32Array {
  const [c, h, w] = manifest.input.shape as [number, number, number];
  const plane = h * w;
  const sampleSize = c * plane;
  if (raw.length % sampleSize !== 0) {
    throw new RangeError(`Expected raw pixels a multiple of ${sampleSize} bytes (${c}×${h}×${w}), actually ${raw.length}`);
  }
  const dst = out ?? new Float32Array(raw.length);
  if (dst.length !== raw.length) throw new RangeError(`Expected out of ${raw.length} floats, actually ${dst.length}`);
  const { scale, mean, std } = manifest.input.preprocessing;
  for (let base = 0; base < raw.length; base += sampleSize) {
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch]!;
      const s = std[ch]!;
      const start = base + ch * plane;
      for (let i = start; i < start + plane; i++) dst[i] = (raw[i]! * scale - m) / s; // divide, not ×1/std: bit-equal to the trainer's formula
    }
  }
  return dst;
}
