// SUBSCRIBE, UNSUBSCRIBE and message routing on the wire (MQTT 3.1.1 §3.8-§3.11, §4.6,
// §4.7): wildcards, `$` topics, SUBACK codes, overlapping and replaced subscriptions,
// ordering, and delivery across transports. Absence is proven with a marker: a message
// published last on a topic that does match; everything that would arrive comes before it.
import { connectClient, type ReceivedMessage, type TestClient, waitFor } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { rawConnect } from './helpers/raw-client.js';
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

describe.each(transports)('subscribe and publish over %s', (transport) => {
  describe.each(protocolLevels)('at MQTT $name', ({ options }) => {
    const uid = (tag: string) => `${tag}-${transport}-${options.protocolVersion}-${++counter}`;
    const connect = (tag: string) =>
      connectClient(urlFor(node(), transport), { ...options, clientId: uid(tag) });

    it('[MQTT-4.7.1-3] + matches exactly one whole level, including an empty one', async () => {
      const base = `sp/${uid('plus')}`;
      const sub = await connect('sub');
      const pub = await connect('pub');
      await sub.client.subscribeAsync(`${base}/+/c`, { qos: 1 });
      for (const topic of [`${base}/b/c`, `${base}/b/x/c`, `${base}/c`, `${base}/b/c/d`, `${base}//c`]) {
        await pub.client.publishAsync(topic, 'm', { qos: 1 });
      }
      await pub.client.publishAsync(`${base}/marker/c`, 'end', { qos: 1 });
      expect((await before(sub, `${base}/marker/c`)).map((m) => m.topic)).toEqual([
        `${base}/b/c`,
        `${base}//c`,
      ]);
      await Promise.all([sub.end(), pub.end()]);
    });

    it('[MQTT-4.7.1-2] # matches any number of levels, and a/# matches a itself', async () => {
      const base = `sp/${uid('hash')}`;
      const sub = await connect('sub');
      const pub = await connect('pub');
      await sub.client.subscribeAsync(`${base}/#`, { qos: 1 });
      for (const topic of [base, `${base}/a`, `${base}x/a`, `${base}/a/b/c`, `other/${base}`]) {
        await pub.client.publishAsync(topic, 'm', { qos: 1 });
      }
      await pub.client.publishAsync(`${base}/marker`, 'end', { qos: 1 });
      expect((await before(sub, `${base}/marker`)).map((m) => m.topic)).toEqual([
        base,
        `${base}/a`,
        `${base}/a/b/c`,
      ]);
      await Promise.all([sub.end(), pub.end()]);
    });

    it('[MQTT-4.7.2-1] $ topics are not matched by # or +/x, but by $SYS-style filters', async () => {
      const id = uid('dollar');
      const dollarTopic = `$SYS${id}/x`;
      const marker = `m${id}/x`;
      const hash = await connect('hash');
      const plus = await connect('plus');
      const sys = await connect('sys');
      const pub = await connect('pub');
      await hash.client.subscribeAsync('#', { qos: 1 });
      await plus.client.subscribeAsync('+/x', { qos: 1 });
      await sys.client.subscribeAsync(`$SYS${id}/#`, { qos: 1 });
      await pub.client.publishAsync(dollarTopic, 'reserved', { qos: 1 });
      await pub.client.publishAsync(marker, 'end', { qos: 1 });

      const [m] = await sys.take();
      expect(m.topic).toBe(dollarTopic);
      expect(m.payload.toString()).toBe('reserved');
      for (const client of [hash, plus]) {
        expect((await before(client, marker)).filter((msg) => msg.topic.startsWith('$'))).toEqual([]);
      }
      await Promise.all([hash.end(), plus.end(), sys.end(), pub.end()]);
    });

    it('[MQTT-3.8.4-5] [MQTT-3.9.3-1] SUBACK grants the QoS requested for each filter, in order', async () => {
      const base = `sp/${uid('grant')}`;
      const sub = await connect('sub');
      const granted = await sub.client.subscribeAsync({
        [`${base}/two`]: { qos: 2 },
        [`${base}/zero`]: { qos: 0 },
        [`${base}/one`]: { qos: 1 },
      });
      expect(granted.map((g) => [g.topic, g.qos])).toEqual([
        [`${base}/two`, 2],
        [`${base}/zero`, 0],
        [`${base}/one`, 1],
      ]);
      await sub.end();
    });

    it('[MQTT-3.10.4-2] UNSUBSCRIBE stops delivery on that filter only', async () => {
      const base = `sp/${uid('unsub')}`;
      const sub = await connect('sub');
      const pub = await connect('pub');
      await sub.client.subscribeAsync([`${base}/gone`, `${base}/kept`], { qos: 1 });
      await pub.client.publishAsync(`${base}/gone`, 'first', { qos: 1 });
      await sub.take();
      await sub.client.unsubscribeAsync(`${base}/gone`);
      await pub.client.publishAsync(`${base}/gone`, 'second', { qos: 1 });
      await pub.client.publishAsync(`${base}/kept`, 'end', { qos: 1 });
      expect((await before(sub, `${base}/kept`)).map((m) => m.payload.toString())).toEqual(['first']);
      await Promise.all([sub.end(), pub.end()]);
    });

    it('[MQTT-3.3.5-1] overlapping subscriptions deliver one copy at the highest granted QoS', async () => {
      const base = `sp/${uid('overlap')}`;
      const sub = await connect('sub');
      const pub = await connect('pub');
      await sub.client.subscribeAsync({
        [`${base}/#`]: { qos: 0 },
        [`${base}/+`]: { qos: 2 },
        [`${base}/x`]: { qos: 1 },
        [`${base}-marker`]: { qos: 2 },
      });
      await pub.client.publishAsync(`${base}/x`, 'once', { qos: 2 });
      await pub.client.publishAsync(`${base}-marker`, 'end', { qos: 2 });
      const got = await before(sub, `${base}-marker`);
      expect(got.map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([[`${base}/x`, 'once', 2]]);
      await Promise.all([sub.end(), pub.end()]);
    });

    it('[MQTT-3.8.4-3] subscribing again to the same filter replaces its QoS', async () => {
      const base = `sp/${uid('resub')}`;
      const sub = await connect('sub');
      const pub = await connect('pub');
      expect((await sub.client.subscribeAsync(`${base}/r`, { qos: 2 })).map((g) => g.qos)).toEqual([2]);
      await sub.client.subscribeAsync(`${base}/marker`, { qos: 1 });
      await pub.client.publishAsync(`${base}/r`, 'at2', { qos: 2 });
      await sub.take();
      expect((await sub.client.subscribeAsync(`${base}/r`, { qos: 0 })).map((g) => g.qos)).toEqual([0]);
      await pub.client.publishAsync(`${base}/r`, 'at0', { qos: 2 });
      await pub.client.publishAsync(`${base}/marker`, 'end', { qos: 1 });
      const got = await before(sub, `${base}/marker`);
      expect(got.map((m) => [m.payload.toString(), m.qos])).toEqual([
        ['at2', 2],
        ['at0', 0],
      ]);
      await Promise.all([sub.end(), pub.end()]);
    });

    it('[MQTT-4.6.0-6] 200 QoS 1 messages from one publisher on one topic arrive in order', async () => {
      const topic = `sp/${uid('order')}`;
      const sub = await connect('sub');
      const pub = await connect('pub');
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const sent = Array.from({ length: 200 }, (_, i) => String(i));
      await Promise.all(sent.map((p) => pub.client.publishAsync(topic, p, { qos: 1 })));
      const got = await sub.take(200, 4000);
      expect(got.map((m) => m.payload.toString())).toEqual(sent);
      await Promise.all([sub.end(), pub.end()]);
    });
  });

  it('[MQTT-3.8.4-4] an invalid filter gets SUBACK 0x80 while the other filters are granted (3.1.1)', async () => {
    // 0x80 (Failure) is a 3.1.1 return code; 3.1 has none, so this runs at level 4 only.
    const id = `bad-${transport}-4-${++counter}`;
    const base = `sp/${id}`;
    const { raw } = await rawConnect(node(), transport, 4, { clientId: id });
    raw.send({
      cmd: 'subscribe',
      messageId: 321,
      subscriptions: [
        { topic: `${base}/ok`, qos: 1 },
        { topic: 'a/#/b', qos: 1 },
        { topic: 'a+', qos: 0 },
        { topic: `${base}/+/ok2`, qos: 2 },
        { topic: '#/a', qos: 0 },
      ],
    });
    const suback = await raw.next('suback');
    expect(suback.messageId).toBe(321); // [MQTT-3.8.4-2]
    expect(suback.granted).toEqual([1, 0x80, 0x80, 2, 0x80]);
    // The connection stays up and the granted filters work.
    raw.send({ cmd: 'publish', topic: `${base}/ok`, payload: 'ok', qos: 0, retain: false, dup: false });
    const publish = await raw.next('publish');
    expect(publish).toMatchObject({ topic: `${base}/ok` });
    expect(raw.closed).toBe(false);
    await raw.end();
  });
});

const crossings = transports.flatMap((from) =>
  transports
    .filter((to) => to !== from)
    .flatMap((to) =>
      protocolLevels.map((level) => ({ from, to, level: level.name, options: level.options })),
    ),
);

describe('across transports', () => {
  it.each(crossings)(
    'a publisher over $from reaches a subscriber over $to at MQTT $level',
    async ({ from, to, options }) => {
      const id = `x-${from}-${to}-${options.protocolVersion}-${++counter}`;
      const topic = `sp/${id}`;
      const sub = await connectClient(urlFor(node(), to), { ...options, clientId: `${id}-sub` });
      const pub = await connectClient(urlFor(node(), from), { ...options, clientId: `${id}-pub` });
      await sub.client.subscribeAsync(topic, { qos: 2 });
      await pub.client.publishAsync(topic, 'q0', { qos: 0 });
      await pub.client.publishAsync(topic, 'q1', { qos: 1 });
      await pub.client.publishAsync(topic, 'q2', { qos: 2 });
      const got = await sub.take(3);
      expect(got.map((m) => [m.topic, m.payload.toString(), m.qos])).toEqual([
        [topic, 'q0', 0],
        [topic, 'q1', 1],
        [topic, 'q2', 2],
      ]);
      await Promise.all([sub.end(), pub.end()]);
    },
  );
});
