// Redis is killed and restarted empty on the same port. The cluster cannot bring back what
// Redis held, but it must say so rather than pretend: every node logs the loss at error
// and counts it (edgemq_backbone_data_lost_total), and what lives on in the nodes is
// registered again — a shared group keeps delivering each message once.
import { waitFor } from '@edgemq/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, connectTo, endAll, startCluster, unique, v5 } from './helpers.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ nodeIds: ['a', 'b'], redisMode: 'process' });
}, 30_000);
afterAll(() => cluster?.stop());

async function dataLostCount(node: { httpUrl: string }): Promise<number> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('edgemq_backbone_data_lost_total '));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('Redis restarted empty', () => {
  it('every node reports the loss (log and metric), and a shared group delivers each message once again', async () => {
    const topic = unique('data-loss');
    const onA = await connectTo(cluster.node('a'), 'tcp', v5());
    const onB = await connectTo(cluster.node('b'), 'ws', v5());
    const publisher = await connectTo(cluster.node('a'), 'tcp', v5());
    try {
      await onA.client.subscribeAsync(`$share/g/${topic}`, { qos: 1 });
      await onB.client.subscribeAsync(`$share/g/${topic}`, { qos: 1 });
      for (const node of cluster.nodes) expect(await dataLostCount(node)).toBe(0);

      await cluster.redis.pause(); // the process goes, its data with it
      await cluster.redis.resume(); // a new, empty Redis on the same port
      for (const node of cluster.nodes) {
        await waitFor(async () => (await dataLostCount(node)) >= 1, 15_000, `${node.id} to count the loss`);
        expect(node.spawned.output()).toMatch(/"level":50[^\n]*lost its data/);
      }

      // Publishes are stored again, and the group's members share them without copies.
      await waitFor(
        async () =>
          publisher.client.publishAsync(`${topic}/probe`, 'probe', { qos: 1 }).then(
            () => true,
            () => false,
          ),
        10_000,
        'a publish to be stored again',
      );
      const sent = Array.from({ length: 40 }, (_, i) => `after-${i}`);
      // Give every node one refresh round (1 s) to read the registry again.
      await new Promise((r) => setTimeout(r, 1500));
      const before = onA.messages.length + onB.messages.length;
      for (const payload of sent) await publisher.client.publishAsync(topic, payload, { qos: 1 });
      await waitFor(
        () => onA.messages.length + onB.messages.length - before >= sent.length,
        5000,
        'the 40 messages at the group',
      );
      await new Promise((r) => setTimeout(r, 300));
      const got = [...onA.messages, ...onB.messages]
        .map((m) => m.payload.toString())
        .filter((p) => p.startsWith('after-'));
      expect(got.sort()).toEqual([...sent].sort());
    } finally {
      await endAll(onA, onB, publisher);
    }
  }, 60_000);
});
