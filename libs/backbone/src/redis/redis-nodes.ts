// Node liveness on Redis: heartbeats in one sorted set, the sessions each node holds
// (owned-sessions.ts), and a Lua claim so exactly one survivor adopts a dead node's sessions.

import type { NodeRegistry } from '../backbone.js';
import type { RedisClient as Redis } from './client.js';
import type { RedisKeys } from './keys.js';
import type { OwnedSessions } from './owned-sessions.js';
import { type ScriptCall, scriptCaller } from './scripts.js';

export class RedisNodes implements NodeRegistry {
  readonly #claimDead: ScriptCall;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ownedSessions: OwnedSessions,
  ) {
    this.#claimDead = scriptCaller(redis, 'claimdead');
  }

  async heartbeat(nodeId: string, nowMs: number, replayFromMs?: number): Promise<void> {
    const beat = this.redis.zadd(this.keys.nodes(), nowMs, nodeId);
    // Sent together (pipelined); two keys, so not one command on Redis Cluster.
    if (replayFromMs === undefined) await beat;
    else await Promise.all([beat, this.redis.hset(this.keys.replayMarks(), nodeId, replayFromMs)]);
  }

  async replayFrom(nodeId: string): Promise<number | undefined> {
    const mark = await this.redis.hget(this.keys.replayMarks(), nodeId);
    return mark === null ? undefined : Number(mark);
  }

  async silentSince(beforeMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.nodes(), '-inf', `(${beforeMs}`);
  }

  async claimDead(nodeId: string, beforeMs: number): Promise<boolean> {
    return (await this.#claimDead([this.keys.nodes()], [nodeId, beforeMs])) === 1;
  }

  async noteOwner(nodeId: string, clientId: string): Promise<void> {
    await this.ownedSessions.note(nodeId, clientId);
  }

  async owned(nodeId: string): Promise<string[]> {
    return this.ownedSessions.list(nodeId);
  }

  async forget(nodeId: string): Promise<void> {
    // Separate commands: the two keys may live in different Redis Cluster slots.
    await Promise.all([
      this.redis.zrem(this.keys.nodes(), nodeId),
      this.redis.hdel(this.keys.replayMarks(), nodeId),
      this.redis.del(this.keys.owned(nodeId)),
    ]);
  }
}
