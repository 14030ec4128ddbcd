// Which sessions each node holds, for the survivor that adopts it if it dies: one hash per
// node, `<prefix>:owned:<nodeId>`, client id -> the generation it was noted with. It lists
// what the node holds now, not every client it ever served: a claim by another node and
// the delete of a session take the client off (redis-sessions.ts, through `disown`).
//
// Both sides carry the generation, so late messages cannot undo newer ones: a removal for
// a generation that ended leaves an entry the node wrote for a newer one alone
// (lua/disown-1.lua), and `note` looks at the record again after writing, taking its entry
// back if another node claimed the client meanwhile. Separate commands: the hash and the
// session record may sit in different Redis Cluster slots.

import type { RedisClient as Redis } from './client.js';
import type { RedisKeys } from './keys.js';
import { type ScriptCall, scriptCaller } from './scripts.js';

export class OwnedSessions {
  readonly #disown: ScriptCall;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.#disown = scriptCaller(redis, 'disown');
  }

  /**
   * Lists `clientId` under `nodeId` while `nodeId` owns its record. The caller serializes
   * its own opens of one client (the broker's open lock): no claim by `nodeId` in between.
   */
  async note(nodeId: string, clientId: string): Promise<void> {
    const held = await this.#holder(clientId);
    if (held?.owner !== nodeId) return;
    await this.redis.hset(this.keys.owned(nodeId), clientId, held.generation);
    // A claim by another node either came before this look (seen here: taken back), or
    // after it, so its own removal, sent after that claim, comes after the write above.
    const now = await this.#holder(clientId);
    if (now?.owner !== nodeId || now.generation !== held.generation) {
      await this.disown(nodeId, clientId, held.generation);
    }
  }

  /** Takes `clientId` off `nodeId`'s list if it is there for `generation` (which ended). */
  async disown(nodeId: string, clientId: string, generation: string | number): Promise<void> {
    await this.#disown([this.keys.owned(nodeId)], [clientId, generation]);
  }

  list(nodeId: string): Promise<string[]> {
    return this.redis.hkeys(this.keys.owned(nodeId));
  }

  async #holder(clientId: string): Promise<{ owner: string; generation: string } | undefined> {
    const [owner, generation] = await this.redis.hmget(this.keys.session(clientId), 'owner', 'gen');
    return owner === null || generation === null ? undefined : { owner, generation };
  }
}
