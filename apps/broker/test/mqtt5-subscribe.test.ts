// MQTT 5.0 SUBSCRIBE / UNSUBSCRIBE on the wire (OASIS MQTT 5.0 §3.8-§3.11): the subscription
// options (No Local, Retain As Published, Retain Handling) and the SUBACK / UNSUBACK reason
// codes, including the refusals for features a node has switched off.
import { sleep } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { type Client5, connect5, endAll, RC } from './helpers/mqtt5.js';
import { rawConnect } from './helpers/raw-client.js';
import { type TestNode, transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();
/** Shared subscriptions, subscription identifiers and wildcards switched off. */
const off = useTestNode({
  mqtt: { sharedSubscriptions: false, subscriptionIdentifiers: false, wildcardSubscriptions: false },
});

describe.each(transports)('MQTT 5.0 SUBSCRIBE over %s', (transport) => {
  const connect = (options: Parameters<typeof connect5>[1] = {}) =>
    connect5(urlFor(node(), transport), { clientId: unique('s5'), ...options });

  /**
   * Publishes a non-retained marker on `topic` and returns the payloads `sub` got before it,
   * so "nothing else arrived" is checked without guessing a wait.
   */
  async function before(sub: Client5, pub: Client5, topic: string): Promise<string[]> {
    const marker = `marker-${unique('m')}`;
    await pub.client.publishAsync(topic, marker, { qos: 1 });
    const deadline = Date.now() + 3000;
    while (!sub.payloads().includes(marker)) {
      if (Date.now() > deadline) throw new Error(`marker never arrived on ${topic}`);
      await sleep(10);
    }
    const all = sub.payloads();
    return all.slice(0, all.indexOf(marker));
  }

  describe('subscription options', () => {
    it('[MQTT-3.8.3-3] No Local: own messages are not delivered, others are', async () => {
      const topic = `nl/${unique('t')}`;
      const self = await connect();
      await self.client.subscribeAsync(topic, { qos: 1, nl: true });
      const watcher = await connect();
      await watcher.client.subscribeAsync(topic, { qos: 1 });
      const other = await connect();
      await self.client.publishAsync(topic, 'mine', { qos: 1 });
      await other.client.publishAsync(topic, 'theirs', { qos: 1 });
      // A subscriber without No Local gets both, so "mine" was published.
      expect((await watcher.take(2)).map((m) => m.payload.toString())).toEqual(['mine', 'theirs']);
      await self.take(1);
      await sleep(100);
      expect(self.payloads()).toEqual(['theirs']);
      await endAll(self, watcher, other);
    });

    it('[MQTT-3.3.1-12] [MQTT-3.3.1-13] Retain As Published keeps the retain flag on live delivery; without it the flag is cleared', async () => {
      const topic = `rap/${unique('t')}`;
      const keep = await connect();
      await keep.client.subscribeAsync(topic, { qos: 1, rap: true });
      const clear = await connect();
      await clear.client.subscribeAsync(topic, { qos: 1, rap: false });
      const pub = await connect();
      await pub.client.publishAsync(topic, 'kept', { qos: 1, retain: true });
      await pub.client.publishAsync(topic, 'plain', { qos: 1, retain: false });
      expect((await keep.take(2)).map((m) => [m.payload.toString(), m.retain])).toEqual([
        ['kept', true],
        ['plain', false],
      ]);
      expect((await clear.take(2)).map((m) => [m.payload.toString(), m.retain])).toEqual([
        ['kept', false],
        ['plain', false],
      ]);
      await pub.client.publishAsync(topic, '', { qos: 1, retain: true });
      await endAll(keep, clear, pub);
    });

    it.each([
      { rh: 0 as const, first: ['retained'], again: ['retained'] },
      { rh: 1 as const, first: ['retained'], again: [] },
      { rh: 2 as const, first: [], again: [] },
    ])(
      '[MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling $rh: retained on subscribe $first, on re-subscribe $again',
      async ({ rh, first, again }) => {
        const topic = `rh/${unique(`rh${rh}`)}`;
        const pub = await connect();
        await pub.client.publishAsync(topic, 'retained', { qos: 1, retain: true });
        // resubscribe: false, so MQTT.js sends the second SUBSCRIBE for the same filter.
        const sub = await connect({ resubscribe: false });
        await sub.client.subscribeAsync(topic, { qos: 1, rh });
        expect(await before(sub, pub, topic)).toEqual(first);
        sub.messages.length = 0;
        await sub.client.subscribeAsync(topic, { qos: 1, rh });
        expect(await before(sub, pub, topic)).toEqual(again);
        await pub.client.publishAsync(topic, '', { qos: 1, retain: true });
        await endAll(sub, pub);
      },
    );
  });

  describe('SUBACK and UNSUBACK reason codes', () => {
    const raw = (n: TestNode) => rawConnect(n, transport, 5, { clientId: unique('sr') });

    it('[MQTT-3.9.3-?] SUBACK 0x8F for an invalid filter; the valid one beside it is granted', async () => {
      const { raw: client } = await raw(node());
      const suback = await client.subscribe([
        { topic: 'bad/#/filter', qos: 1 },
        { topic: `ok/${unique('t')}`, qos: 1 },
        { topic: 'bad+/x', qos: 0 },
      ]);
      expect(suback.granted).toEqual([RC.topicFilterInvalid, 1, RC.topicFilterInvalid]);
      await client.end();
    });

    it('[MQTT-3.9.3-?] SUBACK 0x9E for $share/... when shared subscriptions are off', async () => {
      const { raw: client, connack } = await raw(off());
      expect(connack.properties?.sharedSubscriptionAvailable).toBe(false);
      const suback = await client.subscribe([
        { topic: `$share/g/${unique('t')}`, qos: 1 },
        { topic: `plain/${unique('t')}`, qos: 1 },
      ]);
      expect(suback.granted).toEqual([RC.sharedSubscriptionsNotSupported, 1]);
      await client.end();
    });

    it('[MQTT-3.9.3-?] SUBACK 0xA1 for a subscription identifier when identifiers are off', async () => {
      const { raw: client } = await raw(off());
      const withId = await client.subscribe([{ topic: `sid/${unique('t')}`, qos: 1 }], {
        properties: { subscriptionIdentifier: 7 },
      });
      expect(withId.granted).toEqual([RC.subscriptionIdentifiersNotSupported]);
      const without = await client.subscribe([{ topic: `sid/${unique('t')}`, qos: 1 }], { messageId: 2 });
      expect(without.granted).toEqual([1]);
      await client.end();
    });

    it('[MQTT-3.9.3-?] SUBACK 0xA2 for a wildcard filter when wildcards are off', async () => {
      const { raw: client } = await raw(off());
      const prefix = `wc/${unique('t')}`;
      const suback = await client.subscribe([
        { topic: `${prefix}/+`, qos: 1 },
        { topic: `${prefix}/#`, qos: 0 },
        { topic: `${prefix}/exact`, qos: 1 },
      ]);
      expect(suback.granted).toEqual([
        RC.wildcardSubscriptionsNotSupported,
        RC.wildcardSubscriptionsNotSupported,
        1,
      ]);
      // The refused filter really is not subscribed.
      const pub = await connect5(urlFor(off(), transport), { clientId: unique('pub') });
      await pub.client.publishAsync(`${prefix}/other`, 'nope', { qos: 1 });
      await pub.client.publishAsync(`${prefix}/exact`, 'yes', { qos: 1 });
      client.autoAck = true;
      const got = await client.next('publish');
      expect(got.cmd === 'publish' && got.payload.toString()).toBe('yes');
      await endAll(client, pub);
    });

    it('[MQTT-3.11.3-?] UNSUBACK 0x11 for a filter that was not subscribed, 0x00 for one that was', async () => {
      const { raw: client } = await raw(node());
      const topic = `unsub/${unique('t')}`;
      await client.subscribe([{ topic, qos: 1 }]);
      client.send({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: [`${topic}/never`, topic] });
      const unsuback = await client.next('unsuback');
      expect(unsuback.messageId).toBe(5);
      expect(unsuback.granted).toEqual([RC.noSubscriptionExisted, RC.success]);
      await client.end();
    });
  });
});
