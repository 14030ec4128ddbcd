// The Redis backbone: the contract suite with two nodes on one real Redis (a random key
// prefix per test, so runs never collide), plus what only the Redis backbone promises:
// one XADD per shard per append, a trimmed log, a reader that survives a Redis restart,
// a prompt stop, and the key layout of docs/redis-layout.md.

import { randomBytes } from 'node:crypto';
import { type RedisServer, startRedis } from '@edgemq/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackbone, type RedisBackboneOptions } from '../src/index.js';
import { OwnedSessions } from '../src/redis/owned-sessions.js';
import { shardOf } from '../src/redis/shard.js';
import { collect, message, text, waitFor } from './contract/fixture.js';
import { backboneContract } from './contract.js';
import { redisPair } from './redis-pair.js';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

const randomPrefix = () => `emqt-${randomBytes(5).toString('hex')}`;

/** Deletes every key under `prefix` (keeps a shared Redis clean). */
async function dropKeys(prefix: string): Promise<void> {
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
}

function backbone(options: Partial<RedisBackboneOptions> & { keyPrefix: string }): RedisBackbone {
  return new RedisBackbone({ url: server.url, nodeId: `node-${randomBytes(3).toString('hex')}`, ...options });
}

backboneContract(
  'redis backbone (two nodes on one Redis)',
  redisPair('emqt', (keyPrefix, nodeId) => backbone({ keyPrefix, nodeId, blockTimeMs: 500 }), dropKeys),
);

describe('redis backbone on its own', () => {
  it("is kind 'redis' and refuses a key prefix with a hash-tag brace", () => {
    expect(backbone({ keyPrefix: 'p' }).kind).toBe('redis');
    expect(() => backbone({ keyPrefix: 'a{b' })).toThrow(/keyPrefix/);
  });

  it('rejects start() when Redis cannot be reached, and starts once it can', async () => {
    const keyPrefix = randomPrefix();
    const unreachable = new RedisBackbone({ url: 'redis://127.0.0.1:1', nodeId: 'x', keyPrefix });
    await expect(unreachable.start()).rejects.toThrow(/cannot start on Redis at 127.0.0.1:1/);
    expect(unreachable.isReady()).toBe(false);
    await unreachable.stop();
    const a = backbone({ keyPrefix });
    await a.stop(); // never started: nothing to do
    await a.start();
    expect(a.isReady()).toBe(true);
    await a.stop();
    await a.start(); // again after a stop
    expect(a.isReady()).toBe(true);
    await a.stop();
  });

  it('writes one log entry per shard per append, however many messages', async () => {
    const keyPrefix = randomPrefix();
    const [a, b] = [backbone({ keyPrefix, shards: 4 }), backbone({ keyPrefix, shards: 4 })];
    await Promise.all([a.start(), b.start()]);
    try {
      const received = collect(b);
      const topics = Array.from({ length: 12 }, (_, i) => `t/${i}`);
      const sent = Array.from({ length: 240 }, (_, i) =>
        message(topics[i % topics.length], { payload: `${i}` }),
      );
      await a.append(sent);
      const used = new Set(topics.map((topic) => shardOf(topic, 4)));
      expect(used.size).toBeGreaterThan(1);
      for (let shard = 0; shard < 4; shard++) {
        expect(await admin.xlen(a.keys.log(shard))).toBe(used.has(shard) ? 1 : 0);
      }
      await waitFor(() => received.length === sent.length, 'every message at node b');
      for (const topic of topics) {
        const expected = sent.filter((m) => m.topic === topic).map((m) => m.payload.toString());
        expect(text(received.filter((m) => m.topic === topic))).toEqual(expected);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await dropKeys(keyPrefix);
    }
  });

  it('trims each shard stream to about logMaxLen', async () => {
    const keyPrefix = randomPrefix();
    const a = backbone({ keyPrefix, shards: 1, logMaxLen: 100 });
    await a.start();
    try {
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) => a.append([message('t', { payload: `${i}` })])),
        );
      }
      const length = await admin.xlen(a.keys.log(0));
      // MAXLEN ~ trims whole stream nodes (stream-node-max-entries, 100 by default).
      expect(length).toBeGreaterThanOrEqual(100);
      expect(length).toBeLessThanOrEqual(200);
    } finally {
      await a.stop();
      await dropKeys(keyPrefix);
    }
  });

  it('stops within a second while an XREAD BLOCK is pending', async () => {
    const a = backbone({ keyPrefix: randomPrefix(), blockTimeMs: 30_000 });
    await a.start();
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the BLOCKs reach Redis
    const started = Date.now();
    await a.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a.isReady()).toBe(false);
  });

  it('lays out keys under per-client hash tags, and a deleted session leaves none of them', async () => {
    const keyPrefix = randomPrefix();
    const a = backbone({ keyPrefix });
    try {
      const { generation } = await a.sessions.claim('dev/1', a.nodeId, Date.now());
      await a.nodes.noteOwner(a.nodeId, 'dev/1');
      await a.queues.push('dev/1', message('t'), 10);
      await a.retained.set(message('r', { retain: true }));
      expect((await admin.keys(`${keyPrefix}:*`)).sort()).toEqual(
        [
          `${keyPrefix}:retained`,
          `${keyPrefix}:generation`,
          `${keyPrefix}:owned:${a.nodeId}`,
          `${keyPrefix}:{c:dev/1}:q`,
          `${keyPrefix}:{c:dev/1}:session`,
        ].sort(),
      );
      expect(await admin.hgetall(a.keys.session('dev/1'))).toEqual({
        owner: a.nodeId,
        gen: String(generation),
      });
      expect(await a.sessions.delete('dev/1', generation)).toBe(true);
      expect((await admin.keys(`${keyPrefix}:*`)).sort()).toEqual(
        [`${keyPrefix}:retained`, `${keyPrefix}:generation`].sort(),
      );
    } finally {
      await a.stop();
      a.redis.disconnect();
      await dropKeys(keyPrefix);
    }
  });

  it('fences a stale owner off after every key of the session it lost was deleted', async () => {
    const keyPrefix = randomPrefix();
    const [a, b] = [backbone({ keyPrefix }), backbone({ keyPrefix })];
    try {
      const stale = await a.sessions.claim('c', a.nodeId, Date.now());
      const record = (generation: number) => ({
        clientId: 'c',
        ownerNode: a.nodeId,
        generation,
        expiresAtMs: null,
        subscriptions: [{ filter: 'stale/#', qos: 1 as const }],
      });
      expect(await a.sessions.save(record(stale.generation))).toBe(true);
      const taken = await b.sessions.claim('c', b.nodeId, Date.now());
      expect(await b.sessions.delete('c', taken.generation)).toBe(true);
      expect(await admin.keys(`${keyPrefix}:{c:c}*`)).toEqual([]);
      expect(await a.sessions.save(record(stale.generation))).toBe(false);
      expect(await admin.keys(`${keyPrefix}:{c:c}*`)).toEqual([]);
      // Redis lost the counter (restarted empty, say): it starts again above what it gave.
      await admin.del(a.keys.generations());
      const fresh = await b.sessions.claim('c', b.nodeId, Date.now());
      expect(fresh.generation).toBeGreaterThan(taken.generation);
      expect(Number.isSafeInteger(fresh.generation)).toBe(true);
      expect(await a.sessions.save(record(stale.generation))).toBe(false);
      expect(await a.sessions.delete('c', stale.generation)).toBe(false);
      expect((await a.sessions.load('c'))?.ownerNode).toBe(b.nodeId);
    } finally {
      a.redis.disconnect();
      b.redis.disconnect();
      await dropKeys(keyPrefix);
    }
  });

  it("keeps a node's owned entry when a removal for a generation that ended there arrives late", async () => {
    const keyPrefix = randomPrefix();
    const [a, b] = [backbone({ keyPrefix }), backbone({ keyPrefix })];
    const owned = new OwnedSessions(a.redis, a.keys);
    try {
      const first = await a.sessions.claim('c', a.nodeId, Date.now());
      await a.nodes.noteOwner(a.nodeId, 'c');
      await b.sessions.claim('c', b.nodeId, Date.now());
      expect(await a.nodes.owned(a.nodeId)).toEqual([]);
      const again = await a.sessions.claim('c', a.nodeId, Date.now());
      await a.nodes.noteOwner(a.nodeId, 'c');
      expect(await admin.hgetall(a.keys.owned(a.nodeId))).toEqual({ c: String(again.generation) });
      // b's removal of the first generation, delayed past a's new claim: a keeps the client.
      await owned.disown(a.nodeId, 'c', first.generation);
      expect(await a.nodes.owned(a.nodeId)).toEqual(['c']);
      expect(await a.sessions.delete('c', again.generation)).toBe(true);
      expect(await admin.exists(a.keys.owned(a.nodeId))).toBe(0);
    } finally {
      a.redis.disconnect();
      b.redis.disconnect();
      await dropKeys(keyPrefix);
    }
  });

  it('lets Redis garbage-collect an expiring record and its queue a grace period after expiry', async () => {
    const keyPrefix = randomPrefix();
    const a = backbone({ keyPrefix });
    try {
      const { generation } = await a.sessions.claim('c', a.nodeId, Date.now());
      await a.queues.push('c', message('t'), 10);
      const expiresAtMs = Date.now() + 60_000;
      await a.sessions.save({
        clientId: 'c',
        ownerNode: a.nodeId,
        generation,
        expiresAtMs,
        subscriptions: [],
      });
      for (const key of [a.keys.session('c'), a.keys.queue('c')]) {
        const ttl = await admin.pttl(key);
        expect(ttl).toBeGreaterThan(60_000);
        expect(ttl).toBeLessThanOrEqual(120_000);
      }
      // Saved again without an expiry: kept for good.
      await a.sessions.save({
        clientId: 'c',
        ownerNode: a.nodeId,
        generation,
        expiresAtMs: null,
        subscriptions: [],
      });
      expect(await admin.pttl(a.keys.session('c'))).toBe(-1);
      expect(await admin.pttl(a.keys.queue('c'))).toBe(-1);
    } finally {
      a.redis.disconnect();
      await dropKeys(keyPrefix);
    }
  });

  it('gives a queue pushed for a client with no session record a grace period, not forever', async () => {
    const keyPrefix = randomPrefix();
    const a = backbone({ keyPrefix });
    try {
      await a.queues.push('gone', message('t'), 10);
      const ttl = await admin.pttl(a.keys.queue('gone'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      a.redis.disconnect();
      await dropKeys(keyPrefix);
    }
  });

  it('stores very long session expiries exactly: a TTL while Redis can hold one, none beyond', async () => {
    const keyPrefix = randomPrefix();
    const a = backbone({ keyPrefix });
    try {
      const ttlFor = async (clientId: string, expiresAtMs: number | null) => {
        const { generation } = await a.sessions.claim(clientId, a.nodeId, Date.now());
        await a.queues.push(clientId, message('t'), 10);
        const saved = { clientId, ownerNode: a.nodeId, generation, expiresAtMs, subscriptions: [] };
        expect(await a.sessions.save(saved)).toBe(true);
        expect(await a.sessions.load(clientId)).toEqual(saved);
        // Compared as absolute expiry times: two PTTL calls a millisecond apart would differ.
        const expireAt = Number(await admin.call('PEXPIRETIME', a.keys.session(clientId)));
        expect(Number(await admin.call('PEXPIRETIME', a.keys.queue(clientId)))).toBe(expireAt);
        return expireAt < 0 ? expireAt : expireAt - Date.now();
      };
      // MQTT 5's longest expiry short of never: 0xFFFFFFFE s, about 136 years.
      const longest = 0xfffffffe * 1000;
      const ttl = await ttlFor('longest', Date.now() + longest);
      expect(ttl).toBeGreaterThan(longest);
      expect(ttl).toBeLessThanOrEqual(longest + 60_000);
      // 0xFFFFFFFF s means never: the broker passes null.
      expect(await ttlFor('never', null)).toBe(-1);
      // Past the exact integers (and what Lua prints as one): kept, like a session that never expires.
      expect(await ttlFor('beyond', Date.now() + 1e18)).toBe(-1);
      expect(await ttlFor('max', Number.MAX_SAFE_INTEGER)).toBe(-1);
    } finally {
      a.redis.disconnect();
      await dropKeys(keyPrefix);
    }
  });

  it('keeps protocol state as it was: nested objects, Buffers, Map, Set, Date', async () => {
    const keyPrefix = randomPrefix();
    const a = backbone({ keyPrefix });
    try {
      const { generation } = await a.sessions.claim('c', a.nodeId, 0);
      const protocolState = {
        inflight: new Map<number, unknown>([
          [1, Buffer.from('p')],
          [2, { topic: 'x', nested: new Map([['k', [1, 2]]]) }],
        ]),
        ids: new Set([3, 4]),
        at: new Date(5),
        list: [{ a: Buffer.from([0, 255]) }, null, 1.5, -7, 'ü'],
      };
      const saved = {
        clientId: 'c',
        ownerNode: a.nodeId,
        generation,
        expiresAtMs: null,
        subscriptions: [
          { filter: 'a/#', qos: 1 as const, options: { noLocal: true, extra: new Map([[1, 2]]) } },
        ],
        protocolState,
      };
      await a.sessions.save(saved);
      const loaded = await a.sessions.load('c');
      expect(loaded).toEqual(saved);
      const state = loaded?.protocolState as typeof protocolState;
      expect(state.inflight).toBeInstanceOf(Map);
      expect(Buffer.isBuffer(state.inflight.get(1))).toBe(true);
      expect(state.ids).toBeInstanceOf(Set);
      expect(state.at).toBeInstanceOf(Date);
      expect(Buffer.isBuffer(state.list[0] && (state.list[0] as { a: Buffer }).a)).toBe(true);
    } finally {
      a.redis.disconnect();
      await dropKeys(keyPrefix);
    }
  });

  it('skips a log entry it cannot decode and goes on reading', async () => {
    const keyPrefix = randomPrefix();
    const skipped: string[] = [];
    const a = backbone({ keyPrefix, shards: 1, onEntryError: () => {} }); // reads the bad entry too
    const b = backbone({ keyPrefix, shards: 1, onEntryError: (_error, _stream, id) => skipped.push(id) });
    await Promise.all([a.start(), b.start()]);
    try {
      const received = collect(b);
      await admin.xadd(a.keys.log(0), '*', 'n', 'someone', 'd', 'not msgpack');
      await a.append([message('t', { payload: 'after' })]);
      await waitFor(() => received.length === 1, 'the message after the bad entry');
      expect(text(received)).toEqual(['after']);
      expect(skipped).toHaveLength(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await dropKeys(keyPrefix);
    }
  });
});

describe('redis backbone across a Redis restart', () => {
  let local: RedisServer;

  beforeAll(async () => {
    local = await startRedis({ mode: 'process' });
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('is not ready while Redis is down, ready again after, and still delivers', async () => {
    const keyPrefix = randomPrefix();
    const [a, b] = [
      new RedisBackbone({ url: local.url, nodeId: 'a', keyPrefix, blockTimeMs: 500 }),
      new RedisBackbone({ url: local.url, nodeId: 'b', keyPrefix, blockTimeMs: 500 }),
    ];
    await Promise.all([a.start(), b.start()]);
    try {
      const received = collect(b);
      await a.append([message('t', { payload: 'before' })]);
      await waitFor(() => received.length === 1, 'the message before the restart');

      await local.pause();
      await waitFor(() => !a.isReady() && !b.isReady(), 'both nodes to notice Redis is gone');
      await expect(a.append([message('t', { payload: 'while down' })])).rejects.toThrow();

      await local.resume();
      await waitFor(() => a.isReady() && b.isReady(), 'both nodes to reconnect', 10_000);
      await a.append([message('t', { payload: 'after' })]);
      await a.append([message('u', { payload: 'after too' })]);
      await waitFor(() => received.length === 3, 'the messages after the restart', 10_000);
      // 't' and 'u' sit on different shards, which recover independently: no order between them.
      expect(text(received).sort()).toEqual(['after', 'after too', 'before']);
      // Scripts are loaded again after the restart (EVALSHA falls back to EVAL).
      expect((await a.sessions.claim('c', 'a', Date.now())).previous).toBeUndefined();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 30_000);
});
