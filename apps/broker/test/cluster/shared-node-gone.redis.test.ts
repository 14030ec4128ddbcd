// A shared group with members on two nodes loses one node. The group's messages must go to
// the remaining member, long before the gone node is declared dead (redis.nodeDeadAfterMs,
// 10 s by default): at once when the node stops gracefully (it leaves its groups), and
// within three missed heartbeats when it is killed (the others leave it out of the view).
import { waitFor } from '@edgemq/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, connectTo, endAll, startCluster, unique, v5 } from './helpers.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe.each([
  // Heartbeats every 3 s make a silent node a suspect only after 9 s: within 5 s, only
  // leaving the groups at shutdown can have moved the group's messages.
  {
    how: 'SIGTERM',
    signal: 'SIGTERM' as const,
    withinMs: 5000,
    env: { EDGEMQ_REDIS_HEARTBEAT_MS: '3000' } as Record<string, string>,
  },
  { how: 'SIGKILL', signal: 'SIGKILL' as const, withinMs: 6000, env: {} as Record<string, string> },
])('a node with a shared-group member goes ($how)', ({ signal, withinMs, env }) => {
  it('the group’s messages go to the member on the other node, well before it is declared dead', async () => {
    const c = await startCluster({ nodeIds: ['a', 'b'], env });
    cluster = c;
    const topic = unique('shared-gone');
    // Persistent: its session (and group membership) outlives the connection on a.
    const memberOnA = await connectTo(
      c.node('a'),
      'tcp',
      v5({ clientId: unique('member'), clean: false, properties: { sessionExpiryInterval: 300 } }),
    );
    const memberOnB = await connectTo(c.node('b'), 'ws', v5());
    const publisher = await connectTo(c.node('b'), 'tcp', v5());
    try {
      await memberOnA.client.subscribeAsync(`$share/g/${topic}`, { qos: 1 });
      await memberOnB.client.subscribeAsync(`$share/g/${topic}`, { qos: 1 });
      // Both nodes serve the group: a burst is split between the members.
      await waitFor(
        async () => {
          await publisher.client.publishAsync(topic, 'warm-up', { qos: 1 });
          return memberOnA.messages.length > 0 && memberOnB.messages.length > 0;
        },
        10_000,
        'both members to get part of the group’s messages',
      );
      await c.node('a').spawned.stop(signal, 5000);
      const goneAt = Date.now();
      await waitFor(
        async () => {
          // Ten in a row at b: the hash would send about half of them to a's share.
          const before = memberOnB.messages.length;
          for (let i = 0; i < 10; i++) await publisher.client.publishAsync(topic, 'probe', { qos: 1 });
          await new Promise((r) => setTimeout(r, 100));
          return memberOnB.messages.length - before === 10;
        },
        withinMs,
        'ten probes in a row to reach the member on b',
      );
      // From here on every message reaches the remaining member.
      const sent = Array.from({ length: 50 }, (_, i) => `after-${i}`);
      for (const payload of sent) await publisher.client.publishAsync(topic, payload, { qos: 1 });
      await waitFor(
        () => sent.every((p) => memberOnB.messages.some((m) => m.payload.toString() === p)),
        5000,
        'all 50 at the member on b',
      );
      expect(Date.now() - goneAt).toBeLessThan(9000); // before the default 10 s death
    } finally {
      await endAll(memberOnA, memberOnB, publisher);
    }
  }, 60_000);
});
