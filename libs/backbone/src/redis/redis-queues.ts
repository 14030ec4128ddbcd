// Parked-session queues: one Redis list per client id (`{c:<id>}:q`), oldest first, capped
// by push-2.lua, which drops the oldest (or refuses the newest) and counts them. A queue
// lives as long as its session record (same TTL, deleted with it); one pushed for a client
// with no record expires GC_GRACE_MS later.

import type { Message } from '@edgemq/model';
import type { QueueOverflow, QueuePushResult, QueueStore } from '../backbone.js';
import { type FailureSwitches, injectedFailure } from '../memory/failures.js';
import type { RedisClient as Redis } from './client.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { GC_GRACE_MS } from './key-lifetime.js';
import type { RedisKeys } from './keys.js';
import { type ScriptCall, scriptCaller } from './scripts.js';

export class RedisQueues implements QueueStore {
  readonly #push: ScriptCall;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly failures: FailureSwitches,
  ) {
    this.#push = scriptCaller(redis, 'push');
  }

  async push(
    clientId: string,
    message: Message,
    maxLength: number,
    overflow: QueueOverflow = 'dropOldest',
  ): Promise<QueuePushResult> {
    if (this.failures.queues) throw injectedFailure('queues.push');
    const bound = Math.max(0, Math.floor(maxLength));
    const keys = [this.keys.queue(clientId), this.keys.session(clientId)];
    const args = [
      encodeMessage(message),
      bound,
      overflow === 'dropNewest' ? 'newest' : 'oldest',
      GC_GRACE_MS,
    ];
    const [length, dropped] = (await this.#push(keys, args)) as [number, number];
    return { length, dropped };
  }

  async take(clientId: string, max: number): Promise<Message[]> {
    if (this.failures.queues) throw injectedFailure('queues.take');
    const count = Math.floor(max);
    if (count <= 0) return [];
    const taken = await this.redis.lpopBuffer(this.keys.queue(clientId), count);
    return (taken ?? []).map(decodeMessage);
  }

  async length(clientId: string): Promise<number> {
    if (this.failures.queues) throw injectedFailure('queues.length');
    return this.redis.llen(this.keys.queue(clientId));
  }

  async clear(clientId: string): Promise<void> {
    if (this.failures.queues) throw injectedFailure('queues.clear');
    await this.redis.del(this.keys.queue(clientId));
  }
}
