// The fan-out log on Redis Streams. `append` groups messages by shard (hash of the topic,
// so order per topic holds) and writes ONE entry per shard per call,
//   XADD <prefix>:log:<s> MAXLEN ~ <logMaxLen> * n <nodeId> d <msgpack batch>
// all pipelined in one round trip; it resolves once Redis has acknowledged every entry.
//
// Reading: one loop per shard, each on its own duplicated connection, blocking in
// `XREAD BLOCK <blockTimeMs> COUNT <readCount> STREAMS <shard> <lastId>`. Per-shard
// connections keep every read a single-key command (shards may sit on different Redis
// Cluster nodes), let a busy shard never delay the others, and give each loop its own
// cursor and backoff. `start()` first reads each shard's last id, so everything appended
// after `start()` resolves is delivered (a literal `$` in the first XREAD would miss
// entries appended before that XREAD reaches Redis). Entries written by this node are
// skipped. While Redis is away a read waits for the reconnect (its connection queues it)
// and is then sent again from the same cursor. A read error backs off 100 ms, doubling to 2 s, and never spins; `stop()`
// disconnects the blocking connections instead of waiting out a BLOCK.

import type { Message } from '@edgemq/model';
import { PartialAppendError } from '../backbone.js';
import { duplicateClient, type RedisClient as Redis } from './client.js';
import { decodeBatch, encodeBatch } from './codec.js';
import type { RedisKeys } from './keys.js';
import { shardOf } from './shard.js';

export interface RedisLogOptions {
  nodeId: string;
  shards: number;
  logMaxLen: number;
  blockTimeMs: number;
  /** Entries per XREAD; each entry may hold many messages. */
  readCount: number;
  /** Gets every decoded message written by another node, in log order per shard. */
  deliver: (message: Message) => void;
  /** An entry that cannot be decoded is skipped and reported here. */
  onEntryError: (error: unknown, stream: string, entryId: string) => void;
}

const REPLAY_PAGE = 200;
const BACKOFF_FIRST_MS = 100;
/** How long stop() waits for a read loop to return. */
const STOP_WAIT_MS = 1000;
const BACKOFF_MAX_MS = 2000;

export class RedisLog {
  readonly #options: RedisLogOptions;
  readonly #keys: RedisKeys;
  readonly #nodeIdBytes: Buffer;
  #readers: ShardReader[] = [];

  constructor(keys: RedisKeys, options: RedisLogOptions) {
    this.#keys = keys;
    this.#options = options;
    this.#nodeIdBytes = Buffer.from(options.nodeId);
  }

  async append(redis: Redis, messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return;
    const { shards, logMaxLen, nodeId } = this.#options;
    const byShard = new Map<number, Message[]>();
    for (const message of messages) {
      const shard = shardOf(message.topic, shards);
      const batch = byShard.get(shard);
      if (batch === undefined) byShard.set(shard, [message]);
      else batch.push(message);
    }
    // One XADD per shard, all written before any reply is awaited (pipelined on the
    // socket). Not a MULTI/pipeline object: shards may live on different cluster nodes.
    // Each shard's write succeeds or fails on its own: the caller learns which messages
    // are stored, so a refused publish is one that reaches nobody.
    const shardBatches = [...byShard];
    const outcomes = await Promise.allSettled(
      shardBatches.map(([shard, batch]) =>
        redis.xadd(
          this.#keys.log(shard),
          'MAXLEN',
          '~',
          logMaxLen,
          '*',
          'n',
          nodeId,
          'd',
          encodeBatch(batch),
        ),
      ),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed === undefined) return;
    const stored = new Set<Message>();
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled') for (const message of shardBatches[i][1]) stored.add(message);
    });
    throw stored.size === 0 ? failed.reason : new PartialAppendError(stored, failed.reason);
  }

  /** Positions a reader per shard at the shard's current tail, then starts reading. */
  async start(redis: Redis): Promise<void> {
    const { shards } = this.#options;
    const lasts = await Promise.all(
      Array.from({ length: shards }, (_, shard) =>
        redis.xrevrange(this.#keys.log(shard), '+', '-', 'COUNT', 1),
      ),
    );
    const tails = lasts.map((entries) => (entries[0] === undefined ? '0-0' : entries[0][0]));
    this.#readers = tails.map(
      (tail, shard) =>
        new ShardReader(
          duplicateClient(redis, { maxRetriesPerRequest: null }),
          this.#keys.log(shard),
          tail,
          this.#options,
          this.#nodeIdBytes,
        ),
    );
  }

  /** The oldest point (this node's clock) up to which every shard reader has caught up. */
  positionMs(): number {
    let position = Date.now();
    for (const reader of this.#readers) position = Math.min(position, reader.caughtUpAtMs);
    return position;
  }

  /**
   * Reads every shard from `sinceMs` (stream ids are Redis-clock ms) up to its last entry as
   * it stands when the replay starts (so a busy shard does not keep it chasing new entries),
   * in pages, one shard after the other; entries of every node, this one's included.
   */
  async replay(redis: Redis, sinceMs: number, handle: (message: Message) => void): Promise<void> {
    const streams = Array.from({ length: this.#options.shards }, (_, shard) => this.#keys.log(shard));
    const ends = await Promise.all(streams.map((stream) => redis.xrevrange(stream, '+', '-', 'COUNT', 1)));
    for (const [shard, stream] of streams.entries()) {
      const end = ends[shard][0]?.[0];
      if (end === undefined) continue;
      let start = `${Math.max(0, Math.floor(sinceMs))}-0`;
      let after: string | undefined; // the last id of the previous page, read again as the next start
      for (;;) {
        const entries = (await redis.xrangeBuffer(stream, start, end, 'COUNT', REPLAY_PAGE)) as Array<
          [Buffer, Buffer[]]
        >;
        let fresh = 0;
        for (const [rawId, fields] of entries) {
          const id = rawId.toString();
          if (id === after) continue;
          fresh++;
          const data = fieldOf(fields, 'd');
          if (data === undefined) continue;
          try {
            for (const message of decodeBatch(data)) handle(message);
          } catch (error) {
            this.#options.onEntryError(error, stream, id);
          }
        }
        if (entries.length < REPLAY_PAGE || fresh === 0) break;
        // Inclusive start (exclusive ranges need Redis 6.2): the repeated first entry is skipped.
        after = entries[entries.length - 1][0].toString();
        start = after;
      }
    }
  }

  /** Ends every read loop now; resolves once they have all returned. */
  async stop(): Promise<void> {
    const readers = this.#readers;
    this.#readers = [];
    await Promise.all(readers.map((reader) => reader.stop()));
  }
}

class ShardReader {
  readonly #connection: Redis;
  readonly #stream: string;
  readonly #options: RedisLogOptions;
  readonly #ownNodeId: Buffer;
  #lastId: string;
  /** Every entry appended before this time (node clock) has been read. */
  caughtUpAtMs = Date.now();
  #stopping = false;
  #wake: (() => void) | undefined;
  readonly #done: Promise<void>;

  constructor(
    connection: Redis,
    stream: string,
    lastId: string,
    options: RedisLogOptions,
    ownNodeId: Buffer,
  ) {
    this.#connection = connection;
    this.#stream = stream;
    this.#lastId = lastId;
    this.#options = options;
    this.#ownNodeId = ownNodeId;
    // Errors surface through the read loop; without a listener ioredis would print them.
    connection.on('error', () => {});
    this.#done = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    this.#connection.disconnect();
    // A read queued while ioredis looks for a master (sentinel failover) may never settle
    // after disconnect(): stopping must not wait for it. The loop ends when it does.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
    });
    await Promise.race([this.#done, bound]);
    clearTimeout(timer);
  }

  async #loop(): Promise<void> {
    const { blockTimeMs, readCount } = this.#options;
    let backoffMs = 0;
    while (!this.#stopping) {
      let reply: Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      const issuedAtMs = Date.now();
      try {
        reply = (await this.#connection.xreadBuffer(
          'COUNT',
          readCount,
          'BLOCK',
          blockTimeMs,
          'STREAMS',
          this.#stream,
          this.#lastId,
        )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      } catch {
        if (this.#stopping) break;
        backoffMs = backoffMs === 0 ? BACKOFF_FIRST_MS : Math.min(backoffMs * 2, BACKOFF_MAX_MS);
        await this.#sleep(backoffMs);
        continue;
      }
      backoffMs = 0;
      if (this.#stopping) break;
      let read = 0;
      for (const [, entries] of reply ?? []) {
        read += entries.length;
        for (const [id, fields] of entries) this.#entry(id.toString(), fields);
      }
      // A short read reached the stream's end as it stood when the read was sent.
      if (read < readCount) this.caughtUpAtMs = issuedAtMs;
    }
  }

  #entry(id: string, fields: Buffer[]): void {
    this.#lastId = id;
    const node = fieldOf(fields, 'n');
    const data = fieldOf(fields, 'd');
    if (node?.equals(this.#ownNodeId)) return;
    let messages: Message[];
    try {
      if (data === undefined) throw new Error('log entry without a d field');
      messages = decodeBatch(data);
    } catch (error) {
      this.#options.onEntryError(error, this.#stream, id);
      return;
    }
    for (const message of messages) this.#options.deliver(message);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** The value of field `name` in a stream entry's flat [name, value, ...] list. */
function fieldOf(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i].length === name.length && fields[i].toString() === name) return fields[i + 1];
  }
  return undefined;
}
