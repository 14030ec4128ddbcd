// Defence in depth for what is already stored: a message's properties come back from the
// Redis log, a session queue or the retained store as whatever wrote them, possibly of the
// wrong shape (an array where one value belongs, as mqtt-packet made of a repeated property;
// numbers out of range; a non-binary correlation data). Encoding for a reader must never
// throw on them: odd values are normalised or left out, and a message that still cannot be
// encoded is dropped and counted for that one delivery, never a reason to disconnect.
import type { Message } from '@edgemq/core';
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EncodablePublishProperties,
  encodePublish,
  encodePublishProperties,
} from '../src/fast-codec.js';
import { createMqttHarness, type MqttHarness } from './harness.js';

/** The PUBLISH a 5.0 client would get with these properties, decoded by mqtt-packet. */
function sentWith(props: unknown): IPublishPacket {
  const properties = encodePublishProperties(props as EncodablePublishProperties);
  const bytes = encodePublish(
    { topic: 't', payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties },
    5,
  );
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  const packets: IPublishPacket[] = [];
  parser.on('packet', (p) => packets.push(p as IPublishPacket));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(bytes);
  expect(packets).toHaveLength(1);
  return packets[0];
}

describe('the PUBLISH property encoder, given odd stored values', () => {
  it.each([
    {
      name: 'a repeated Content Type (an array)',
      props: { contentType: ['a', 'b'] },
      sent: { contentType: 'a' },
    },
    { name: 'a Response Topic that is a number', props: { responseTopic: 5 }, sent: undefined },
    {
      name: 'Correlation Data as a Uint8Array, and as an array of buffers',
      props: { correlationData: new Uint8Array([1, 2]), responseTopic: [['x']] },
      sent: { correlationData: Buffer.from([1, 2]) },
    },
    { name: 'Correlation Data that is text', props: { correlationData: 'c' }, sent: undefined },
    {
      name: 'expiry intervals negative, fractional, textual or too large',
      props: { messageExpiryInterval: -1, topicAlias: 1.5 },
      sent: undefined,
    },
    { name: 'an expiry interval as text', props: { messageExpiryInterval: '60' }, sent: undefined },
    { name: 'an expiry interval past 32 bits', props: { messageExpiryInterval: 2 ** 33 }, sent: undefined },
    {
      name: 'user property pairs that are not pairs of text',
      props: { userProperties: [['k', 'v'], ['lonely'], [1, 'x'], 'junk', ['k', ['v']], ['k2', 'v2']] },
      sent: { userProperties: { k: 'v', k2: 'v2' } },
    },
    {
      name: "user properties in mqtt-packet's object form with odd values",
      props: { userProperties: { k: ['1', 2], n: null, o: { deep: true } } },
      sent: { userProperties: { k: ['1', '2'] } },
    },
    {
      name: 'subscription identifiers out of range or not numbers',
      props: { subscriptionIdentifier: [0, 3, 'x', 2 ** 29] },
      sent: { subscriptionIdentifier: 3 },
    },
    {
      name: 'text longer than its two-byte length allows',
      props: { contentType: 'x'.repeat(70_000) },
      sent: undefined,
    },
  ])('$name: encoded without throwing, odd values normalised or left out', ({ props, sent }) => {
    expect(sentWith(props).properties).toEqual(sent);
  });
});

describe('delivering stored messages with odd properties (harness)', () => {
  let h: MqttHarness;
  beforeEach(async () => {
    h = await createMqttHarness();
  });
  afterEach(() => h.stop());

  /** A retained message stored as-is, as if read back from the log with these fields. */
  async function storeRetained(topic: string, fields: Partial<Message>): Promise<void> {
    await h.broker.publish({
      topic,
      payload: Buffer.from('stored'),
      qos: 1,
      retain: true,
      origin: { nodeId: 'elsewhere', clientId: 'old-writer' },
      createdAtMs: Date.now(),
      ...fields,
    });
  }

  it('a retained message with a repeated Content Type reaches a 5.0 subscriber, who stays connected', async () => {
    await storeRetained('odd/content-type', {
      properties: { contentType: ['a', 'b'] as unknown as string, responseTopic: 7 as unknown as string },
    });
    const sub = await h.connect(5, { clientId: 'odd-sub' });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'odd/#', qos: 1 }] });
    await sub.next('suback');
    const message = await sub.next('publish');
    expect(message.topic).toBe('odd/content-type');
    expect(message.properties).toEqual({ contentType: 'a' });
    sub.send({ cmd: 'pingreq' });
    await sub.next('pingresp');
    expect(sub.closed).toBe(false);
  });

  it('a message that cannot be encoded at all is dropped and counted for that delivery; the next one arrives', async () => {
    // A topic longer than a PUBLISH can name (65,535 bytes): no PUBLISH can carry it.
    await storeRetained(`unsendable/${'x'.repeat(70_000)}`, {});
    await storeRetained('unsendable/b', {});
    const before = h.broker.counters.droppedUnencodable;
    const sub = await h.connect(5, { clientId: 'unsendable-sub' });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'unsendable/#', qos: 1 }] });
    await sub.next('suback');
    expect((await sub.next('publish')).topic).toBe('unsendable/b');
    expect(h.broker.counters.droppedUnencodable - before).toBe(1);
    sub.send({ cmd: 'pingreq' });
    await sub.next('pingresp');
    expect(sub.closed).toBe(false);
    expect(sub.untaken('publish')).toEqual([]);
  });
});
