// "Refused" means delivered to nobody. The store failure is made in Redis itself: one log
// shard's stream key is replaced by a string, so XADD to that shard fails (WRONGTYPE)
// while every other shard works. A QoS 1 publish to a topic of that shard must be refused
// (MQTT 5: PUBACK >= 0x80) and reach no subscriber, on the publisher's node or another;
// a publish to a healthy shard, even in the same append batch, succeeds and reaches both.
import { shardOf } from '@edgemq/backbone';
import { sleep, waitFor } from '@edgemq/testkit';
import { Redis } from 'ioredis';
import type { IPubackPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, connectTo, endAll, startCluster, unique, v5 } from './helpers.js';

const SHARDS = 8; // the default of redis.shards

let cluster: Cluster;
let redis: Redis;
beforeAll(async () => {
  cluster = await startCluster({ nodeIds: ['a', 'b'] });
  redis = new Redis(cluster.redis.url);
});
afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

/** A topic under `base` whose messages go to log shard `shard`. */
function topicInShard(base: string, shard: number): string {
  for (let i = 0; ; i++) {
    const topic = `${base}/t${i}`;
    if (shardOf(topic, SHARDS) === shard) return topic;
  }
}

describe('a publish the store refuses', () => {
  it('is refused with a failure code and reaches no subscriber on any node; its batch neighbours still go', async () => {
    const base = `refused/${unique('r')}`;
    const brokenShard = 3;
    const broken = topicInShard(base, brokenShard);
    const healthy = topicInShard(base, (brokenShard + 1) % SHARDS);
    const onA = await connectTo(cluster.node('a'), 'tcp', v5());
    const onB = await connectTo(cluster.node('b'), 'ws', v5());
    const pub = await connectTo(cluster.node('a'), 'tcp', v5());
    const streamKey = `${cluster.prefix}:log:${brokenShard}`;
    try {
      await onA.client.subscribeAsync(`${base}/#`, { qos: 1 });
      await onB.client.subscribeAsync(`${base}/#`, { qos: 1 });
      await redis.del(streamKey);
      await redis.set(streamKey, 'not a stream');

      // Both in one go, so they usually share one append batch (one XADD per shard).
      const outcomes = await Promise.all(
        [broken, healthy].map((topic) =>
          pub.client.publishAsync(topic, topic === broken ? 'broken' : 'healthy', { qos: 1 }).then(
            (packet) => (packet as IPubackPacket | undefined)?.reasonCode ?? 0,
            (error: { code?: number }) => error.code ?? -1,
          ),
        ),
      );
      expect(outcomes[0], 'PUBACK for the unstorable message').toBeGreaterThanOrEqual(0x80);
      expect(outcomes[1], 'PUBACK for the stored message').toBe(0);

      for (const sub of [onA, onB]) {
        await waitFor(() => sub.messages.some((m) => m.payload.toString() === 'healthy'), 5000);
      }
      // A later message on the healthy topic reached both too: anything the node was going
      // to deliver of the refused one would have arrived by now on the publisher's node.
      await pub.client.publishAsync(healthy, 'later', { qos: 1 });
      for (const sub of [onA, onB]) {
        await waitFor(() => sub.messages.some((m) => m.payload.toString() === 'later'), 5000);
      }
      await sleep(200);
      for (const sub of [onA, onB]) {
        expect(sub.messages.map((m) => m.payload.toString())).not.toContain('broken');
      }
    } finally {
      await redis.del(streamKey);
      await endAll(onA, onB, pub);
    }
  });
});
