// Persistent sessions on the wire: what a clean-session-0 client gets back after a
// disconnect (subscriptions, queued QoS 1/2 messages, unfinished exchanges), what clean
// session 1 throws away, and what happens when a second connection claims the client id.
import { connectClient, sleep, type TestClient, waitFor } from '@edgemq/testkit';
import type { IClientOptions, IConnackPacket } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { rawConnect } from './helpers/raw-client.js';
import {
  protocolLevels,
  type TransportName,
  transports,
  unique,
  urlFor,
  useTestNode,
} from './helpers/test-node.js';

const node = useTestNode();
const smallQueueNode = useTestNode({ mqtt: { maxQueuedMessages: 10 } });

/** The session-present flag of the CONNACK MQTT.js received (kept on a private field). */
const sessionPresent = (c: TestClient) =>
  (c.client as unknown as { connackPacket: IConnackPacket }).connackPacket.sessionPresent;

const payloads = (c: TestClient) => c.messages.map((m) => m.payload.toString());

describe.each(transports)('sessions over %s', (transport) => {
  describe.each(protocolLevels)('MQTT $name', ({ options }) => {
    const version = options.protocolVersion;
    const url = () => urlFor(node(), transport);
    const connect = (clientId: string, extra: IClientOptions = {}) =>
      connectClient(url(), { ...options, clientId, ...extra });

    it('[MQTT-3.1.2-4] [MQTT-3.2.2-2] clean session 0 keeps subscriptions across a disconnect', async () => {
      const id = unique('keep-sub');
      const topic = `sess/${id}`;
      const first = await connect(id, { clean: false });
      expect(sessionPresent(first)).toBe(false);
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();

      const again = await connect(id, { clean: false });
      expect(sessionPresent(again)).toBe(true);
      const pub = await connect(unique('pub'));
      await pub.client.publishAsync(topic, 'after-reconnect', { qos: 1 });
      const [m] = await again.take(1);
      expect(m.topic).toBe(topic);
      expect(m.payload.toString()).toBe('after-reconnect');
      await Promise.all([again.end(), pub.end()]);
    });

    it('[MQTT-3.1.2-5] [MQTT-4.6.0-6] QoS 1 and 2 messages published while offline arrive on reconnect, in order', async () => {
      // A raw subscriber sees the PUBLISH order on the wire (MQTT.js emits a QoS 2
      // message only at PUBREL, which reorders it behind later QoS 1 ones).
      const id = unique('offline-q12');
      const topic = `sess/${id}`;
      const { raw: first } = await rawConnect(node(), transport, version, { clientId: id, clean: false });
      expect((await first.subscribe([{ topic, qos: 2 }])).granted).toEqual([2]);
      first.send({ cmd: 'disconnect' });
      expect(await first.waitClosed()).toBe(true);

      const pub = await connect(unique('pub'));
      const sent = [
        { body: 'm1', qos: 1 },
        { body: 'm2', qos: 2 },
        { body: 'm3', qos: 1 },
        { body: 'm4', qos: 2 },
        { body: 'm5', qos: 2 },
        { body: 'm6', qos: 1 },
      ] as const;
      for (const { body, qos } of sent) await pub.client.publishAsync(topic, body, { qos });

      const { raw: sub, connack } = await rawConnect(node(), transport, version, {
        clientId: id,
        clean: false,
      });
      expect(connack.sessionPresent).toBe(true);
      sub.autoAck = true;
      const got = [];
      for (let i = 0; i < sent.length; i++) {
        let p = await sub.next();
        while (p.cmd === 'pubrel') p = await sub.next();
        got.push(p);
      }
      expect(got.map((p) => p.cmd)).toEqual(sent.map(() => 'publish'));
      const publishes = got as IPublishPacket[];
      expect(publishes.map((p) => p.payload.toString())).toEqual(sent.map((s) => s.body));
      expect(publishes.map((p) => p.qos)).toEqual(sent.map((s) => s.qos));
      const late = await sub.takeFor(200);
      expect(late.filter((p) => p.cmd === 'publish')).toEqual([]);
      await Promise.all([sub.destroy(), pub.end()]);
    });

    it('[MQTT-3.1.2-5] QoS 0 messages published while offline are not kept', async () => {
      const id = unique('offline-q0');
      const topic = `sess/${id}`;
      const first = await connect(id, { clean: false });
      await first.client.subscribeAsync(topic, { qos: 2 });
      await first.end();

      const pub = await connect(unique('pub'));
      await pub.client.publishAsync(topic, 'qos0-a', { qos: 0 });
      await pub.client.publishAsync(topic, 'qos1-marker', { qos: 1 });
      await pub.client.publishAsync(topic, 'qos0-b', { qos: 0 });
      await pub.client.publishAsync(topic, 'qos2-marker', { qos: 2 });

      const again = await connect(id, { clean: false });
      await again.take(2);
      await sleep(200);
      expect(payloads(again)).toEqual(['qos1-marker', 'qos2-marker']);
      await Promise.all([again.end(), pub.end()]);
    });

    it('[MQTT-3.1.2-6] [MQTT-3.2.2-1] clean session 1 discards a previous clean-0 session', async () => {
      const id = unique('discard');
      const topic = `sess/${id}/old`;
      const first = await connect(id, { clean: false });
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();

      const pub = await connect(unique('pub'));
      await pub.client.publishAsync(topic, 'queued-while-offline', { qos: 1 });

      const fresh = await connect(id, { clean: true });
      expect(sessionPresent(fresh)).toBe(false);
      // The old subscription is gone: a message on its topic, followed by one on a new
      // subscription, must leave only the second.
      const control = `sess/${id}/control`;
      await fresh.client.subscribeAsync(control, { qos: 1 });
      await pub.client.publishAsync(topic, 'to-old-subscription', { qos: 1 });
      await pub.client.publishAsync(control, 'control', { qos: 1 });
      await fresh.take(1);
      await sleep(200);
      expect(payloads(fresh)).toEqual(['control']);
      await fresh.end();

      // Nothing of the old session came back either.
      const later = await connect(id, { clean: false });
      expect(sessionPresent(later)).toBe(false);
      await sleep(200);
      expect(later.messages).toEqual([]);
      await Promise.all([later.end(), pub.end()]);
    });

    it('[MQTT-4.4.0-1] [MQTT-3.3.1-1] an unacknowledged QoS 1 message is re-sent with DUP=1 on reconnect', async () => {
      const id = unique('dup');
      const topic = `sess/${id}`;
      const { raw: sub1, connack } = await rawConnect(node(), transport, version, {
        clientId: id,
        clean: false,
      });
      expect(connack.returnCode).toBe(0);
      expect((await sub1.subscribe([{ topic, qos: 1 }])).granted).toEqual([1]);

      const pub = await connect(unique('pub'));
      await pub.client.publishAsync(topic, 'ack-me-later', { qos: 1 });
      const original = await sub1.expect('publish');
      expect(original.qos).toBe(1);
      expect(original.dup).toBe(false);
      await sub1.destroy(); // no PUBACK

      const { raw: sub2, connack: connack2 } = await rawConnect(node(), transport, version, {
        clientId: id,
        clean: false,
      });
      expect(connack2.sessionPresent).toBe(true);
      const resent = await sub2.expect('publish');
      expect(resent.dup).toBe(true);
      expect(resent.qos).toBe(1);
      expect(resent.messageId).toBe(original.messageId);
      expect(resent.topic).toBe(topic);
      expect(resent.payload.toString()).toBe('ack-me-later');
      sub2.send({ cmd: 'puback', messageId: resent.messageId });

      // Once acknowledged it is done: a new message flows, and nothing is re-sent again.
      await pub.client.publishAsync(topic, 'next', { qos: 1 });
      const next = await sub2.expect('publish');
      expect(next.payload.toString()).toBe('next');
      expect(next.dup).toBe(false);
      sub2.send({ cmd: 'puback', messageId: next.messageId });
      sub2.send({ cmd: 'disconnect' });
      expect(await sub2.waitClosed()).toBe(true);

      const { raw: sub3 } = await rawConnect(node(), transport, version, { clientId: id, clean: false });
      expect(await sub3.takeFor(200)).toEqual([]);
      await Promise.all([sub3.destroy(), pub.end()]);
    });

    it('[MQTT-4.4.0-1] [MQTT-4.3.3-1] an outbound QoS 2 exchange cut after PUBREC resumes with PUBREL, delivered once', async () => {
      const id = unique('qos2-out');
      const topic = `sess/${id}`;
      const { raw: sub1 } = await rawConnect(node(), transport, version, { clientId: id, clean: false });
      expect((await sub1.subscribe([{ topic, qos: 2 }])).granted).toEqual([2]);

      const pub = await connect(unique('pub'));
      await pub.client.publishAsync(topic, 'exactly-once', { qos: 2 });
      const publish = await sub1.expect('publish');
      expect(publish.qos).toBe(2);
      sub1.send({ cmd: 'pubrec', messageId: publish.messageId });
      const pubrel = await sub1.expect('pubrel');
      expect(pubrel.messageId).toBe(publish.messageId);
      await sub1.destroy(); // no PUBCOMP

      const { raw: sub2, connack } = await rawConnect(node(), transport, version, {
        clientId: id,
        clean: false,
      });
      expect(connack.sessionPresent).toBe(true);
      // The PUBREL comes again, never the PUBLISH.
      const again = await sub2.expect('pubrel');
      expect(again.messageId).toBe(publish.messageId);
      sub2.send({ cmd: 'pubcomp', messageId: again.messageId });

      sub2.autoAck = true;
      await pub.client.publishAsync(topic, 'marker', { qos: 2 });
      const marker = await sub2.expect('publish');
      expect(marker.payload.toString()).toBe('marker');
      expect((await sub2.expect('pubrel')).messageId).toBe(marker.messageId);
      expect(await sub2.takeFor(200)).toEqual([]);
      sub2.send({ cmd: 'disconnect' });
      expect(await sub2.waitClosed()).toBe(true);

      // The exchange is finished: a further reconnect brings nothing back.
      const { raw: sub3 } = await rawConnect(node(), transport, version, { clientId: id, clean: false });
      expect(await sub3.takeFor(200)).toEqual([]);
      await Promise.all([sub3.destroy(), pub.end()]);
    });

    it('[MQTT-4.3.3-2] [MQTT-4.4.0-1] an inbound QoS 2 PUBLISH re-sent after reconnect reaches subscribers once', async () => {
      const id = unique('qos2-in');
      const topic = `sess/${id}`;
      const sub = await connect(unique('sub'));
      await sub.client.subscribeAsync(topic, { qos: 2 });

      const packetId = 4242;
      const publish = {
        cmd: 'publish',
        topic,
        payload: Buffer.from('only-once'),
        qos: 2,
        messageId: packetId,
        dup: false,
        retain: false,
      } as const;
      const { raw: p1 } = await rawConnect(node(), transport, version, { clientId: id, clean: false });
      p1.send(publish);
      expect((await p1.expect('pubrec')).messageId).toBe(packetId);
      await p1.destroy(); // no PUBREL

      const { raw: p2, connack } = await rawConnect(node(), transport, version, {
        clientId: id,
        clean: false,
      });
      expect(connack.sessionPresent).toBe(true);
      p2.send({ ...publish, dup: true });
      expect((await p2.expect('pubrec')).messageId).toBe(packetId);
      p2.send({ cmd: 'pubrel', messageId: packetId });
      expect((await p2.expect('pubcomp')).messageId).toBe(packetId);
      p2.send({ cmd: 'publish', topic, payload: Buffer.from('marker'), qos: 0, dup: false, retain: false });

      await sub.take(2);
      await sleep(200);
      expect(payloads(sub)).toEqual(['only-once', 'marker']);
      await Promise.all([p2.destroy(), sub.end()]);
    });

    it('[MQTT-3.1.4-2] a second CONNECT with the same client id closes the first; the clean-0 session continues', async () => {
      const id = unique('takeover');
      const topic = `sess/${id}`;
      const first = await connect(id, { clean: false });
      let firstClosed = false;
      first.client.on('close', () => {
        firstClosed = true;
      });
      await first.client.subscribeAsync(topic, { qos: 1 });

      const second = await connect(id, { clean: false });
      expect(sessionPresent(second)).toBe(true);
      await waitFor(() => firstClosed, 3000, 'the first connection to be closed');

      const pub = await connect(unique('pub'));
      await pub.client.publishAsync(topic, 'to-the-new-connection', { qos: 1 });
      const [m] = await second.take(1);
      expect(m.payload.toString()).toBe('to-the-new-connection');
      expect(first.messages).toEqual([]);
      await Promise.all([first.end(true), second.end(), pub.end()]);
    });

    it('[MQTT-3.1.4-2] takeover of a clean-1 session: the first is closed, the second works', async () => {
      const id = unique('takeover-clean');
      const topic = `sess/${id}`;
      const first = await connect(id);
      let firstClosed = false;
      first.client.on('close', () => {
        firstClosed = true;
      });
      const second = await connect(id);
      expect(sessionPresent(second)).toBe(false);
      await waitFor(() => firstClosed, 3000, 'the first connection to be closed');

      await second.client.subscribeAsync(topic, { qos: 1 });
      await second.client.publishAsync(topic, 'self', { qos: 1 });
      const [m] = await second.take(1);
      expect(m.payload.toString()).toBe('self');
      await Promise.all([first.end(true), second.end()]);
    });
  });
});

describe.each(transports)('bounded offline queue over %s', (transport) => {
  it.each(protocolLevels)(
    '[MQTT-3.1.2-5] at MQTT $name the newest maxQueuedMessages (10) of 25 are kept; 15 counted as dropped',
    async ({ options }) => {
      const url = urlFor(smallQueueNode(), transport);
      const id = unique('bounded');
      const topic = `sess/${id}`;
      const first = await connectClient(url, { ...options, clientId: id, clean: false });
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();

      const before = smallQueueNode().status().counters.droppedQueueOverflow;
      const pub = await connectClient(url, { ...options, clientId: unique('pub') });
      for (let i = 0; i < 25; i++) await pub.client.publishAsync(topic, `n${i}`, { qos: 1 });
      await waitFor(
        () => smallQueueNode().status().counters.droppedQueueOverflow - before === 15,
        3000,
        'droppedQueueOverflow to count 15',
      );

      const again = await connectClient(url, { ...options, clientId: id, clean: false });
      await pub.client.publishAsync(topic, 'live', { qos: 1 });
      await again.take(11);
      await sleep(200);
      const expected = Array.from({ length: 10 }, (_, i) => `n${i + 15}`);
      expect(payloads(again)).toEqual([...expected, 'live']);
      expect(smallQueueNode().status().counters.droppedQueueOverflow - before).toBe(15);
      await Promise.all([again.end(), pub.end()]);
    },
  );
});

const crossings: [TransportName, TransportName][] = [
  ['ws', 'tcp'],
  ['tcp', 'ws'],
];

describe.each(crossings)('takeover from %s to %s', (from, to) => {
  it.each(protocolLevels)(
    '[MQTT-3.1.4-2] at MQTT $name the session moves to the new transport',
    async ({ options }) => {
      const id = unique('cross');
      const topic = `sess/${id}`;
      const first = await connectClient(urlFor(node(), from), { ...options, clientId: id, clean: false });
      let firstClosed = false;
      first.client.on('close', () => {
        firstClosed = true;
      });
      await first.client.subscribeAsync(topic, { qos: 1 });

      const second = await connectClient(urlFor(node(), to), { ...options, clientId: id, clean: false });
      expect(sessionPresent(second)).toBe(true);
      await waitFor(() => firstClosed, 3000, 'the first connection to be closed');

      const pub = await connectClient(urlFor(node(), from), { ...options, clientId: unique('pub') });
      await pub.client.publishAsync(topic, 'moved', { qos: 1 });
      const [m] = await second.take(1);
      expect(m.payload.toString()).toBe('moved');
      expect(first.messages).toEqual([]);
      await Promise.all([first.end(true), second.end(), pub.end()]);
    },
  );
});
