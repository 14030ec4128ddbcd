// Resume anywhere: a persistent session (3.1.1 clean session 0, 5.0 session expiry > 0)
// opened on node A follows its client to node B. Messages published (on C) while it was
// away are queued by A and delivered by B, in order, with the subscriptions in force; what
// A had in flight is re-sent by B with DUP; and a second connection on B takes the session
// over from a live connection on A, which A closes at once (5.0: DISCONNECT 0x8E), also
// while messages keep coming: none lost, and (QoS 2) none delivered twice; and a slow old
// owner (stopped with SIGSTOP past the takeover bound) still loses nothing.
import { sleep } from '@edgemq/testkit';
import type { IClientOptions } from 'mqtt';
import type { IPublishPacket, IPubrelPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect } from '../helpers/raw-client.js';
import type { TransportName } from '../helpers/test-node.js';
import {
  type Cluster,
  type ClusterClient,
  connectTo,
  endAll,
  payloads,
  redisTopologies,
  sessionPresent,
  startCluster,
  unique,
  v4,
  v5,
} from './helpers.js';

let cluster: Cluster;

const A = () => cluster.node('a');
const B = () => cluster.node('b');
const C = () => cluster.node('c');

const versions = [
  {
    name: '3.1.1 clean session 0',
    persistent: (clientId: string): IClientOptions => v4({ clientId, clean: false }),
  },
  {
    name: '5.0 session expiry 300',
    persistent: (clientId: string): IClientOptions =>
      v5({ clientId, clean: false, properties: { sessionExpiryInterval: 300 } }),
  },
] as const;

const pairs: Array<[TransportName, TransportName]> = [
  ['tcp', 'ws'],
  ['ws', 'tcp'],
];

describe.each(redisTopologies)('on Redis %s', (redis) => {
  beforeAll(async () => {
    cluster = await startCluster({ nodeIds: ['a', 'b', 'c'], redis });
  }, 60_000);
  afterAll(() => cluster?.stop());

  describe.each(versions)('MQTT $name', ({ persistent }) => {
    it.each(pairs)(
      'resumes on B (%s → %s): session present, subscriptions kept, offline messages in order',
      async (first, second) => {
        const id = unique('resume');
        const topic = `res/${id}`;
        const pub = await connectTo(C(), 'tcp', v5());
        try {
          const onA = await connectTo(A(), first, persistent(id));
          expect(sessionPresent(onA)).toBe(false);
          await onA.client.subscribeAsync(topic, { qos: 2 });
          await onA.end();

          await pub.client.publishAsync(topic, 'away-1', { qos: 1 });
          await pub.client.publishAsync(topic, 'away-2', { qos: 2 });
          await pub.client.publishAsync(topic, 'away-3', { qos: 1 });
          await pub.client.publishAsync(topic, 'away-qos0', { qos: 0 }); // not kept for an offline client

          // No settling time: acknowledged means stored, wherever the client comes back.
          const onB = await connectTo(B(), second, persistent(id));
          try {
            expect(sessionPresent(onB)).toBe(true);
            await onB.take(3, 3000);
            // Wire order (MQTT.js emits a QoS 2 message only at PUBREL, so `messages` may not be).
            expect(onB.publishes.map((p) => [p.payload.toString(), p.qos])).toEqual([
              ['away-1', 1],
              ['away-2', 2],
              ['away-3', 1],
            ]);
            // The subscription came along: no SUBSCRIBE on B.
            await pub.client.publishAsync(topic, 'live', { qos: 1 });
            const [live] = await onB.take(1, 3000);
            expect(live.payload.toString()).toBe('live');
            await sleep(200);
            expect(payloadsOf(onB.publishes)).toEqual(['away-1', 'away-2', 'away-3', 'live']);
          } finally {
            await onB.end();
          }
        } finally {
          await endAll(pub);
        }
      },
    );

    it('follows its client again: A → B → A, each time with the messages queued meanwhile', async () => {
      const id = unique('again');
      const topic = `res/${id}`;
      const pub = await connectTo(C(), 'ws', v4());
      try {
        const first = await connectTo(A(), 'tcp', persistent(id));
        await first.client.subscribeAsync(topic, { qos: 1 });
        await first.end();
        await pub.client.publishAsync(topic, 'for-b', { qos: 1 });
        const onB = await connectTo(B(), 'tcp', persistent(id));
        expect(payloads(await onB.take(1, 3000))).toEqual(['for-b']);
        await onB.end();
        await pub.client.publishAsync(topic, 'for-a', { qos: 1 });
        const backOnA = await connectTo(A(), 'ws', persistent(id));
        try {
          expect(sessionPresent(backOnA)).toBe(true);
          expect(payloads(await backOnA.take(1, 3000))).toEqual(['for-a']);
          await pub.client.publishAsync(topic, 'live-a', { qos: 1 });
          expect(payloads(await backOnA.take(1, 3000))).toEqual(['live-a']);
        } finally {
          await backOnA.end();
        }
      } finally {
        await endAll(pub);
      }
    });

    it('a second connection on B takes the session over: A closes the old one within 1 s', async () => {
      const id = unique('takeover');
      const topic = `res/${id}`;
      const pub = await connectTo(C(), 'tcp', v5());
      const old = await connectTo(A(), 'tcp', persistent(id));
      try {
        await old.client.subscribeAsync(topic, { qos: 1 });
        const startedAt = Date.now();
        const fresh = await connectTo(B(), 'ws', persistent(id));
        try {
          expect(sessionPresent(fresh)).toBe(true);
          const deadline = startedAt + 1000;
          while (!old.closed() && Date.now() < deadline) await sleep(5);
          expect(old.closed(), 'old connection on A still open 1 s after the takeover began').toBe(true);
          expect(old.closedAtMs()! - startedAt).toBeLessThanOrEqual(1000);
          if (old.client.options.protocolVersion === 5) {
            const disconnect = old.packets.find((p) => p.cmd === 'disconnect');
            expect(disconnect, 'DISCONNECT to the old 5.0 connection').toBeDefined();
            expect(disconnect?.reasonCode).toBe(0x8e);
          }
          await pub.client.publishAsync(topic, 'after-takeover', { qos: 1 });
          const [m] = await fresh.take(1, 3000);
          expect(m.payload.toString()).toBe('after-takeover');
          await pub.client.publishAsync(topic, 'and-more', { qos: 1 });
          expect(payloads(await fresh.take(1, 3000))).toEqual(['and-more']);
          await sleep(200);
          expect(old.messages).toEqual([]);
          expect(fresh.messages).toHaveLength(2);
        } finally {
          await fresh.end();
        }
      } finally {
        await endAll(pub, old);
      }
    });
  });

  describe('resume while the old owner is slow to hand over', () => {
    it('a message queued for the parked session still reaches B when A answers after the 1 s bound', async () => {
      const id = unique('stalled');
      const topic = `res/${id}`;
      const opts = v4({ clientId: id, clean: false });
      const pub = await connectTo(C(), 'tcp', v5());
      const nodeA = A().spawned.process;
      let fresh: ClusterClient | undefined;
      try {
        const first = await connectTo(A(), 'tcp', opts);
        await first.client.subscribeAsync(topic, { qos: 1 });
        await first.end();
        await sleep(100); // A has saved the session
        // A stalls (a long GC pause, an overloaded host): it reads nothing and answers nothing.
        nodeA.kill('SIGSTOP');
        await pub.client.publishAsync(topic, 'away', { qos: 1 }); // stored in the log by C
        const connecting = connectTo(B(), 'ws', opts);
        await sleep(1500); // longer than the takeover bound (about 1 s)
        nodeA.kill('SIGCONT');
        fresh = await connecting;
        expect(sessionPresent(fresh)).toBe(true);
        await sleep(500); // A has woken up and caught up with the log
        await pub.client.publishAsync(topic, 'live', { qos: 1 });
        const deadline = Date.now() + 2000;
        while (fresh.publishes.length < 2 && Date.now() < deadline) await sleep(10);
        await sleep(200);
        expect(payloadsOf(fresh.publishes)).toEqual(['away', 'live']);
      } finally {
        nodeA.kill('SIGCONT');
        await endAll(pub, fresh);
      }
    });
  });

  describe('takeover under traffic (5.0, session expiry 300)', () => {
    /**
     * A publisher on C sends messages at `qos`, one after another, to a client subscribed on
     * A; the client moves to B while that goes on. Returns the publishes each connection got.
     */
    async function moveWhilePublishing(qos: 1 | 2) {
      const id = unique(`busy${qos}`);
      const topic = `res/${id}`;
      const opts = v5({ clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } });
      const pub = await connectTo(C(), 'tcp', v5());
      const old = await connectTo(A(), 'tcp', opts);
      let fresh: ClusterClient | undefined;
      let stop = false;
      try {
        await old.client.subscribeAsync(topic, { qos });
        let total = 0;
        const publishing = (async () => {
          while (!stop) {
            await pub.client.publishAsync(topic, String(total), { qos });
            total++;
            await sleep(1);
          }
        })();
        publishing.catch(() => undefined); // awaited below; this only keeps an early exit quiet
        await sleep(150);
        fresh = await connectTo(B(), 'ws', opts);
        await sleep(150);
        stop = true;
        await publishing;
        const last = String(total - 1);
        const deadline = Date.now() + 3000;
        while (!fresh.publishes.some((p) => p.payload.toString() === last) && Date.now() < deadline)
          await sleep(10);
        await sleep(300); // let any late copy show up
        return { old: old.publishes, oldPackets: old.packets, fresh: fresh.publishes, total };
      } finally {
        stop = true;
        await endAll(pub, old, fresh);
      }
    }

    it('QoS 1: nothing published during the move is lost', async () => {
      const { old, fresh, total } = await moveWhilePublishing(1);
      const seen = new Set([...old, ...fresh].map((p) => Number(p.payload.toString())));
      const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i));
      expect(missing).toEqual([]);
    });

    it('QoS 2: nothing is lost, and no message is delivered twice (three moves)', async () => {
      // The race is a window of a few milliseconds: three moves make it likely to show.
      const problems: string[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const { old, oldPackets, fresh, total } = await moveWhilePublishing(2);
        const seen = new Set([...old, ...fresh].map((p) => Number(p.payload.toString())));
        const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i));
        if (missing.length > 0) problems.push(`move ${attempt}: lost ${missing.join(',')}`);
        // A DUP re-send of what was in flight on A keeps its packet id; a second copy under a
        // new packet id is a second delivery, which QoS 2 forbids [MQTT-4.3.3].
        const idsByPayload = new Map<string, Set<number | undefined>>();
        for (const p of fresh) {
          const key = p.payload.toString();
          idsByPayload.set(key, (idsByPayload.get(key) ?? new Set()).add(p.messageId));
        }
        for (const [payload, ids] of idsByPayload) {
          if (ids.size > 1)
            problems.push(`move ${attempt}: "${payload}" twice on B, packet ids ${[...ids].join('+')}`);
        }
        // A message whose PUBREL the old connection got (A had its PUBREC: the client has it)
        // must not come again as a PUBLISH on the new one.
        const releasedOnOld = new Set(
          oldPackets
            .filter((p): p is IPubrelPacket => p.cmd === 'pubrel')
            .map((rel) => old.find((p) => p.messageId === rel.messageId)?.payload.toString()),
        );
        for (const payload of new Set(fresh.map((p) => p.payload.toString()))) {
          if (releasedOnOld.has(payload))
            problems.push(`move ${attempt}: "${payload}" completed on A, sent again by B`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  describe.each(['tcp', 'ws'] as const)(
    'in-flight messages move with the session over %s (3.1.1)',
    (transport) => {
      it('a QoS 1 message received on A and never acknowledged is re-sent by B with DUP', async () => {
        const id = unique('dup1');
        const topic = `res/${id}`;
        const pub = await connectTo(C(), 'tcp', v4());
        try {
          const first = await rawConnect(A().asTestNode, transport, 4, { clientId: id, clean: false });
          expect((await first.raw.subscribe([{ topic, qos: 1 }])).granted).toEqual([1]);
          await pub.client.publishAsync(topic, 'unacked', { qos: 1 });
          const original = (await first.raw.expect('publish')) as IPublishPacket;
          expect([original.qos, original.dup, original.payload.toString()]).toEqual([1, false, 'unacked']);
          await first.raw.destroy(); // no PUBACK, no DISCONNECT

          const second = await rawConnect(B().asTestNode, transport, 4, { clientId: id, clean: false });
          try {
            expect(second.connack.sessionPresent).toBe(true);
            const again = (await second.raw.expect('publish')) as IPublishPacket;
            expect([again.qos, again.dup, again.payload.toString(), again.topic]).toEqual([
              1,
              true,
              'unacked',
              topic,
            ]);
            expect(again.messageId).toBe(original.messageId);
            second.raw.send({ cmd: 'puback', messageId: again.messageId });
            // Acknowledged now: nothing more, and new messages flow with DUP clear.
            await pub.client.publishAsync(topic, 'next', { qos: 1 });
            const next = (await second.raw.expect('publish')) as IPublishPacket;
            expect([next.dup, next.payload.toString()]).toEqual([false, 'next']);
            second.raw.send({ cmd: 'puback', messageId: next.messageId });
            expect(await second.raw.takeFor(200)).toEqual([]);
          } finally {
            await second.raw.destroy();
          }
        } finally {
          await endAll(pub);
        }
      });

      it('a QoS 2 message received on A without PUBREC is re-sent by B with DUP; a PUBREC-ed one gets its PUBREL', async () => {
        const id = unique('dup2');
        const topic = `res/${id}`;
        const pub = await connectTo(C(), 'ws', v4());
        try {
          const first = await rawConnect(A().asTestNode, transport, 4, { clientId: id, clean: false });
          await first.raw.subscribe([{ topic, qos: 2 }]);
          await pub.client.publishAsync(topic, 'recd', { qos: 2 });
          await pub.client.publishAsync(topic, 'not-recd', { qos: 2 });
          const recd = (await first.raw.expect('publish')) as IPublishPacket;
          const notRecd = (await first.raw.expect('publish')) as IPublishPacket;
          expect(payloadsOf([recd, notRecd])).toEqual(['recd', 'not-recd']);
          first.raw.send({ cmd: 'pubrec', messageId: recd.messageId });
          await first.raw.expect('pubrel');
          await first.raw.destroy(); // no PUBCOMP for the first, no PUBREC for the second

          const second = await rawConnect(B().asTestNode, transport, 4, { clientId: id, clean: false });
          try {
            expect(second.connack.sessionPresent).toBe(true);
            const resent = await second.raw.takeFor(500);
            const pubrels = resent.filter((p) => p.cmd === 'pubrel');
            const publishes = resent.filter((p): p is IPublishPacket => p.cmd === 'publish');
            expect(pubrels.map((p) => p.messageId)).toEqual([recd.messageId]);
            expect(publishes.map((p) => [p.payload.toString(), p.dup, p.qos, p.messageId])).toEqual([
              ['not-recd', true, 2, notRecd.messageId],
            ]);
          } finally {
            await second.raw.destroy();
          }
        } finally {
          await endAll(pub);
        }
      });
    },
  );

  const payloadsOf = (packets: IPublishPacket[]) => packets.map((p) => p.payload.toString());
});
