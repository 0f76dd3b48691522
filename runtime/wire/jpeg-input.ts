/**
 * JPEG input encodings (jpeg90, jpeg50): the raw input image (partition 0), CHW uint8 pixels,
 * sent as a baseline JPEG at the quality in the encoding's name. sharp (libvips with
 * libjpeg-turbo) encodes and decodes, exactly as `coinfer model accuracy` does when it measures
 * these actions' accuracy, bytes and encode time, so the runtime matches the measured figures.
 * Grey images (C = 1) stay one channel; colour images are interleaved HWC for the codec.
 */
import sharp from 'sharp';
import { CoinferError } from '../../common/errors.ts';
import { jpegQuality, type JpegEncoding } from '../action.ts';

/** CHW → HWC (a copy; C = 1 needs none, the planes are the same bytes). */
function toHwc(chw: Uint8Array, c: number, plane: number): Uint8Array {
  if (c === 1) return chw;
  const hwc = new Uint8Array(c * plane);
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) hwc[p * c + ch] = chw[ch * plane + p]!;
  return hwc;
}

function checkShape(shape: readonly number[]): [number, number, number] {
  const [c, h, w] = shape;
  if (shape.length !== 3 || (c !== 1 && c !== 3) || !(h! >= 1) || !(w! >= 1)) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an image shape [C,H,W] with C 1 or 3, actually [${shape.join(',')}]; JPEG input needs a grey or RGB image model`);
  }
  return [c, h!, w!];
}

/**
 * Encodes one raw image as a JPEG.
 * @param chw C·H·W uint8 pixels, channel-major (the package's sample layout)
 * @param shape [C, H, W] (the manifest's input shape)
 * @param encoding jpeg90 or jpeg50
 * @returns the JPEG file bytes
 * @throws (rejects) CoinferError ERR_INVALID_ARGUMENT on a size/shape mismatch or a non-JPEG encoding
 */
export async function encodeJpegInput(chw: Uint8Array, shape: readonly number[], encoding: JpegEncoding): Promise<Uint8Array> {
  const [c, h, w] = checkShape(shape);
  const quality = jpegQuality(encoding);
  if (quality === null) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a jpegNN encoding, actually ${String(encoding)}`);
  if (chw.length !== c * h * w) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${c * h * w} pixel bytes for [${shape.join(',')}], actually ${chw.length}`);
  const buf = await sharp(toHwc(chw, c, h * w), { raw: { width: w, height: h, channels: c as 1 | 3 } }).jpeg({ quality }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Decodes a received JPEG back to CHW uint8 pixels of the expected shape. Strict: the bytes must
 * start with a JPEG SOI marker, decode without libjpeg warnings (a truncated or corrupt stream
 * is refused, not half-decoded), and have exactly H×W pixels; decoding is capped at H·W pixels
 * so a crafted header cannot make the edge allocate a huge image.
 * @throws (rejects) CoinferError ERR_FRAME_MALFORMED saying what was wrong with the JPEG
 */
export async function decodeJpegInput(jpeg: Uint8Array, shape: readonly number[]): Promise<Uint8Array> {
  const [c, h, w] = checkShape(shape);
  if (jpeg.length < 3 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[2] !== 0xff) {
    throw new CoinferError('ERR_FRAME_MALFORMED', `Expected a JPEG payload (starting FF D8 FF), actually ${jpeg.length} bytes starting ${Buffer.from(jpeg.subarray(0, 3)).toString('hex') || '(none)'}; send raw uint8 or re-encode the image`);
  }
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // The header first (no pixels decoded), for a clear error on a wrong size.
    const meta = await sharp(jpeg, { failOn: 'warning' }).metadata();
    if (meta.format !== 'jpeg' || meta.width !== w || meta.height !== h) {
      throw new CoinferError('ERR_FRAME_MALFORMED', `Expected a ${w}×${h} JPEG for input [${shape.join(',')}], actually a ${meta.width ?? '?'}×${meta.height ?? '?'} ${meta.format ?? 'unknown'} image`);
    }
    decoded = await sharp(jpeg, { failOn: 'warning', limitInputPixels: h * w }).raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (e instanceof CoinferError) throw e;
    throw new CoinferError('ERR_FRAME_MALFORMED', `Expected a decodable ${w}×${h} JPEG, actually the decoder said: ${(e as Error).message}`, { cause: e });
  }
  const { data, info } = decoded;
  if (info.width !== w || info.height !== h) {
    throw new CoinferError('ERR_FRAME_MALFORMED', `Expected a ${w}×${h} JPEG for input [${shape.join(',')}], actually ${info.width}×${info.height}`);
  }
  const plane = h * w;
  const out = new Uint8Array(c * plane);
  // A grey JPEG for an RGB model repeats its one channel; extra channels for a grey model are
  // ignored (the first is kept), as when the accuracies were measured.
  for (let ch = 0; ch < c; ch++) {
    const from = Math.min(ch, info.channels - 1);
    for (let p = 0; p < plane; p++) out[ch * plane + p] = data[p * info.channels + from]!;
  }
  return out;
}
