// An abandoned MQTT 3.1.1 persistent session leaves Redis too: with
// EDGEMQ_MQTT_PERSISTENT_SESSION_EXPIRY_SEC set, the parked record (and its queue) carry
// the expiry (`exp`, and a Redis TTL as a backstop should no node be left to delete it),
// and the node deletes them when it passes. Before, such records had no expiry and stayed
// for good, one per client id that ever used clean session 0.
import { waitFor } from '@edgemq/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, connectTo, startCluster, unique, v4 } from './helpers.js';

const EXPIRY_SEC = 3;

let cluster: Cluster;
let admin: Redis;
beforeAll(async () => {
  cluster = await startCluster({
    nodeIds: ['a'],
    env: { EDGEMQ_MQTT_PERSISTENT_SESSION_EXPIRY_SEC: String(EXPIRY_SEC) },
  });
  admin = new Redis(cluster.redis.url);
}, 60_000);
afterAll(async () => {
  await admin?.quit();
  await cluster?.stop();
});

describe('MQTT 3.1.1 persistent session expiry in Redis', () => {
  it('the parked record and its queue carry the expiry, and are deleted when it passes', async () => {
    const clientId = unique('pse');
    const topic = `pse/${clientId}`;
    const sessionKey = `${cluster.prefix}:{c:${clientId}}:session`;
    const queueKey = `${cluster.prefix}:{c:${clientId}}:q`;
    const first = await connectTo(cluster.node('a'), 'tcp', v4({ clientId, clean: false }));
    await first.client.subscribeAsync(topic, { qos: 1 });
    const leftAt = Date.now();
    await first.end();
    // Parked: the record is saved with its expiry once the node has seen the disconnect.
    await waitFor(async () => (await admin.hget(sessionKey, 'exp')) !== null, 5000, 'the parked record');
    const exp = Number(await admin.hget(sessionKey, 'exp'));
    expect(exp).toBeGreaterThanOrEqual(leftAt + EXPIRY_SEC * 1000);
    expect(exp).toBeLessThan(Date.now() + EXPIRY_SEC * 1000 + 1);
    expect(await admin.pttl(sessionKey)).toBeGreaterThan(0);
    const pub = await connectTo(cluster.node('a'), 'tcp', v4());
    await pub.client.publishAsync(topic, 'while-away', { qos: 1 });
    await pub.end();
    expect(await admin.llen(queueKey)).toBe(1);
    expect(await admin.pttl(queueKey)).toBeGreaterThan(0);
    // Gone once the expiry passes (deleted by the node, not left to Redis' later GC).
    await waitFor(
      async () => (await admin.exists(sessionKey, queueKey)) === 0,
      EXPIRY_SEC * 1000 + 10_000,
      'the expired record deleted',
    );
    expect(Date.now()).toBeGreaterThanOrEqual(exp - 50);
  });
});
