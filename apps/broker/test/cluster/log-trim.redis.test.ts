// The fan-out log stays bounded: with one shard and EDGEMQ_REDIS_LOG_MAX_LEN=1000, a long
// stream of publishes leaves the stream near 1000 entries (XADD MAXLEN ~ trims whole
// macro-nodes, so "near" means within a node's worth above), while every message still
// reaches the subscriber on the other node.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, connectTo, endAll, startCluster, unique, v4, v5 } from './helpers.js';

const LOG_MAX_LEN = 1000;
const MESSAGES = 20_000;

let cluster: Cluster;
let admin: Redis;
beforeAll(async () => {
  cluster = await startCluster({
    nodeIds: ['a', 'b'],
    env: { EDGEMQ_REDIS_LOG_MAX_LEN: String(LOG_MAX_LEN), EDGEMQ_REDIS_SHARDS: '1' },
  });
  admin = new Redis(cluster.redis.url);
});
afterAll(async () => {
  await admin?.quit();
  await cluster?.stop();
});

/** XINFO STREAM as a map of its top-level fields. */
async function streamInfo(key: string): Promise<Map<string, unknown>> {
  const reply = (await admin.call('XINFO', 'STREAM', key)) as unknown[];
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) info.set(String(reply[i]), reply[i + 1]);
  return info;
}

describe('log trimming', () => {
  it(`${MESSAGES} QoS 0 publishes leave the shard stream bounded near logMaxLen`, async () => {
    const key = `${cluster.prefix}:log:0`;
    const topic = `trim/${unique('t')}`;
    const sub = await connectTo(cluster.node('b'), 'tcp', v4());
    const pub = await connectTo(cluster.node('a'), 'tcp', v5());
    try {
      await sub.client.subscribeAsync(topic, { qos: 0 });
      let maxLen = 0;
      // Small bursts with a timer between them, so that the node appends many log entries
      // (it puts everything that arrives in one event-loop turn into one entry).
      for (let i = 0; i < MESSAGES; i++) {
        pub.client.publish(topic, String(i), { qos: 0 });
        if (i % 8 === 7) await new Promise((r) => setTimeout(r, 0));
        if (i % 2000 === 1999) maxLen = Math.max(maxLen, await admin.xlen(key));
      }
      // A QoS 1 marker: once it is acknowledged everything before it has been appended.
      await pub.client.publishAsync(topic, 'end', { qos: 1 });
      const info = await streamInfo(key);
      const added = Number(info.get('entries-added'));
      const length = Number(info.get('length'));
      maxLen = Math.max(maxLen, length, await admin.xlen(key));
      // Enough entries were written for trimming to matter...
      expect(added).toBeGreaterThan(2 * LOG_MAX_LEN);
      // ...and the stream never held much more than the cap (~: whole 100-entry macro nodes).
      expect(maxLen).toBeLessThanOrEqual(LOG_MAX_LEN + 200);
      expect(length).toBeGreaterThanOrEqual(LOG_MAX_LEN);
      // Trimming never cost the live subscriber anything it could read in time.
      const last = await waitForPayload(sub, 'end', 5000);
      expect(last).toBe(true);
      // What arrived arrived in order (QoS 0 may be dropped under backpressure, never reordered).
      const numbers = sub.messages.slice(0, -1).map((m) => Number(m.payload.toString()));
      expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1])).toBe(true);
    } finally {
      await endAll(sub, pub);
    }
  });
});

async function waitForPayload(
  client: { messages: { payload: Buffer }[] },
  payload: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (client.messages.some((m) => m.payload.toString() === payload)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
