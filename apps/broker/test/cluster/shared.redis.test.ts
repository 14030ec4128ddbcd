// A shared subscription group whose members sit on different nodes gets each message
// exactly once, spread across them; a plain subscriber still gets every message.
import { sleep } from '@edgemq/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  connectTo,
  endAll,
  payloads,
  redisTopologies,
  startCluster,
  unique,
  v4,
  v5,
} from './helpers.js';

let cluster: Cluster;

describe.each(redisTopologies)('on Redis %s', (redis) => {
  beforeAll(async () => {
    cluster = await startCluster({ nodeIds: ['a', 'b', 'c'], redis });
  }, 60_000);
  afterAll(() => cluster?.stop());

  describe('shared subscriptions across nodes', () => {
    it('[MQTT-4.8.2] each message goes to exactly one member of the group, spread over the nodes', async () => {
      const topic = unique('jobs');
      const members = await Promise.all([
        connectTo(cluster.node('a'), 'tcp', v5()),
        connectTo(cluster.node('b'), 'ws', v5()),
        connectTo(cluster.node('c'), 'tcp', v4()),
      ]);
      await Promise.all(members.map((m) => m.client.subscribeAsync(`$share/workers/${topic}/#`, { qos: 1 })));
      const plain = await connectTo(cluster.node('b'), 'tcp', v5());
      await plain.client.subscribeAsync(`${topic}/#`, { qos: 1 });
      await sleep(1500); // membership views refresh every second
      const publisher = await connectTo(cluster.node('a'), 'tcp', v5());
      const count = 300;
      for (let i = 0; i < count; i++)
        await publisher.client.publishAsync(`${topic}/${i % 5}`, String(i), { qos: 1 });
      await plain.take(count, 10_000);
      await sleep(500);
      const got = members.map((m) => payloads(m.messages));
      const all = got.flat();
      expect(all.length).toBe(count);
      expect(new Set(all).size).toBe(count);
      for (const share of got) expect(share.length).toBeGreaterThan(count / 3 / 2);
      await endAll(...members, plain, publisher);
    }, 30_000);
  });
});
