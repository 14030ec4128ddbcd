// The will message on the wire (MQTT 3.1.1 §3.1.2.5-§3.1.2.7, §3.14.4): published with its
// QoS and retain flag when a connection ends without DISCONNECT (socket lost, protocol
// error, keep-alive timeout), discarded after a clean DISCONNECT, and an invalid will topic
// refuses the connection.
import { connectClient, type ReceivedMessage, type TestClient, waitFor } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { connectBytes, RawClient, rawConnect } from './helpers/raw-client.js';
import { protocolLevels, transports, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

let counter = 0;

/**
 * Waits for a message on `markerTopic`; returns every message received before it. The
 * marker arrives at QoS 2, last (MQTT.js emits QoS 2 messages only at PUBREL).
 */
async function before(sub: TestClient, markerTopic: string): Promise<ReceivedMessage[]> {
  await waitFor(() => sub.messages.some((m) => m.topic === markerTopic), 3000, `marker on ${markerTopic}`);
  return sub.messages.slice(
    0,
    sub.messages.findIndex((m) => m.topic === markerTopic),
  );
}

describe.each(transports)('will over %s', (transport) => {
  describe.each(protocolLevels)('at MQTT $name', ({ options }) => {
    const v = options.protocolVersion;
    const uid = (tag: string) => `${tag}-${transport}-${v}-${++counter}`;
    const connect = (tag: string, extra = {}) =>
      connectClient(urlFor(node(), transport), { ...options, clientId: uid(tag), ...extra });

    /** A subscriber at QoS 2 on `topic`, so a will arrives at the will's own QoS. */
    async function watch(topic: string): Promise<TestClient> {
      const sub = await connect('watch');
      await sub.client.subscribeAsync(topic, { qos: 2 });
      return sub;
    }

    it.each([0, 1, 2] as const)(
      '[MQTT-3.1.2-8] [MQTT-3.1.2-16] a QoS %i will is published, not retained, when the socket is lost',
      async (qos) => {
        const topic = `will/${uid('lost')}`;
        const sub = await watch(topic);
        const willer = await connect('willer', {
          will: { topic, payload: Buffer.from('gone'), qos, retain: false },
        });
        willer.client.stream.destroy();
        const [m] = await sub.take();
        expect([m.topic, m.payload.toString(), m.qos, m.retain]).toEqual([topic, 'gone', qos, false]);
        // A non-retained will is not kept for later subscribers.
        const late = await watch(`${topic}/#`);
        const marker = `${topic}/marker`;
        const pub = await connect('pub');
        await pub.client.publishAsync(marker, 'end', { qos: 2 });
        expect(await before(late, marker)).toEqual([]);
        await Promise.all([sub.end(), late.end(), pub.end(), willer.end(true)]);
      },
    );

    it('[MQTT-3.1.2-17] a will with retain 1 is published as a retained message', async () => {
      const topic = `will/${uid('retained')}`;
      const sub = await watch(topic);
      const willer = await connect('willer', {
        will: { topic, payload: Buffer.from('last words'), qos: 1, retain: true },
      });
      willer.client.stream.destroy();
      const [live] = await sub.take();
      expect([live.payload.toString(), live.qos]).toEqual(['last words', 1]);
      const late = await watch(topic);
      const [kept] = await late.take();
      expect([kept.topic, kept.payload.toString(), kept.qos, kept.retain]).toEqual([
        topic,
        'last words',
        1,
        true,
      ]);
      await Promise.all([sub.end(), late.end(), willer.end(true)]);
    });

    it('[MQTT-3.14.4-3] no will is published after a clean DISCONNECT', async () => {
      const topic = `will/${uid('clean')}`;
      const marker = `${topic}-marker`;
      const sub = await watch(topic);
      await sub.client.subscribeAsync(marker, { qos: 2 });
      const pub = await connect('pub');
      const openBefore = node().status().connections;
      const willer = await connect('willer', {
        will: { topic, payload: Buffer.from('no'), qos: 1, retain: true },
      });
      await willer.end(); // sends DISCONNECT
      await waitFor(() => node().status().connections === openBefore, 3000, 'the willer connection to end');
      await pub.client.publishAsync(marker, 'end', { qos: 2 });
      expect(await before(sub, marker)).toEqual([]);
      // Nor was it retained.
      const late = await watch(`${topic}/#`);
      await pub.client.publishAsync(`${topic}/marker`, 'end', { qos: 2 });
      expect(await before(late, `${topic}/marker`)).toEqual([]);
      await Promise.all([sub.end(), late.end(), pub.end()]);
    });

    it('[MQTT-3.1.2-8] the will is published when the server closes the connection for a protocol error', async () => {
      const topic = `will/${uid('error')}`;
      const sub = await watch(topic);
      const { raw, connack } = await rawConnect(node(), transport, v, {
        clientId: uid('raw'),
        will: { topic, payload: 'broke the rules', qos: 1 },
      });
      expect(connack.returnCode).toBe(0);
      // [MQTT-3.3.2-2] a PUBLISH topic name must not hold wildcards.
      raw.send({ cmd: 'publish', topic: 'a/+', payload: 'x', qos: 0, retain: false, dup: false });
      expect(await raw.waitClosed()).toBe(true);
      const [m] = await sub.take();
      expect([m.topic, m.payload.toString(), m.qos]).toEqual([topic, 'broke the rules', 1]);
      await sub.end();
    });

    it('[MQTT-3.1.2-24] the will is published when keep-alive runs out', async () => {
      const topic = `will/${uid('keepalive')}`;
      const sub = await watch(topic);
      const startedAtMs = Date.now();
      const { raw, connack } = await rawConnect(node(), transport, v, {
        clientId: uid('raw'),
        keepalive: 1,
        will: { topic, payload: 'timed out', qos: 1 },
      });
      expect(connack.returnCode).toBe(0);
      const [m] = await sub.take(1, 3000);
      expect([m.topic, m.payload.toString(), m.qos]).toEqual([topic, 'timed out', 1]);
      // Not before one and a half keep-alives.
      expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(1400);
      expect(await raw.waitClosed(500)).toBe(true);
      await sub.end();
    });

    it.each(['a/#', 'a/+', ''])(
      '[MQTT-4.7.0-1] [MQTT-4.7.3-1] an invalid will topic %j refuses the connection',
      async (willTopic) => {
        const raw = await RawClient.open(node(), transport, v);
        raw.sendBytes(
          connectBytes({ clientId: uid('badwill'), level: v, will: { topic: willTopic, payload: 'x' } }),
        );
        expect(await raw.waitClosed()).toBe(true);
        expect(raw.received.filter((p) => p.cmd === 'connack' && p.returnCode === 0)).toEqual([]);
      },
    );
  });
});
