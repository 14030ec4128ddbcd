// The Redis backbone on a 3-master Redis Cluster started on loopback: the same contract
// suite, so every command and script is shown to stay within one slot (CROSSSLOT would
// fail it), plus the log spread over several cluster nodes.

import { randomBytes } from 'node:crypto';
import { type RedisClusterServer, startRedisCluster } from '@edgemq/testkit';
import { type Cluster, Cluster as IoCluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackbone } from '../src/index.js';
import { collect, message, waitFor } from './contract/fixture.js';
import { backboneContract } from './contract.js';
import { redisPair } from './redis-pair.js';

let cluster: RedisClusterServer;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  // One client that reaches every slot before the suite starts, so a slow machine's first
  // slot-table refresh is not charged to the first test.
  const warm = new IoCluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
  await Promise.all(Array.from({ length: 16 }, (_, i) => warm.set(`warmup:${i}`, '1')));
  await warm.quit();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const node = (keyPrefix: string, nodeId: string) =>
  new RedisBackbone({ url: cluster.url, mode: 'cluster', nodeId, keyPrefix, blockTimeMs: 500 });

backboneContract('redis backbone on a 3-master Redis Cluster', redisPair('emqc', node));

describe('redis backbone on a Redis Cluster', () => {
  it('spreads the log shards over the cluster nodes and still delivers every message', async () => {
    const keyPrefix = `emqc-${randomBytes(5).toString('hex')}`;
    const a = node(keyPrefix, 'a');
    const b = node(keyPrefix, 'b');
    await Promise.all([a.start(), b.start()]);
    try {
      const received = collect(b);
      const topics = Array.from({ length: 40 }, (_, i) => `${keyPrefix}/t/${i}`);
      await a.append(topics.map((t) => message(t)));
      await waitFor(() => received.length === topics.length, 'every message at node b');
      expect(received.map((m) => m.topic).sort()).toEqual([...topics].sort());
      // The log shards sit on more than one master.
      const masters = (a.redis as Cluster).nodes('master');
      const holding = await Promise.all(
        masters.map(async (m) => (await m.keys(`${keyPrefix}:log:*`)).length),
      );
      expect(holding.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
