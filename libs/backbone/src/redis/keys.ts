// Every Redis key the backbone uses is built here, and nowhere else (docs/redis-layout.md
// describes each one). Per-client keys carry the hash tag `{c:<clientId>}`, so that a
// client's session and queue live in one Redis Cluster slot and one Lua script
// may touch them together. Log shards and the retained hash carry no tag: each shard may
// live on its own cluster node.

export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    if (prefix.length === 0 || /[{}]/.test(prefix)) {
      throw new Error(`keyPrefix must be non-empty and free of '{' and '}'; got ${JSON.stringify(prefix)}`);
    }
    this.prefix = prefix;
  }

  /** Stream: shard `shard` of the fan-out log. */
  log(shard: number): string {
    return `${this.prefix}:log:${shard}`;
  }

  /** Hash: topic -> encoded retained message. */
  retained(): string {
    return `${this.prefix}:retained`;
  }

  /** Hash: the session record of `clientId` (owner, gen, exp, body). */
  session(clientId: string): string {
    return `${this.prefix}:{c:${clientId}}:session`;
  }

  /**
   * String (integer): the cluster-wide generation counter every claim draws from, so no two
   * claims of any client ever get one generation (see lua/generation-1.lua). One key in all.
   */
  generations(): string {
    return `${this.prefix}:generation`;
  }

  /**
   * String: a random id written once when the key space is first used. A node that finds
   * it gone (or changed) after a reconnect knows Redis lost its data (restarted empty,
   * flushed, failed over to an empty replica).
   */
  dataEpoch(): string {
    return `${this.prefix}:epoch`;
  }

  /** Sorted set: node id -> last heartbeat (epoch ms). */
  nodes(): string {
    return `${this.prefix}:nodes`;
  }

  /** Hash: node id -> replay mark (epoch ms): where a survivor replays the log from if it dies. */
  replayMarks(): string {
    return `${this.prefix}:replay`;
  }

  /** Hash: client id -> generation, the sessions `nodeId` holds (for adoption if it dies). */
  owned(nodeId: string): string {
    return `${this.prefix}:owned:${nodeId}`;
  }

  /** Set: node ids with members of shared subscription group `key`. */
  sharedGroup(key: string): string {
    return `${this.prefix}:shared:${key}`;
  }

  /** Set: the shared subscription groups `nodeId` has members in. */
  sharedOf(nodeId: string): string {
    return `${this.prefix}:sharedof:${nodeId}`;
  }

  /** Pub/sub channel: the key of a shared group whose membership just changed. */
  sharedChanged(): string {
    return `${this.prefix}:shared-changed`;
  }

  /** Pub/sub channel: requests to (and answers for) node `nodeId`. */
  node(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}`;
  }

  /** List: the parked-session queue of `clientId`, oldest first. */
  queue(clientId: string): string {
    return `${this.prefix}:{c:${clientId}}:q`;
  }
}
