// Redis goes away for a few seconds (the process is stopped and started again on the same
// port, without its data). The nodes stay up and say so honestly: /readyz is 503 while
// Redis is away and 200 after; open connections stay open and local QoS 0 traffic keeps
// flowing; a QoS 1 publish that cannot be stored is never acknowledged as a success; and
// once Redis is back, cross-node delivery works again.
import { sleep, waitFor } from '@edgemq/testkit';
import type { IPubackPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  type ClusterClient,
  connectTo,
  endAll,
  httpStatus,
  startCluster,
  unique,
  v4,
  v5,
} from './helpers.js';

const OUTAGE_MS = 5000;

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ nodeIds: ['a', 'b'], redisMode: 'process' });
});
afterAll(() => cluster?.stop());

const A = () => cluster.node('a');
const B = () => cluster.node('b');

const pubacks = (c: ClusterClient) => c.packets.filter((p): p is IPubackPacket => p.cmd === 'puback');

describe('Redis outage', () => {
  it('nodes stay up, report not ready, refuse to acknowledge what they cannot store, and recover', async () => {
    const topic = `outage/${unique('t')}`;
    const localSub = await connectTo(A(), 'tcp', v4());
    const localPub = await connectTo(A(), 'ws', v5());
    const pub5 = await connectTo(A(), 'tcp', v5());
    const pub4 = await connectTo(A(), 'tcp', v4());
    const remoteSub = await connectTo(B(), 'ws', v5());
    const everyone = [localSub, localPub, pub5, pub4, remoteSub];
    try {
      await localSub.client.subscribeAsync(`${topic}/#`, { qos: 1 });
      await remoteSub.client.subscribeAsync(`${topic}/#`, { qos: 1 });
      for (const node of cluster.nodes) expect(await httpStatus(node, '/readyz')).toBe(200);
      await pub5.client.publishAsync(`${topic}/before`, 'before', { qos: 1 });
      expect((await remoteSub.take(1, 3000))[0].payload.toString()).toBe('before');
      await localSub.take(1, 3000);

      // --- Redis goes away ---
      const acksBefore5 = pubacks(pub5).length;
      await cluster.redis.pause();
      const pausedAt = Date.now();
      for (const node of cluster.nodes) {
        await waitFor(
          async () => (await httpStatus(node, '/readyz')) === 503,
          3000,
          `${node.id} /readyz 503`,
        );
      }

      // QoS 1 publishes that cannot be stored: 5.0 and 3.1.1, ids noted for their PUBACKs.
      const down5 = pub5.client.publishAsync(`${topic}/down5`, 'down-5', { qos: 1 }).then(
        () => 'ok',
        (error: unknown) => `refused: ${String(error)}`,
      );
      pub4.client.publish(`${topic}/down4`, 'down-4', { qos: 1 }, () => undefined);

      // Local QoS 0 traffic still flows on A.
      await localPub.client.publishAsync(`${topic}/local`, 'local-while-down', { qos: 0 });
      // (The QoS 1 publishes above reach localSub too: a node delivers its own publishes at once.)
      const localDelivered = await waitFor(
        () => localSub.messages.some((m) => m.payload.toString() === 'local-while-down'),
        3000,
      ).then(
        () => true,
        () => false,
      );

      // Hold the outage, checking that nodes and connections stay up, and readiness stays 503.
      while (Date.now() - pausedAt < OUTAGE_MS) {
        for (const node of cluster.nodes) {
          expect(node.spawned.process.exitCode, `${node.id} exited`).toBeNull();
          expect(await httpStatus(node, '/healthz'), `${node.id} /healthz`).toBe(200);
          expect(await httpStatus(node, '/readyz'), `${node.id} /readyz during the outage`).toBe(503);
        }
        await sleep(500);
      }
      const whileDown5 = pubacks(pub5).slice(acksBefore5);
      const whileDown4 = pubacks(pub4);
      const closedWhileDown = everyone.filter((c) => c.closed()).length;

      // --- Redis comes back (empty) ---
      await cluster.redis.resume();
      const resumedAt = Date.now();
      for (const node of cluster.nodes) {
        await waitFor(
          async () => (await httpStatus(node, '/readyz')) === 200,
          8000,
          `${node.id} /readyz 200`,
        );
      }
      const readyAfterMs = Date.now() - resumedAt;

      // A QoS 1 publish made while Redis was down was not acknowledged as a success then.
      for (const ack of whileDown5) {
        expect(
          ack.reasonCode ?? 0,
          '5.0 PUBACK while Redis was down must carry a failure code',
        ).toBeGreaterThanOrEqual(0x80);
      }
      expect(whileDown4, '3.1.1 PUBACK while Redis was down').toEqual([]);
      const outcome5 = await Promise.race([down5, sleep(2000).then(() => 'still waiting')]);
      if (outcome5 === 'ok') {
        // Allowed only if the success came after Redis returned.
        const success = pubacks(pub5)
          .slice(acksBefore5)
          .find((p) => (p.reasonCode ?? 0) < 0x80);
        expect(success, 'success PUBACK').toBeDefined();
      }

      expect(closedWhileDown, 'connections closed during the outage').toBe(0);
      expect(localDelivered, 'local QoS 0 delivery on A while Redis was down').toBe(true);

      // Cross-node delivery works again.
      await pub5.client.publishAsync(`${topic}/after`, 'after', { qos: 1 });
      await waitFor(
        () => remoteSub.messages.some((m) => m.payload.toString() === 'after'),
        5000,
        'B to receive a message published on A after Redis returned',
      );
      // And the other way round, QoS 0 included.
      const pubOnB = await connectTo(B(), 'tcp', v4());
      try {
        await pubOnB.client.publishAsync(`${topic}/back`, 'back-0', { qos: 0 });
        await pubOnB.client.publishAsync(`${topic}/back`, 'back-1', { qos: 1 });
        await waitFor(
          () => ['back-0', 'back-1'].every((p) => localSub.messages.some((m) => m.payload.toString() === p)),
          5000,
          'A to receive messages published on B after Redis returned',
        );
      } finally {
        await endAll(pubOnB);
      }
      for (const c of everyone) expect(c.closed()).toBe(false);
      expect(readyAfterMs).toBeLessThan(8000);
    } finally {
      await endAll(...everyone);
      if (cluster.redis) await cluster.redis.resume().catch(() => undefined);
    }
  }, 40_000);
});
