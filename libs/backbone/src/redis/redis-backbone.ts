// The Redis backbone: the fan-out log on sharded Redis Streams (redis-log.ts), retained
// messages in a hash, session records and parked-session queues under per-client hash
// tags, claim/save/delete/push as Lua scripts. The key layout is docs/redis-layout.md.
//
// Connections: one command connection (everything but log reads; `isReady()` is its
// status) and, between start() and stop(), one duplicated blocking connection per shard.
// Failure injection for tests: `backbone.failures`, the same switches as the memory
// backbone (see ../memory/failures.ts).

import { randomBytes } from 'node:crypto';
import type { Message } from '@edgemq/model';
import type { RedisOptions } from 'ioredis';
import type { Backbone, RemoteMessageHandler } from '../backbone.js';
import { createFailureSwitches, type FailureSwitches, injectedFailure } from '../memory/failures.js';
import { RemoteHandlers } from '../remote-handlers.js';
import { createRedisClient, describeClient, type RedisClient } from './client.js';
import { RedisKeys } from './keys.js';
import { OwnedSessions } from './owned-sessions.js';
import { RedisControl } from './redis-control.js';
import { RedisLog } from './redis-log.js';
import { RedisNodes } from './redis-nodes.js';
import { RedisQueues } from './redis-queues.js';
import { RedisRetained } from './redis-retained.js';
import { RedisSessions } from './redis-sessions.js';
import { RedisShared } from './redis-shared.js';
import { defineScripts } from './scripts.js';

export interface RedisBackboneOptions {
  /** `redis://[user:password@]host:port[/db]` (rediss:// for TLS); for a cluster, `redis://h1:p1,h2:p2`. */
  url: string;
  /**
   * 'cluster' for Redis Cluster (the url lists seed nodes), 'sentinel' for a master found
   * through Sentinel (the url lists sentinels). Default 'standalone'.
   */
  mode?: 'standalone' | 'cluster' | 'sentinel';
  /** Sentinel mode: the monitored master's name. Default 'mymaster'. */
  sentinelName?: string;
  nodeId: string;
  /** Prefix of every key; default 'emq'. Must not contain '{' or '}'. */
  keyPrefix?: string;
  /** Log shards (streams); every node of a cluster must use the same number. Default 8. */
  shards?: number;
  /** Approximate cap per shard stream (XADD MAXLEN ~). Default 100000. */
  logMaxLen?: number;
  /** How long one XREAD blocks. Default 1000. */
  blockTimeMs?: number;
  /** Log entries per XREAD. Default 100. */
  readCount?: number;
  /**
   * ioredis options for the command connection (TLS, auth, timeouts, ...). The default
   * `maxRetriesPerRequest: 3` makes commands fail within a few reconnect attempts while
   * Redis is away, instead of queueing them for long.
   */
  redisOptions?: RedisOptions;
  /** Called when an `onRemote` handler throws; defaults to console.error. */
  onHandlerError?: (error: unknown, message: Message) => void;
  /** Called when a log entry cannot be decoded (it is skipped); defaults to console.error. */
  onEntryError?: (error: unknown, stream: string, entryId: string) => void;
}

export class RedisBackbone implements Backbone {
  /** The data-epoch mark this node last saw (see RedisKeys.dataEpoch). */
  #epoch: string | undefined;
  readonly #dataLost: Array<() => void> = [];
  readonly kind = 'redis';
  readonly nodeId: string;
  readonly keys: RedisKeys;
  /** Failure-injection switches (see ../memory/failures.ts). */
  readonly failures: FailureSwitches = createFailureSwitches();
  readonly retained: RedisRetained;
  readonly sessions: RedisSessions;
  readonly queues: RedisQueues;
  readonly control: RedisControl;
  readonly nodes: RedisNodes;
  readonly shared: RedisShared;
  /** The command connection (exposed for tests and diagnostics). */
  readonly redis: RedisClient;

  readonly #log: RedisLog;
  readonly #handlers: RemoteHandlers;
  #started = false;

  constructor(options: RedisBackboneOptions) {
    const shards = options.shards ?? 8;
    if (!Number.isInteger(shards) || shards < 1)
      throw new Error(`shards must be a positive integer; got ${shards}`);
    this.nodeId = options.nodeId;
    this.keys = new RedisKeys(options.keyPrefix ?? 'emq');
    this.#handlers = new RemoteHandlers(
      options.onHandlerError ??
        ((error) => console.error(`[backbone:redis ${this.nodeId}] onRemote handler threw`, error)),
    );
    // lazyConnect: nothing connects before the first command or start().
    this.redis = createRedisClient(
      { url: options.url, mode: options.mode, sentinelName: options.sentinelName },
      { lazyConnect: true, maxRetriesPerRequest: 3, ...options.redisOptions },
    );
    this.redis.on('error', () => {}); // reconnects on its own; isReady() reports the outage
    // Every (re)connect: did Redis keep its data? A failed check is tried at the next one.
    this.redis.on('ready', () => {
      this.#checkDataEpoch().catch(() => undefined);
    });
    defineScripts(this.redis);
    this.#log = new RedisLog(this.keys, {
      nodeId: this.nodeId,
      shards,
      logMaxLen: options.logMaxLen ?? 100_000,
      blockTimeMs: options.blockTimeMs ?? 1000,
      readCount: options.readCount ?? 100,
      deliver: (message) => this.#handlers.dispatch(message),
      onEntryError:
        options.onEntryError ??
        ((error, stream, id) =>
          console.error(`[backbone:redis ${this.nodeId}] skipped ${stream} ${id}`, error)),
    });
    this.retained = new RedisRetained(this.redis, this.keys, this.failures);
    const ownedSessions = new OwnedSessions(this.redis, this.keys);
    this.sessions = new RedisSessions(this.redis, this.keys, this.failures, ownedSessions);
    this.queues = new RedisQueues(this.redis, this.keys, this.failures);
    this.control = new RedisControl(this.redis, this.keys, this.nodeId);
    this.nodes = new RedisNodes(this.redis, this.keys, ownedSessions);
    this.shared = new RedisShared(this.redis, this.keys, this.control);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      const status = this.redis.status;
      if (status !== 'ready' && status !== 'connecting' && status !== 'connect') await this.redis.connect();
      await this.#markDataEpoch();
      await this.#log.start(this.redis);
      await this.control.start();
      // Announce the node at once; the broker's liveness loop keeps the heartbeat fresh.
      await this.nodes.heartbeat(this.nodeId, Date.now());
    } catch (error) {
      this.#started = false;
      await this.#log.stop();
      await this.control.stop();
      this.redis.disconnect(); // no reconnecting in the background after a failed start
      throw new Error(
        `backbone:redis ${this.nodeId}: cannot start on Redis at ${describeClient(this.redis)}`,
        {
          cause: error,
        },
      );
    }
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.#log.stop();
    await this.control.stop();
    if (this.redis.status === 'ready') {
      // QUIT lets pending replies arrive; wait for the socket to close (bounded), so that
      // a later start() reconnects on a clean connection.
      const ended = new Promise((resolve) => this.redis.once('end', resolve));
      const timeout = new Promise((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([
        this.redis.quit().then(
          () => ended,
          () => {},
        ),
        timeout,
      ]);
    }
    if (this.redis.status !== 'end') this.redis.disconnect();
  }

  isReady(): boolean {
    return this.#started && this.failures.ready && this.redis.status === 'ready';
  }

  async append(messages: Message[]): Promise<void> {
    if (this.failures.append) throw injectedFailure('append');
    await this.#log.append(this.redis, messages);
  }

  onRemote(handler: RemoteMessageHandler): void {
    this.#handlers.add(handler);
  }

  onDataLost(handler: () => void): void {
    this.#dataLost.push(handler);
  }

  /**
   * Marks the key space (once, by whichever node comes first) and remembers the mark, so a
   * later check can tell a reconnect to the same data from one to an emptied Redis.
   */
  async #markDataEpoch(): Promise<void> {
    const key = this.keys.dataEpoch();
    await this.redis.set(key, randomBytes(8).toString('hex'), 'NX');
    this.#epoch = (await this.redis.get(key)) ?? undefined;
  }

  /** After a reconnect: is the mark still the one this node saw? If not, the data is gone. */
  async #checkDataEpoch(): Promise<void> {
    if (!this.#started || this.#epoch === undefined) return;
    const seen = await this.redis.get(this.keys.dataEpoch());
    if (seen === this.#epoch) return;
    await this.#markDataEpoch();
    for (const handler of this.#dataLost) handler();
  }

  logPositionMs(): number {
    return this.#log.positionMs();
  }

  async replay(sinceMs: number, handle: (message: Message) => void): Promise<void> {
    if (this.failures.replay) throw injectedFailure('replay');
    return this.#log.replay(this.redis, sinceMs, handle);
  }
}
