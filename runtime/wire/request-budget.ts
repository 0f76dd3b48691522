/**
 * Rewrites the budget of an encoded request frame in place (protocol v2, f32 at byte 20): the
 * device builds the frame before its link pacing, then sets the budget left at the moment the
 * bytes really go out, since the edge counts the budget from their arrival.
 */
import { REQUEST_FIXED_BYTES } from './protocol.ts';

/**
 * @param frame an encoded request (encodeRequest)
 * @param budgetMs ms the device will still read a reply, > 0 (0 = no deadline)
 * @throws RangeError when the frame is too short or the budget is negative or not finite
 */
export function setRequestBudgetMs(frame: Uint8Array, budgetMs: number): void {
  if (frame.byteLength < REQUEST_FIXED_BYTES) throw new RangeError(`Expected a request frame of at least ${REQUEST_FIXED_BYTES} bytes, actually ${frame.byteLength}`);
  if (!(budgetMs >= 0) || !Number.isFinite(budgetMs)) throw new RangeError(`Expected budgetMs finite and >= 0, actually ${budgetMs}`);
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setFloat32(20, budgetMs, true);
}
