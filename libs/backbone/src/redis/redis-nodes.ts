// Node liveness on Redis: heartbeats in one sorted set, owned client ids in one set per
// node, and a Lua claim so exactly one survivor adopts a dead node's sessions.
//
// An owned set lists the sessions a node holds now, not every client it ever served: a
// claim by another node and the delete of a session take the client off it
// (redis-sessions.ts). noteOwner adds the client only while the node still owns the
// record, so a note that arrives after another node's claim leaves nothing behind.

import type { NodeRegistry } from '../backbone.js';
import type { RedisClient as Redis } from './client.js';
import type { RedisKeys } from './keys.js';
import { type ScriptCall, scriptCaller } from './scripts.js';

export class RedisNodes implements NodeRegistry {
  readonly #claimDead: ScriptCall;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
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
    // Add first, then look: a claim by another node either came before the look (seen
    // here, so the note is taken back) or after it (then that claim's own removal, sent
    // after it, comes after this add). Separate commands: the owned set and the record may
    // sit in different Redis Cluster slots. The caller serializes its own opens of one
    // client (the broker's open lock), so no claim by this node runs in between.
    const owned = this.keys.owned(nodeId);
    await this.redis.sadd(owned, clientId);
    const owner = await this.redis.hget(this.keys.session(clientId), 'owner');
    if (owner !== nodeId) await this.redis.srem(owned, clientId);
  }

  async owned(nodeId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.owned(nodeId));
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
