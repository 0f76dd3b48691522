/**
 * Square resizing of decoded RGBA images: centre crop to a square, then bilinear sampling to
 * `size`×`size` (pixel centres aligned, as in OpenCV's INTER_LINEAR). Pure function; the output
 * is RGBA like the input so callers keep one pixel layout.
 */

/** Resizes `rgba` (width×height×4) to size×size×4 after a centre crop to the shorter side. */
export function resizeBilinear(rgba: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const side = Math.min(width, height);
  const x0 = (width - side) / 2;
  const y0 = (height - side) / 2;
  const scale = side / size;
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(Math.max(y0 + (y + 0.5) * scale - 0.5, 0), height - 1);
    const ya = Math.floor(sy);
    const yb = Math.min(ya + 1, height - 1);
    const fy = sy - ya;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(Math.max(x0 + (x + 0.5) * scale - 0.5, 0), width - 1);
      const xa = Math.floor(sx);
      const xb = Math.min(xa + 1, width - 1);
      const fx = sx - xa;
      for (let c = 0; c < 4; c++) {
        const a = rgba[(ya * width + xa) * 4 + c]!;
        const b = rgba[(ya * width + xb) * 4 + c]!;
        const d = rgba[(yb * width + xa) * 4 + c]!;
        const e = rgba[(yb * width + xb) * 4 + c]!;
        out[(y * size + x) * 4 + c] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy);
      }
    }
  }
  return out;
}
