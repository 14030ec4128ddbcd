// Retained messages on the wire (MQTT 3.1.1 §3.3.1.3): kept per topic, sent to new
// subscribers with RETAIN 1, replaced by a newer one, cleared by an empty payload, found by
// wildcard filters (but not `$` topics by a leading wildcard), and delivered at the lower of
// the retained and granted QoS. A marker published after SUBSCRIBE proves what did not come:
// retained messages go out right after SUBACK, before any later live message.
import { connectClient, type ReceivedMessage, type TestClient, waitFor } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { protocolLevels, transports, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

let counter = 0;

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

const summary = (messages: ReceivedMessage[]) =>
  messages.map((m) => ({ topic: m.topic, payload: m.payload.toString(), qos: m.qos, retain: m.retain }));

describe.each(transports)('retained messages over %s', (transport) => {
  describe.each(protocolLevels)('at MQTT $name', ({ options }) => {
    const uid = (tag: string) => `${tag}-${transport}-${options.protocolVersion}-${++counter}`;
    const connect = (tag: string) =>
      connectClient(urlFor(node(), transport), { ...options, clientId: uid(tag) });

    /** Subscribes a new client to `filters`, then returns what it got before a marker. */
    async function retainedFor(filters: Record<string, { qos: 0 | 1 | 2 }>, marker: string) {
      const sub = await connect('late');
      await sub.client.subscribeAsync({ ...filters, [marker]: { qos: 2 } });
      const pub = await connect('marker');
      await pub.client.publishAsync(marker, 'end', { qos: 2 });
      const got = await before(sub, marker);
      await Promise.all([sub.end(), pub.end()]);
      return got;
    }

    it('[MQTT-3.3.1-8] a retained message goes to a new subscriber with RETAIN 1', async () => {
      const topic = `rt/${uid('new')}`;
      const pub = await connect('pub');
      await pub.client.publishAsync(topic, 'kept', { qos: 1, retain: true });
      await pub.end();
      expect(summary(await retainedFor({ [topic]: { qos: 1 } }, `${topic}/marker`))).toEqual([
        { topic, payload: 'kept', qos: 1, retain: true },
      ]);
    });

    it('[MQTT-3.3.1-9] live delivery of a retained publish to an existing subscriber has RETAIN 0', async () => {
      const topic = `rt/${uid('live')}`;
      const sub = await connect('sub');
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const pub = await connect('pub');
      await pub.client.publishAsync(topic, 'live', { qos: 1, retain: true });
      const [m] = await sub.take();
      expect([m.payload.toString(), m.retain]).toEqual(['live', false]);
      await Promise.all([sub.end(), pub.end()]);
      // It was retained all the same.
      const [late] = await retainedFor({ [topic]: { qos: 1 } }, `${topic}/marker`);
      expect([late.payload.toString(), late.retain]).toEqual(['live', true]);
    });

    it('[MQTT-3.3.1-5] a new retained message replaces the old one', async () => {
      const topic = `rt/${uid('replace')}`;
      const pub = await connect('pub');
      await pub.client.publishAsync(topic, 'old', { qos: 1, retain: true });
      await pub.client.publishAsync(topic, 'new', { qos: 1, retain: true });
      // A non-retained publish neither replaces nor clears it [MQTT-3.3.1-12].
      await pub.client.publishAsync(topic, 'not-retained', { qos: 1, retain: false });
      await pub.end();
      expect(summary(await retainedFor({ [topic]: { qos: 1 } }, `${topic}/marker`))).toEqual([
        { topic, payload: 'new', qos: 1, retain: true },
      ]);
    });

    it('[MQTT-3.3.1-10] [MQTT-3.3.1-11] an empty retained payload is delivered and clears the topic', async () => {
      const topic = `rt/${uid('clear')}`;
      const pub = await connect('pub');
      await pub.client.publishAsync(topic, 'soon-gone', { qos: 1, retain: true });
      const sub = await connect('sub');
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const [kept] = await sub.take();
      expect([kept.payload.toString(), kept.retain]).toEqual(['soon-gone', true]);
      await pub.client.publishAsync(topic, '', { qos: 1, retain: true });
      // Processed as normal for existing subscribers [MQTT-3.3.1-10]...
      const [empty] = await sub.take();
      expect([empty.payload.length, empty.retain]).toEqual([0, false]);
      await Promise.all([sub.end(), pub.end()]);
      // ...and nothing is retained any more [MQTT-3.3.1-11].
      expect(await retainedFor({ [topic]: { qos: 1 } }, `${topic}/marker`)).toEqual([]);
    });

    it('[MQTT-3.3.1-6] a wildcard subscribe gets every matching retained message', async () => {
      const base = `rt/${uid('wild')}`;
      const pub = await connect('pub');
      for (const topic of [base, `${base}/a`, `${base}/b/c`, `${base}x/a`, `other/${base}`]) {
        await pub.client.publishAsync(topic, topic, { qos: 1, retain: true });
      }
      await pub.end();
      const byTopic = (messages: ReceivedMessage[]) => messages.map((m) => [m.topic, m.retain]).sort();
      expect(byTopic(await retainedFor({ [`${base}/#`]: { qos: 1 } }, `${base}-marker`))).toEqual(
        [
          [base, true],
          [`${base}/a`, true],
          [`${base}/b/c`, true],
        ].sort(),
      );
      expect(byTopic(await retainedFor({ [`${base}/+`]: { qos: 1 } }, `${base}-marker`))).toEqual([
        [`${base}/a`, true],
      ]);
    });

    it('[MQTT-3.8.4-6] a retained message is delivered at min(retained QoS, granted QoS)', async () => {
      const base = `rt/${uid('minqos')}`;
      const pub = await connect('pub');
      await pub.client.publishAsync(`${base}/q0`, 'q0', { qos: 0, retain: true });
      await pub.client.publishAsync(`${base}/q1`, 'q1', { qos: 1, retain: true });
      await pub.client.publishAsync(`${base}/q2`, 'q2', { qos: 2, retain: true });
      await pub.end();
      for (const granted of [0, 1, 2] as const) {
        const got = await retainedFor({ [`${base}/+`]: { qos: granted } }, `${base}-marker`);
        expect(got.map((m) => [m.payload.toString(), m.qos, m.retain]).sort()).toEqual(
          [0, 1, 2].map((q) => [`q${q}`, Math.min(q, granted), true]),
        );
      }
    });

    it('[MQTT-4.7.2-1] retained $ topics are not returned for #, but are for their own filter', async () => {
      const id = uid('dollar');
      const dollarTopic = `$SYS${id}/x`;
      const pub = await connect('pub');
      await pub.client.publishAsync(dollarTopic, 'reserved', { qos: 1, retain: true });
      await pub.client.publishAsync(`rt/${id}`, 'plain', { qos: 1, retain: true });
      await pub.end();
      const viaHash = await retainedFor({ '#': { qos: 0 } }, `rt/${id}/marker`);
      // `#` sees the ordinary retained topic, so the filter did run over the store.
      expect(viaHash.map((m) => m.topic)).toContain(`rt/${id}`);
      expect(viaHash.filter((m) => m.topic.startsWith('$'))).toEqual([]);
      const viaPlus = await retainedFor({ '+/x': { qos: 0 } }, `m${id}/x`);
      expect(viaPlus.filter((m) => m.topic.startsWith('$'))).toEqual([]);
      const viaOwn = await retainedFor({ [`$SYS${id}/#`]: { qos: 0 } }, `$SYS${id}/marker`);
      expect(summary(viaOwn)).toEqual([{ topic: dollarTopic, payload: 'reserved', qos: 0, retain: true }]);
    });
  });
});
