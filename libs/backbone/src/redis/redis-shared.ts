// Shared-subscription membership on Redis: per group a set of node ids, per node a set of
// its groups (so a dead node can be removed from all of them).
import type { Redis } from 'ioredis';
import type { SharedRegistry } from '../backbone.js';
import type { RedisKeys } from './keys.js';

export class RedisShared implements SharedRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async setMember(key: string, nodeId: string, member: boolean): Promise<void> {
    const tx = this.redis.multi();
    if (member) tx.sadd(this.keys.sharedGroup(key), nodeId).sadd(this.keys.sharedOf(nodeId), key);
    else tx.srem(this.keys.sharedGroup(key), nodeId).srem(this.keys.sharedOf(nodeId), key);
    await tx.exec();
  }

  async memberNodes(key: string): Promise<string[]> {
    return (await this.redis.smembers(this.keys.sharedGroup(key))).sort();
  }

  async forgetNode(nodeId: string): Promise<void> {
    const groups = await this.redis.smembers(this.keys.sharedOf(nodeId));
    const tx = this.redis.multi();
    for (const key of groups) tx.srem(this.keys.sharedGroup(key), nodeId);
    tx.del(this.keys.sharedOf(nodeId));
    await tx.exec();
  }
}
