/**
 * A bare WebSocket client for protocol tests: sends any bytes (good or broken frames) and
 * hands back decoded replies in arrival order.
 */
import { WebSocket } from 'ws';
import { decodeReply, type ReplyFrame } from '../../../runtime/wire/protocol.ts';

export interface WireTestClient {
  readonly ws: WebSocket;
  send(data: Uint8Array | string): void;
  /** The next reply (waits for it). */
  nextReply(): Promise<ReplyFrame>;
  /** Resolves with the close code once the connection closes. */
  readonly closed: Promise<number>;
  close(): Promise<void>;
}

/** Opens a connection; rejects with the HTTP status when the upgrade is refused. */
export function connectWireTestClient(url: string, token?: string): Promise<WireTestClient> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const replies: ReplyFrame[] = [];
    const waiters: ((r: ReplyFrame) => void)[] = [];
    ws.on('message', (data) => {
      const r = decodeReply(new Uint8Array(data as Buffer));
      const w = waiters.shift();
      if (w !== undefined) w(r);
      else replies.push(r);
    });
    const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));
    ws.on('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode }));
      ws.terminate();
    });
    ws.on('error', (e) => reject(e));
    ws.on('open', () =>
      resolve({
        ws,
        closed,
        send: (data) => ws.send(data),
        nextReply: () => {
          const r = replies.shift();
          return r !== undefined ? Promise.resolve(r) : new Promise<ReplyFrame>((res) => waiters.push(res));
        },
        close: async () => {
          if (ws.readyState !== ws.CLOSED) {
            ws.close();
            await closed;
          }
        },
      }),
    );
  });
}
