/**
 * The thin I/O shell over Redis (ioredis): the only file of distributed training that talks to
 * the network. Transitions go through one stream with a consumer group (XADD capped with
 * MAXLEN ~, XREADGROUP, XACK, XAUTOCLAIM for a restarted learner's pending entries); weights
 * through one binary key plus a PUBLISH of their version. Everything else is pure and takes
 * the interfaces below, so the loops are tested against a real server and reasoned about
 * without one.
 */
import { Redis } from 'ioredis';
import { CoinferError } from '../../common/errors.ts';
import type { BrokerConfig } from './distributed-config.ts';

/** One stream entry: its id and the encoded transition batch. */
export interface StreamEntry {
  readonly id: string;
  readonly data: Uint8Array;
}

/** What an actor needs from the broker. */
export interface TransitionSink {
  /** Appends one encoded batch (the stream trims its oldest beyond the cap). */
  addBatch(bytes: Uint8Array): Promise<void>;
  /** Entries in the stream the learner's group has not read yet (the stream's length while no learner ever joined). */
  groupLag(): Promise<number>;
}

/** What the learner needs from the broker. */
export interface TransitionSource {
  ensureGroup(): Promise<void>;
  /** Up to `count` entries never delivered to the group, waiting up to `blockMs` for the first. */
  readNew(consumer: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  /**
   * Takes over every entry delivered to the group but not acknowledged (a crashed learner's
   * window), page by page; `deleted` counts pending ids whose entry the cap already trimmed.
   */
  claimPending(consumer: string, count: number): Promise<{ readonly entries: StreamEntry[]; readonly deleted: number; readonly done: boolean }>;
  ack(ids: readonly string[]): Promise<void>;
  /** Entries delivered and not acknowledged. */
  pendingCount(): Promise<number>;
}

/** The weights channel. */
export interface WeightsStore {
  putWeights(bytes: Uint8Array, version: number): Promise<void>;
  getWeights(): Promise<Uint8Array | null>;
  /** Calls `listener` with each published version; resolves with an unsubscribe function. */
  onWeights(listener: (version: number) => void): Promise<() => Promise<void>>;
}

type Fields = (Buffer | null)[] | null;
type RawEntry = [Buffer, Fields];

const toEntries = (raw: readonly RawEntry[]): StreamEntry[] => {
  const out: StreamEntry[] = [];
  for (const [id, fields] of raw) {
    if (!fields) continue; // pending id whose entry was trimmed
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i]?.toString() === 'd' && fields[i + 1]) out.push({ id: id.toString(), data: fields[i + 1]! });
    }
  }
  return out;
};

/** Hides the password of a URL for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

export class RedisBroker implements TransitionSink, TransitionSource, WeightsStore {
  readonly config: BrokerConfig;
  readonly streamKey: string;
  readonly weightsKey: string;
  readonly #redis: Redis;
  #subscriber: Redis | null = null;
  #claimCursor = '0-0'; // XAUTOCLAIM's position in the pending entries
  #closed = false;

  private constructor(redis: Redis, config: BrokerConfig) {
    this.#redis = redis;
    this.config = config;
    this.streamKey = `${config.namespace}:transitions`;
    this.weightsKey = `${config.namespace}:weights`;
  }

  /**
   * Connects and checks the server answers (PING).
   * @throws CoinferError ERR_BROKER when it cannot be reached or refuses the credentials.
   */
  static async connect(config: BrokerConfig): Promise<RedisBroker> {
    const redis = new Redis(config.url, { lazyConnect: true, connectTimeout: config.connectTimeoutMs, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    redis.on('error', () => {}); // reported through the commands that fail; ioredis reconnects
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new CoinferError('ERR_BROKER', `Expected a Redis server at ${redactUrl(config.url)}, actually: ${(e as Error).message}. Start one (redis-server --port 6379), or fix --broker (redis://user:password@host:port, rediss:// for TLS)`, { cause: e });
    }
    return new RedisBroker(redis, config);
  }

  async addBatch(bytes: Uint8Array): Promise<void> {
    await this.#redis.callBuffer('XADD', this.streamKey, 'MAXLEN', '~', this.config.maxStreamEntries, '*', 'd', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  async groupLag(): Promise<number> {
    const groups = (await this.#redis.call('XINFO', 'GROUPS', this.streamKey).catch(() => [])) as unknown[][];
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      if (info.get('name') === this.config.group) {
        const lag = info.get('lag');
        if (typeof lag === 'number') return lag;
        return Number(info.get('pending') ?? 0); // lag is null after trims: the pending count is the nearest bound
      }
    }
    return this.#redis.xlen(this.streamKey);
  }

  async ensureGroup(): Promise<void> {
    try {
      // From id 0: entries actors added before the learner's first start are learned too.
      await this.#redis.call('XGROUP', 'CREATE', this.streamKey, this.config.group, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw new CoinferError('ERR_BROKER', `Expected to create consumer group ${this.config.group} on ${this.streamKey}, actually: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Runs a command; a failure becomes ERR_BROKER naming the server and the command. */
  async #call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw new CoinferError('ERR_BROKER', `Redis at ${redactUrl(this.config.url)}: expected ${what} to succeed, actually: ${(e as Error).message}. A learner restarted with --resume latest re-reads what it had not checkpointed`, { cause: e });
    }
  }

  async readNew(consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const reply = await this.#call('XREADGROUP', () => this.#redis.callBuffer('XREADGROUP', 'GROUP', this.config.group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.streamKey, '>') as Promise<unknown[] | null>);
    if (!reply || reply.length === 0) return [];
    // RESP2 answers [[key, entries], …]; RESP3 (ioredis 6's default) a map, flattened to [key, entries, …].
    const out: StreamEntry[] = [];
    if (Array.isArray(reply[0])) for (const [, entries] of reply as [Buffer, RawEntry[]][]) out.push(...toEntries(entries));
    else for (let i = 1; i < reply.length; i += 2) out.push(...toEntries(reply[i] as RawEntry[]));
    return out;
  }

  async claimPending(consumer: string, count: number): Promise<{ entries: StreamEntry[]; deleted: number; done: boolean }> {
    const [next, claimed, deleted] = await this.#call('XAUTOCLAIM', () => this.#redis.callBuffer('XAUTOCLAIM', this.streamKey, this.config.group, consumer, 0, this.#claimCursor, 'COUNT', count) as Promise<[Buffer, RawEntry[], Buffer[]]>);
    this.#claimCursor = next.toString();
    const done = this.#claimCursor === '0-0';
    return { entries: toEntries(claimed), deleted: deleted?.length ?? 0, done };
  }

  async ack(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 10_000) await this.#call('XACK', () => this.#redis.xack(this.streamKey, this.config.group, ...ids.slice(i, i + 10_000)));
  }

  async pendingCount(): Promise<number> {
    const r = (await this.#redis.call('XPENDING', this.streamKey, this.config.group).catch(() => [0])) as unknown[];
    return Number(r[0] ?? 0);
  }

  async putWeights(bytes: Uint8Array, version: number): Promise<void> {
    await this.#call('SET + PUBLISH of the weights', () => this.#redis.multi().set(this.weightsKey, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).publish(this.weightsKey, String(version)).exec());
  }

  async getWeights(): Promise<Uint8Array | null> {
    return this.#redis.getBuffer(this.weightsKey);
  }

  async onWeights(listener: (version: number) => void): Promise<() => Promise<void>> {
    const sub = this.#subscriber ?? (this.#subscriber = this.#redis.duplicate());
    sub.on('error', () => {});
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.weightsKey) listener(Number(message));
    });
    await sub.subscribe(this.weightsKey);
    return async () => {
      await sub.unsubscribe(this.weightsKey).catch(() => {});
    };
  }

  /** Deletes the stream and the weights (tests and benchmarks start clean). */
  async reset(): Promise<void> {
    await this.#redis.del(this.streamKey, this.weightsKey);
  }

  /** Closes the connections (waits for replies in flight). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#redis, this.#subscriber].map((c) => c?.quit().catch(() => c.disconnect())));
  }
}
