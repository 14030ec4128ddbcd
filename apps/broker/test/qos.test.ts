// QoS 0/1/2 on the wire (MQTT 3.1.1 §4.3, §3.4-§3.7): delivered QoS is the lower of the
// published and granted QoS, the acknowledgement flows in both directions with matching
// packet ids, QoS 2 exactly-once on re-sent PUBLISHes, and the in-flight window towards a
// subscriber that does not acknowledge. Raw clients check packet ids and withhold acks.
import { connectClient, type ReceivedMessage, sleep, type TestClient, waitFor } from '@edgemq/testkit';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { type RawClient, rawConnect } from './helpers/raw-client.js';
import { protocolLevels, transports, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

let counter = 0;

type QoS = 0 | 1 | 2;

/**
 * Waits for a message on `markerTopic`; returns every message received before it. MQTT.js
 * emits a QoS 2 message only at PUBREL, so when QoS 2 messages are expected the marker
 * must arrive at QoS 2 too, or it could overtake them.
 */
async function before(sub: TestClient, markerTopic: string): Promise<ReceivedMessage[]> {
  await waitFor(() => sub.messages.some((m) => m.topic === markerTopic), 3000, `marker on ${markerTopic}`);
  return sub.messages.slice(
    0,
    sub.messages.findIndex((m) => m.topic === markerTopic),
  );
}

async function rawSubscribe(raw: RawClient, topic: string, qos: QoS): Promise<void> {
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] });
  const suback = await raw.next('suback');
  expect(suback).toMatchObject({ messageId: 1, granted: [qos] });
}

const publishPacket = (topic: string, payload: string, qos: QoS, messageId?: number, dup = false): Packet =>
  ({ cmd: 'publish', topic, payload, qos, retain: false, dup, messageId }) as Packet;

describe.each(transports)('QoS over %s', (transport) => {
  describe.each(protocolLevels)('at MQTT $name', ({ options }) => {
    const v = options.protocolVersion;
    const uid = (tag: string) => `${tag}-${transport}-${v}-${++counter}`;
    const connect = (tag: string) =>
      connectClient(urlFor(node(), transport), { ...options, clientId: uid(tag) });

    it.each([0, 1, 2] as const)(
      '[MQTT-3.8.4-6] a QoS %i publish reaches subscribers granted 0, 1 and 2 at min(published, granted)',
      async (published) => {
        // One topic shared by all three subscribers, and one topic each: a lone match and
        // several matches take different routes through the broker.
        const base = `qos/${uid('min')}`;
        const subs = [await connect('s0'), await connect('s1'), await connect('s2')];
        for (const [granted, sub] of subs.entries()) {
          const qos = granted as QoS;
          const grants = await sub.client.subscribeAsync({
            [`${base}/all`]: { qos },
            [`${base}/only${qos}`]: { qos },
          });
          expect(grants.map((g) => g.qos)).toEqual([granted, granted]);
        }
        const pub = await connect('pub');
        await pub.client.publishAsync(`${base}/all`, `q${published}`, { qos: published });
        for (const granted of [0, 1, 2]) {
          await pub.client.publishAsync(`${base}/only${granted}`, `q${published}`, { qos: published });
        }
        for (const [granted, sub] of subs.entries()) {
          const got = await sub.take(2);
          const expected = Math.min(published, granted);
          expect(got.map((m) => [m.topic, m.payload.toString(), m.qos]).sort()).toEqual([
            [`${base}/all`, `q${published}`, expected],
            [`${base}/only${granted}`, `q${published}`, expected],
          ]);
        }
        await Promise.all([...subs, pub].map((c) => c.end()));
      },
    );

    it('[MQTT-4.3.2-4] a QoS 1 PUBLISH gets PUBACK with its packet id', async () => {
      const { raw } = await rawConnect(node(), transport, v, { clientId: uid('raw') });
      raw.send(publishPacket(`qos/${uid('p1')}`, 'x', 1, 4711));
      expect(await raw.next('puback')).toMatchObject({ cmd: 'puback', messageId: 4711 });
      await raw.end();
    });

    it('[MQTT-4.3.3-9] [MQTT-4.3.3-11] a QoS 2 PUBLISH gets PUBREC, and its PUBREL gets PUBCOMP, with its id', async () => {
      const topic = `qos/${uid('p2')}`;
      const sub = await connect('sub');
      await sub.client.subscribeAsync(topic, { qos: 2 });
      const { raw } = await rawConnect(node(), transport, v, { clientId: uid('raw') });
      raw.send(publishPacket(topic, 'two', 2, 4242));
      expect(await raw.next('pubrec')).toMatchObject({ cmd: 'pubrec', messageId: 4242 });
      raw.send({ cmd: 'pubrel', messageId: 4242 });
      expect(await raw.next('pubcomp')).toMatchObject({ cmd: 'pubcomp', messageId: 4242 });
      const [m] = await sub.take();
      expect([m.payload.toString(), m.qos]).toEqual(['two', 2]);
      await Promise.all([raw.end(), sub.end()]);
    });

    it('[MQTT-4.3.3-10] a QoS 2 PUBLISH re-sent (DUP) before PUBREL is delivered once', async () => {
      const topic = `qos/${uid('dup')}`;
      const marker = `${topic}/marker`;
      const sub = await connect('sub');
      await sub.client.subscribeAsync([topic, marker], { qos: 2 });
      const { raw } = await rawConnect(node(), transport, v, { clientId: uid('raw') });
      raw.send(publishPacket(topic, 'once', 2, 7));
      expect(await raw.next('pubrec')).toMatchObject({ messageId: 7 });
      raw.send(publishPacket(topic, 'once', 2, 7, true));
      expect(await raw.next('pubrec')).toMatchObject({ messageId: 7 });
      raw.send({ cmd: 'pubrel', messageId: 7 });
      expect(await raw.next('pubcomp')).toMatchObject({ messageId: 7 });
      raw.send(publishPacket(marker, 'end', 2, 8));
      await raw.next('pubrec');
      raw.send({ cmd: 'pubrel', messageId: 8 });
      await raw.next('pubcomp');
      expect((await before(sub, marker)).map((m) => m.payload.toString())).toEqual(['once']);

      // [MQTT-4.3.3-12] after PUBCOMP the same id is a new publication.
      raw.send(publishPacket(topic, 'again', 2, 7));
      expect(await raw.next('pubrec')).toMatchObject({ messageId: 7 });
      raw.send({ cmd: 'pubrel', messageId: 7 });
      await raw.next('pubcomp');
      await waitFor(() => sub.messages.some((m) => m.payload.toString() === 'again'), 3000, "'again'");
      await Promise.all([raw.end(), sub.end()]);
    });

    it('[MQTT-4.3.3-11] a PUBREL for an unknown packet id still gets PUBCOMP', async () => {
      const { raw } = await rawConnect(node(), transport, v, { clientId: uid('raw') });
      raw.send({ cmd: 'pubrel', messageId: 999 });
      expect(await raw.next('pubcomp')).toMatchObject({ cmd: 'pubcomp', messageId: 999 });
      expect(raw.closed).toBe(false);
      await raw.end();
    });

    it('[MQTT-4.3.3-2] [MQTT-4.3.3-4] server to client QoS 2: PUBLISH, PUBREC, PUBREL, PUBCOMP', async () => {
      const topic = `qos/${uid('out2')}`;
      const { raw } = await rawConnect(node(), transport, v, { clientId: uid('raw') });
      await rawSubscribe(raw, topic, 2);
      const pub = await connect('pub');
      await pub.client.publishAsync(topic, 'exactly-once', { qos: 2 });
      const publish = await raw.next('publish');
      expect(publish).toMatchObject({ topic, qos: 2, dup: false });
      expect(publish.payload.toString()).toBe('exactly-once');
      expect(publish.messageId).toBeGreaterThan(0);
      raw.send({ cmd: 'pubrec', messageId: publish.messageId });
      // The parser refuses a PUBREL without the 0010 header flags [MQTT-3.6.1-1].
      expect(await raw.next('pubrel')).toMatchObject({ cmd: 'pubrel', messageId: publish.messageId });
      raw.send({ cmd: 'pubcomp', messageId: publish.messageId });
      await sleep(200);
      // Done: nothing re-sent [MQTT-4.3.3-6], no second copy.
      expect(raw.untaken()).toEqual([]);
      expect(raw.decodeErrors).toEqual([]);
      await Promise.all([raw.end(), pub.end()]);
    });

    it('[MQTT-2.3.1-1] [MQTT-4.3.2-1] server packet ids are non-zero and distinct while in flight', async () => {
      const topic = `qos/${uid('ids')}`;
      const { raw } = await rawConnect(node(), transport, v, { clientId: uid('raw') });
      await rawSubscribe(raw, topic, 2);
      const pub = await connect('pub');
      // Never acknowledged, so all 20 stay in flight (the default window is 100).
      for (let i = 0; i < 20; i++) await pub.client.publishAsync(topic, String(i), { qos: i % 2 ? 1 : 2 });
      await waitFor(() => raw.untaken('publish').length === 20, 3000, '20 PUBLISHes');
      const ids = raw.untaken('publish').map((p) => (p as IPublishPacket).messageId ?? 0);
      expect(ids.every((id) => id > 0 && id <= 65535)).toBe(true);
      expect(new Set(ids).size).toBe(20);
      await Promise.all([raw.end(), pub.end()]);
    });
  });
});

describe('with maxInflight 5', () => {
  const small = useTestNode({ mqtt: { maxInflight: 5 } });

  describe.each(transports)('over %s', (transport) => {
    it.each(protocolLevels)(
      'a subscriber that does not ack QoS 1 has at most 5 PUBLISHes in flight, and gets the rest as it acks, at MQTT $name',
      async ({ options }) => {
        const v = options.protocolVersion;
        const id = `win-${transport}-${v}-${++counter}`;
        const topic = `qos/${id}`;
        const { raw } = await rawConnect(small(), transport, v, { clientId: `${id}-raw` });
        await rawSubscribe(raw, topic, 1);
        const pub = await connectClient(urlFor(small(), transport), { ...options, clientId: `${id}-pub` });
        const sent = Array.from({ length: 12 }, (_, i) => String(i));
        for (const p of sent) await pub.client.publishAsync(topic, p, { qos: 1 });

        const publishes = () => raw.received.filter((p): p is IPublishPacket => p.cmd === 'publish');
        const acked = new Set<IPublishPacket>();
        const settle = async (expected: number) => {
          await waitFor(() => publishes().length >= expected, 3000, `${expected} PUBLISHes`);
          await sleep(250); // room for any PUBLISH beyond the window to (wrongly) arrive
          expect(publishes().length).toBe(expected);
          // [MQTT-2.3.1-1] the ids of the un-acked PUBLISHes are non-zero and distinct.
          const inFlight = publishes()
            .filter((p) => !acked.has(p))
            .map((p) => p.messageId ?? 0);
          expect(inFlight.length).toBeLessThanOrEqual(5);
          expect(inFlight.every((packetId) => packetId > 0)).toBe(true);
          expect(new Set(inFlight).size).toBe(inFlight.length);
        };
        const ack = (packets: IPublishPacket[]) => {
          for (const p of packets) {
            acked.add(p);
            raw.send({ cmd: 'puback', messageId: p.messageId });
          }
        };

        await settle(5);
        ack(publishes().slice(0, 1));
        await settle(6); // one ack frees exactly one slot
        ack(publishes().slice(1, 6));
        await settle(11);
        ack(publishes().slice(6, 11));
        await settle(12);
        expect(publishes().map((p) => p.payload.toString())).toEqual(sent);
        await Promise.all([raw.end(), pub.end()]);
      },
    );
  });
});
