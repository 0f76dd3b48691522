/**
 * The start-up check of the edge named by --edge: an unreachable edge or a refused token ends
 * the command with an error (exit code 3, cli/exit-codes.ts) before any request is served,
 * unless the user opted into local-only serving (--allow-local-only), which turns it into one
 * warning. Without this check a typo in the port or the token looked like success: every
 * request was answered locally and the command exited 0.
 */
import { CoinferError } from '../common/errors.ts';
import { EdgeClient } from '../runtime/device/edge-client.ts';

/** How the device side saw the edge at start-up. */
export interface EdgeStatus {
  /** The --edge URL. */
  readonly url: string;
  readonly connected: boolean;
  /** Why it is not connected (the edge client's last error), null when connected. */
  readonly why: string | null;
}

/** The edge client reports a refused upgrade as "HTTP 401 at the upgrade…" (runtime/device/edge-client.ts). */
const REFUSED = /\bHTTP 401\b/;

/**
 * The error for an edge that is not connected: ERR_UNAUTHORIZED when it refused the token,
 * ERR_EDGE_UNAVAILABLE otherwise; the message says what to do.
 */
export function edgeFailure(command: string, s: EdgeStatus, offerLocalOnly = true): CoinferError {
  const why = s.why ?? 'not connected';
  if (REFUSED.test(why)) {
    return new CoinferError('ERR_UNAUTHORIZED', `coinfer ${command}: the edge at ${s.url} refused the token (${why}); pass the edge's token with --token or COINFER_TOKEN`);
  }
  return new CoinferError(
    'ERR_EDGE_UNAVAILABLE',
    `coinfer ${command}: expected an edge at ${s.url}, actually unreachable (${why}); start one with 'coinfer edge --port <n>', or check the URL${offerLocalOnly ? ', or pass --allow-local-only to answer every request on the device' : ''}`,
  );
}

/**
 * Throws when the edge is not connected and local-only serving was not asked for; with it,
 * writes one warning through `warn` and returns.
 * @throws CoinferError ERR_UNAUTHORIZED or ERR_EDGE_UNAVAILABLE (see edgeFailure)
 */
export function requireEdge(o: { readonly command: string; readonly status: EdgeStatus; readonly allowLocalOnly: boolean; readonly warn: (line: string) => void }): void {
  if (o.status.connected) return;
  if (!o.allowLocalOnly) throw edgeFailure(o.command, o.status);
  o.warn(`coinfer ${o.command}: warning: the edge at ${o.status.url} is not connected (${o.status.why ?? 'unknown'}); answering locally until it is back (--allow-local-only)`);
}

/**
 * Connects to the edge once and disconnects: for commands whose runtime is built elsewhere
 * (env calibrate builds its live env inside env/calibrate.ts).
 */
export async function probeEdge(o: { readonly url: string; readonly token: string | null; readonly timeoutMs?: number }): Promise<EdgeStatus> {
  const client = new EdgeClient({ url: o.url, token: o.token, zeroMask: false, connectTimeoutMs: o.timeoutMs ?? 2000, reconnectDelayMs: 0 });
  try {
    const connected = await client.connect();
    return { url: o.url, connected, why: connected ? null : client.lastError };
  } finally {
    await client.close();
  }
}
