// Retained messages in one Redis hash, topic -> encoded message; an empty payload clears
// the topic (MQTT 3.3.1.3).

import type { Message } from '@edgemq/model';
import type { RetainedStore } from '../backbone.js';
import { type FailureSwitches, injectedFailure } from '../memory/failures.js';
import type { RedisClient as Redis } from './client.js';
import { decodeMessage, encodeMessage } from './codec.js';
import type { RedisKeys } from './keys.js';

export class RedisRetained implements RetainedStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly failures: FailureSwitches,
  ) {}

  async set(message: Message): Promise<void> {
    if (this.failures.retained) throw injectedFailure('retained.set');
    if (message.payload.length === 0) await this.redis.hdel(this.keys.retained(), message.topic);
    else await this.redis.hset(this.keys.retained(), message.topic, encodeMessage(message));
  }

  async get(topic: string): Promise<Message | undefined> {
    if (this.failures.retained) throw injectedFailure('retained.get');
    const bytes = await this.redis.hgetBuffer(this.keys.retained(), topic);
    return bytes === null ? undefined : decodeMessage(bytes);
  }

  async topics(): Promise<string[]> {
    if (this.failures.retained) throw injectedFailure('retained.topics');
    return this.redis.hkeys(this.keys.retained());
  }
}
