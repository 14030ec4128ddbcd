// Shared-subscription membership on Redis: per group a set of node ids, per node a set of
// its groups (so a dead node can be removed from all of them).

import type { SharedRegistry } from '../backbone.js';
import type { RedisClient as Redis } from './client.js';
import type { RedisKeys } from './keys.js';
import type { RedisControl } from './redis-control.js';

export class RedisShared implements SharedRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** Its subscriber connection also carries the change announcements. */
    private readonly control: RedisControl,
  ) {}

  async setMember(key: string, nodeId: string, member: boolean): Promise<void> {
    // Separate commands: the two keys may live in different Redis Cluster slots.
    if (member) {
      await Promise.all([
        this.redis.sadd(this.keys.sharedGroup(key), nodeId),
        this.redis.sadd(this.keys.sharedOf(nodeId), key),
      ]);
    } else {
      await Promise.all([
        this.redis.srem(this.keys.sharedGroup(key), nodeId),
        this.redis.srem(this.keys.sharedOf(nodeId), key),
      ]);
    }
    await this.announce(key);
  }

  onChange(handler: (key: string) => void): void {
    this.control.onBroadcast(this.keys.sharedChanged(), handler);
  }

  private announce(key: string): Promise<number> {
    return this.redis.publish(this.keys.sharedChanged(), key);
  }

  async memberNodes(key: string): Promise<string[]> {
    return (await this.redis.smembers(this.keys.sharedGroup(key))).sort();
  }

  async forgetNode(nodeId: string): Promise<void> {
    const groups = await this.redis.smembers(this.keys.sharedOf(nodeId));
    await Promise.all(groups.map((key) => this.redis.srem(this.keys.sharedGroup(key), nodeId)));
    await this.redis.del(this.keys.sharedOf(nodeId));
    await Promise.all(groups.map((key) => this.announce(key)));
  }
}
