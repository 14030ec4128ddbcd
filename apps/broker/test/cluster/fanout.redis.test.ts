// Fan-out across nodes: three `bin/edgemq` processes on one Redis. A message published on
// node A reaches subscribers on B and C through the Redis log at every QoS, in order per
// topic, with its MQTT 5 properties; retained messages set on A are served by B and C;
// wildcards match across nodes; 3.1.1 and 5.0 clients talk to each other across nodes.
import { sleep } from '@edgemq/testkit';
import type { QoS } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  type ClusterClient,
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

const A = () => cluster.node('a');
const B = () => cluster.node('b');
const C = () => cluster.node('c');

/** Waits `ms` and checks that nothing more than `count` messages arrived. */
async function expectNoMore(client: ClusterClient, count: number, ms = 300) {
  await sleep(ms);
  expect(client.messages).toHaveLength(count);
}

describe.each(redisTopologies)('on Redis %s', (redis) => {
  beforeAll(async () => {
    cluster = await startCluster({ nodeIds: ['a', 'b', 'c'], redis });
  }, 60_000);
  afterAll(() => cluster?.stop());

  describe('fan-out across nodes', () => {
    it.each([0, 1, 2] as const)('QoS %i: a publish on A reaches subscribers on B and C once', async (qos) => {
      const topic = `fan/${unique('qos')}`;
      const onB = await connectTo(B(), 'tcp', v5());
      const onC = await connectTo(C(), 'ws', v4());
      const onA = await connectTo(A(), 'tcp', v4());
      const pub = await connectTo(A(), qos === 1 ? 'ws' : 'tcp', v5());
      try {
        for (const sub of [onA, onB, onC]) await sub.client.subscribeAsync(topic, { qos: 2 });
        await pub.client.publishAsync(topic, `hello-${qos}`, { qos: qos as QoS });
        for (const sub of [onA, onB, onC]) {
          const [m] = await sub.take(1, 3000);
          expect(m.topic).toBe(topic);
          expect(m.payload.toString()).toBe(`hello-${qos}`);
          expect(m.qos).toBe(qos);
          expect(m.retain).toBe(false);
        }
        // Exactly once: the local subscriber does not get the entry again from the log, and
        // the remote ones do not get it twice.
        await sleep(300);
        for (const sub of [onA, onB, onC]) expect(sub.messages).toHaveLength(1);
      } finally {
        await endAll(onA, onB, onC, pub);
      }
    });

    it('200 QoS 1 messages from one publisher on one topic arrive in order at B and C', async () => {
      const topic = `fan/${unique('order')}`;
      const onB = await connectTo(B(), 'tcp', v4());
      const onC = await connectTo(C(), 'ws', v5());
      const pub = await connectTo(A(), 'tcp', v5());
      try {
        await onB.client.subscribeAsync(topic, { qos: 1 });
        await onC.client.subscribeAsync(topic, { qos: 1 });
        const sent = Array.from({ length: 200 }, (_, i) => `m${i}`);
        await Promise.all(sent.map((p) => pub.client.publishAsync(topic, p, { qos: 1 })));
        const [atB, atC] = await Promise.all([onB.take(200, 5000), onC.take(200, 5000)]);
        expect(payloads(atB)).toEqual(sent);
        expect(payloads(atC)).toEqual(sent);
        expect(atB.every((m) => m.qos === 1 && !m.dup)).toBe(true);
        await expectNoMore(onB, 200, 200);
        await expectNoMore(onC, 200, 0);
      } finally {
        await endAll(onB, onC, pub);
      }
    });

    it('MQTT 5 properties arrive intact on B and C', async () => {
      const topic = `fan/${unique('props')}`;
      const onB = await connectTo(B(), 'tcp', v5());
      const onC = await connectTo(C(), 'ws', v5());
      const pub = await connectTo(A(), 'tcp', v5());
      try {
        await onB.client.subscribeAsync(topic, { qos: 1 });
        await onC.client.subscribeAsync(topic, { qos: 1, properties: { subscriptionIdentifier: 42 } });
        const correlationData = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
        await pub.client.publishAsync(topic, '{"t":21.5}', {
          qos: 1,
          properties: {
            userProperties: { site: 'north', tag: ['first', 'second'], empty: '' },
            correlationData,
            contentType: 'application/json; charset=utf-8',
            responseTopic: `reply/${topic}`,
            payloadFormatIndicator: true,
            messageExpiryInterval: 300,
          },
        });
        await Promise.all([onB.take(1, 3000), onC.take(1, 3000)]);
        for (const [sub, subscriptionId] of [
          [onB, undefined],
          [onC, 42],
        ] as const) {
          const [packet] = sub.publishes;
          expect(packet.payload.toString()).toBe('{"t":21.5}');
          const props = packet.properties ?? {};
          expect(props.userProperties).toEqual({ site: 'north', tag: ['first', 'second'], empty: '' });
          expect(Buffer.from(props.correlationData ?? [])).toEqual(correlationData);
          expect(props.contentType).toBe('application/json; charset=utf-8');
          expect(props.responseTopic).toBe(`reply/${topic}`);
          expect(props.payloadFormatIndicator).toBe(true);
          // What remains of the interval: 300, or 299 if a second boundary passed on the way.
          expect(props.messageExpiryInterval).toBeGreaterThanOrEqual(299);
          expect(props.messageExpiryInterval).toBeLessThanOrEqual(300);
          // The subscription identifier is the receiving node's, not carried over.
          expect(props.subscriptionIdentifier).toBe(subscriptionId);
        }
      } finally {
        await endAll(onB, onC, pub);
      }
    });

    it('user properties keep their order across nodes (repeated keys included)', async () => {
      const topic = `fan/${unique('userprops')}`;
      const onB = await connectTo(B(), 'ws', v5());
      const pub = await connectTo(A(), 'ws', v5());
      try {
        await onB.client.subscribeAsync(topic, { qos: 0 });
        await pub.client.publishAsync(topic, 'x', {
          qos: 1,
          properties: { userProperties: { z: ['1', '2', '3'], a: 'last' } },
        });
        await onB.take(1, 3000);
        expect(onB.publishes[0].properties?.userProperties).toEqual({ z: ['1', '2', '3'], a: 'last' });
      } finally {
        await endAll(onB, pub);
      }
    });

    it('wildcard subscriptions on B and C match publishes from A', async () => {
      const base = `wild/${unique('w')}`;
      const plusOnB = await connectTo(B(), 'tcp', v4());
      const hashOnC = await connectTo(C(), 'ws', v5());
      const pub = await connectTo(A(), 'tcp', v5());
      try {
        await plusOnB.client.subscribeAsync(`${base}/+/temp`, { qos: 1 });
        await hashOnC.client.subscribeAsync(`${base}/#`, { qos: 1 });
        await pub.client.publishAsync(`${base}/k1/temp`, 't1', { qos: 1 });
        await pub.client.publishAsync(`${base}/k2/hum`, 'h2', { qos: 1 });
        await pub.client.publishAsync(`${base}/k3/temp/deep`, 'd3', { qos: 1 });
        await pub.client.publishAsync(`${base}`, 'parent', { qos: 1 });
        const atC = await hashOnC.take(4, 3000);
        // Order is kept per topic (the log is sharded by topic), not across topics: four
        // topics may arrive in any order, so compare them sorted.
        const byTopic = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
        expect(atC.map((m) => [m.topic, m.payload.toString()]).sort(byTopic)).toEqual(
          [
            [`${base}/k1/temp`, 't1'],
            [`${base}/k2/hum`, 'h2'],
            [`${base}/k3/temp/deep`, 'd3'],
            [base, 'parent'], // '#' also matches the parent level [MQTT-4.7.1-2]
          ].sort(byTopic),
        );
        const atB = await plusOnB.take(1, 3000);
        expect(atB.map((m) => [m.topic, m.payload.toString()])).toEqual([[`${base}/k1/temp`, 't1']]);
        await expectNoMore(plusOnB, 1);
        await expectNoMore(hashOnC, 4, 0);
      } finally {
        await endAll(plusOnB, hashOnC, pub);
      }
    });

    it('a 3.1.1 subscriber on B gets a 5.0 publisher’s message from A (and the other way round)', async () => {
      const topic = `fan/${unique('mixed')}`;
      const old = await connectTo(B(), 'tcp', v4());
      const modern = await connectTo(C(), 'ws', v5());
      const pub5 = await connectTo(A(), 'tcp', v5());
      const pub4 = await connectTo(A(), 'ws', v4());
      try {
        await old.client.subscribeAsync(topic, { qos: 2 });
        await modern.client.subscribeAsync(topic, { qos: 2 });
        await pub5.client.publishAsync(topic, 'from-5', {
          qos: 2,
          properties: { userProperties: { k: 'v' }, contentType: 'text/plain' },
        });
        await pub4.client.publishAsync(topic, 'from-4', { qos: 1 });
        // Two publishers: no order between them is promised (and MQTT.js reports a QoS 2
        // message only at PUBREL), so compare by payload.
        const byPayload = <T extends { payload: Buffer | string }>(list: T[]) =>
          [...list].sort((x, y) => x.payload.toString().localeCompare(y.payload.toString()));
        const atOld = byPayload(await old.take(2, 3000));
        expect(atOld.map((m) => [m.payload.toString(), m.qos])).toEqual([
          ['from-4', 1],
          ['from-5', 2],
        ]);
        expect(old.publishes.every((p) => p.properties === undefined)).toBe(true);
        const atModern = byPayload(await modern.take(2, 3000));
        expect(atModern.map((m) => m.payload.toString())).toEqual(['from-4', 'from-5']);
        const [from4, from5] = byPayload(modern.publishes);
        expect(from5.properties?.contentType).toBe('text/plain');
        expect(from4.properties?.userProperties).toBeUndefined();
      } finally {
        await endAll(old, modern, pub5, pub4);
      }
    });
  });

  describe('retained messages across nodes', () => {
    it('a retained message set on A is delivered on subscribe at B and C, right after its PUBACK', async () => {
      const topic = `ret/${unique('r')}/state`;
      const pub = await connectTo(A(), 'tcp', v5());
      try {
        await pub.client.publishAsync(topic, 'on', { qos: 1, retain: true });
        // No settling time: the PUBACK says it is stored, so any node must serve it now.
        const onB = await connectTo(B(), 'ws', v4());
        const onC = await connectTo(C(), 'tcp', v5());
        try {
          await Promise.all([
            onB.client.subscribeAsync(topic, { qos: 1 }),
            onC.client.subscribeAsync(topic.replace(/\/state$/, '/+'), { qos: 1 }),
          ]);
          for (const sub of [onB, onC]) {
            const [m] = await sub.take(1, 3000);
            expect(m.topic).toBe(topic);
            expect(m.payload.toString()).toBe('on');
            expect(m.retain).toBe(true);
          }
        } finally {
          await endAll(onB, onC);
        }
      } finally {
        await endAll(pub);
      }
    });

    it('a retained message set on A and settled is delivered on subscribe at B and C (exact and wildcard)', async () => {
      const base = `ret/${unique('settled')}`;
      const topic = `${base}/state`;
      const pub = await connectTo(A(), 'ws', v4());
      try {
        await pub.client.publishAsync(topic, 'on', { qos: 1, retain: true });
        await sleep(300); // every node has read the log entry by now
        const onB = await connectTo(B(), 'tcp', v5());
        const onC = await connectTo(C(), 'ws', v4());
        try {
          await onB.client.subscribeAsync(topic, { qos: 1 });
          await onC.client.subscribeAsync(`${base}/#`, { qos: 0 });
          const [atB] = await onB.take(1, 3000);
          expect([atB.topic, atB.payload.toString(), atB.retain, atB.qos]).toEqual([topic, 'on', true, 1]);
          const [atC] = await onC.take(1, 3000);
          expect([atC.topic, atC.payload.toString(), atC.retain, atC.qos]).toEqual([topic, 'on', true, 0]);
        } finally {
          await endAll(onB, onC);
        }
      } finally {
        await endAll(pub);
      }
    });

    it('an empty retained payload on A clears it: a new subscriber on C gets nothing', async () => {
      const topic = `ret/${unique('clear')}/state`;
      const pub = await connectTo(A(), 'tcp', v5());
      try {
        await pub.client.publishAsync(topic, 'on', { qos: 1, retain: true });
        await sleep(200);
        await pub.client.publishAsync(topic, '', { qos: 1, retain: true });
        const onC = await connectTo(C(), 'tcp', v5());
        const onCWild = await connectTo(C(), 'ws', v4());
        const onB = await connectTo(B(), 'ws', v4());
        try {
          await onC.client.subscribeAsync(topic, { qos: 1 });
          await onCWild.client.subscribeAsync(topic.replace(/\/state$/, '/#'), { qos: 1 });
          await onB.client.subscribeAsync(topic, { qos: 1 });
          await sleep(500);
          expect(onC.messages).toEqual([]);
          expect(onCWild.messages).toEqual([]);
          expect(onB.messages).toEqual([]);
        } finally {
          await endAll(onC, onCWild, onB);
        }
      } finally {
        await endAll(pub);
      }
    });
  });
});
