// mqtt.maxTopicLevels (default 128) and mqtt.maxTopicLength (default 4096 UTF-8 bytes): a
// topic past them is refused where it enters, with the code the protocol has for it.
// PUBLISH: 5.0 PUBACK / PUBREC 0x90 (QoS 1/2, the connection stays), DISCONNECT 0x90 (QoS
// 0); 3.1.1 closes. SUBSCRIBE: that filter's SUBACK code is 0x8F (5.0) / 0x80 (3.1.1). Will
// topic: CONNACK 0x90 (5.0); 3.1.1 closes without a CONNACK.
import type { IPublishPacket } from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReasonCode } from '../src/index.js';
import { createMqttHarness, type MqttHarness, type MqttTestClient } from './harness.js';

const levels = (n: number, prefix = 'a') => Array(n).fill(prefix).join('/');
/** 2 UTF-8 bytes per character: the byte limit, not the character count, must decide. */
const bytesLong = (n: number) => '\u00e9'.repeat(n / 2);

let harness: MqttHarness;
let watcher: MqttTestClient;

beforeEach(async () => {
  harness = await createMqttHarness();
  // Sees everything published: a refused topic must never reach it.
  watcher = await harness.connect(5, { clientId: 'watcher' });
  watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '#', qos: 2 }] });
  await watcher.next('suback');
});

afterEach(() => harness.stop());

const publish = (topic: string, qos: 0 | 1 | 2, messageId?: number): IPublishPacket => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from('x'),
  qos,
  retain: true,
  dup: false,
  messageId,
});

/** Publishes a last, acceptable message and checks the watcher got only the `accepted` topics before it. */
async function watcherGot(accepted: string[]): Promise<void> {
  const probe = await harness.connect(5, { clientId: 'probe' });
  probe.send(publish('probe/end', 1, 1));
  await probe.next('puback');
  const topics: string[] = [];
  for (;;) {
    const { topic } = await watcher.next('publish');
    if (topic === 'probe/end') break;
    topics.push(topic);
  }
  expect(topics).toEqual(accepted);
  expect(harness.broker.counters.connectionErrors).toBe(0);
}

describe('PUBLISH past mqtt.maxTopicLevels / mqtt.maxTopicLength', () => {
  const tooDeep = levels(129);
  const tooLong = bytesLong(4098);

  it('accepts exactly 128 levels and 4096 bytes', async () => {
    const client = await harness.connect(5, { clientId: 'at-limit' });
    client.send([publish(levels(128), 1, 1), publish(bytesLong(4096), 1, 2)]);
    expect((await client.next('puback')).reasonCode).toBe(ReasonCode.success);
    expect((await client.next('puback')).reasonCode).toBe(ReasonCode.success);
    await watcherGot([levels(128), bytesLong(4096)]);
  });

  it.each([
    ['levels', tooDeep],
    ['bytes', tooLong],
  ])('5.0 QoS 1 / QoS 2 too many %s: PUBACK / PUBREC 0x90, the connection stays', async (_what, topic) => {
    const client = await harness.connect(5, { clientId: 'deep-qos12' });
    client.send([publish(topic, 1, 1), publish(topic, 2, 2)]);
    expect((await client.next('puback')).reasonCode).toBe(ReasonCode.topicNameInvalid);
    expect((await client.next('pubrec')).reasonCode).toBe(ReasonCode.topicNameInvalid);
    // The refused QoS 2 id is not remembered: the same id publishes normally afterwards.
    client.send(publish('fine', 2, 2));
    expect((await client.next('pubrec')).reasonCode).toBe(ReasonCode.success);
    expect(client.closed).toBe(false);
    await watcherGot(['fine']);
  });

  it.each([
    ['levels', tooDeep],
    ['bytes', tooLong],
  ])('5.0 QoS 0 too many %s: DISCONNECT 0x90', async (_what, topic) => {
    const client = await harness.connect(5, { clientId: 'deep-qos0' });
    client.send(publish(topic, 0));
    expect((await client.next('disconnect')).reasonCode).toBe(ReasonCode.topicNameInvalid);
    expect(await client.waitClosed()).toBe(true);
    await watcherGot([]);
  });

  it.each([0, 1] as const)('3.1.1 QoS %i: the connection is closed', async (qos) => {
    const client = await harness.connect(4, { clientId: 'deep-311' });
    client.send(publish(tooDeep, qos, qos === 0 ? undefined : 1));
    expect(await client.waitClosed()).toBe(true);
    expect(client.untaken('puback')).toEqual([]);
    await watcherGot([]);
  });
});

describe('SUBSCRIBE past mqtt.maxTopicLevels / mqtt.maxTopicLength', () => {
  it('5.0: 0x8F for that filter, the others granted; a shared filter counts its inner levels', async () => {
    const client = await harness.connect(5, { clientId: 'deep-sub' });
    client.send({
      cmd: 'subscribe',
      messageId: 2,
      subscriptions: [
        { topic: `${levels(128, '+')}/#`, qos: 1 },
        { topic: levels(128, '+'), qos: 1 },
        { topic: `$share/g/${levels(128)}`, qos: 1 },
        { topic: `$share/g/${levels(129)}`, qos: 1 },
        { topic: `${bytesLong(4096)}/#`, qos: 1 },
      ],
    });
    const suback = await client.next('suback');
    const invalid = ReasonCode.topicFilterInvalid;
    expect(suback.granted).toEqual([invalid, 1, 1, invalid, invalid]);
    expect(harness.broker.subscriptionCount).toBe(3); // the watcher's and the two granted
    expect(client.closed).toBe(false);
  });

  it('3.1.1: 0x80 for that filter, the others granted', async () => {
    const client = await harness.connect(4, { clientId: 'deep-sub-311' });
    client.send({
      cmd: 'subscribe',
      messageId: 2,
      subscriptions: [
        { topic: levels(129), qos: 1 },
        { topic: 'ok', qos: 1 },
      ],
    });
    expect((await client.next('suback')).granted).toEqual([0x80, 1]);
  });
});

describe('a will topic past mqtt.maxTopicLevels / mqtt.maxTopicLength', () => {
  const will = { topic: levels(129), payload: Buffer.from('w'), qos: 0 as const, retain: false };

  it('5.0: CONNACK 0x90, nothing claimed', async () => {
    const client = await harness.connect(5, { clientId: 'deep-will', will });
    expect(client.connack?.reasonCode).toBe(ReasonCode.topicNameInvalid);
    expect(await client.waitClosed()).toBe(true);
    expect(harness.broker.sessionCount).toBe(1); // the watcher's
  });

  it('3.1.1: closed without a CONNACK', async () => {
    const client = harness.open(4);
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'deep-will-311',
      will: { ...will, topic: bytesLong(4098) },
    });
    expect(await client.waitClosed()).toBe(true);
    expect(client.received).toEqual([]);
    expect(harness.broker.sessionCount).toBe(1);
  });
});
