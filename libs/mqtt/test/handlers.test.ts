// MQTT handler behaviour through the in-memory harness (harness.ts): the real MqttServer,
// Broker and memory backbone, a fake ByteConnection instead of a socket. These are the rules
// a socket adds nothing to: which packet may come first, CONNACK's session present flag,
// acknowledgements only once a message is stored, QoS 2 exactly once, SUBACK codes per
// filter, packets cut at any byte, and holding QoS 1 messages while writes report a full buffer.
import type { Packet } from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMqttHarness,
  type MqttHarness,
  type MqttLevel,
  type MqttTestClient,
  until,
} from './harness.js';

let h: MqttHarness;
beforeEach(async () => {
  h = await createMqttHarness();
});
afterEach(() => h.stop());

let counter = 0;
const id = (tag: string) => `${tag}-${++counter}`;

const levels = [
  { name: '3.1', level: 3 },
  { name: '3.1.1', level: 4 },
  { name: '5.0', level: 5 },
] as const;

const publish = (topic: string, payload: string, qos: 0 | 1 | 2, messageId?: number, dup = false): Packet =>
  ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup, messageId }) as Packet;

const payloads = (client: MqttTestClient, topic?: string) =>
  client
    .untaken('publish')
    .filter((p) => topic === undefined || p.topic === topic)
    .map((p) => p.payload.toString());

/** 5.0 persistence is the session expiry interval; 3.1 / 3.1.1 use clean session 0. */
const persistent = (level: MqttLevel) =>
  level === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };

describe('the first packet', () => {
  const notConnect: { name: string; packet: Packet }[] = [
    { name: 'PINGREQ', packet: { cmd: 'pingreq' } },
    {
      name: 'SUBSCRIBE',
      packet: { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 0 }] },
    },
    { name: 'PUBLISH', packet: publish('x', 'p', 0) },
  ];

  it.each(notConnect)(
    '[MQTT-3.1.0-1] $name before CONNECT closes the connection without an answer',
    async ({ packet }) => {
      const client = h.open(4);
      client.send(packet);
      expect(await client.waitClosed()).toBe(true);
      expect(client.received).toEqual([]);
      expect(client.link.closedBy).toMatch(/^node-/);
    },
  );

  it('[MQTT-3.1.0-1] the first byte decides: a non-CONNECT type byte alone closes the connection', async () => {
    const client = h.open(4);
    client.link.push(Buffer.from([0x30])); // the first byte of a PUBLISH, nothing more
    expect(await client.waitClosed()).toBe(true);
    expect(client.received).toEqual([]);
  });
});

describe.each(levels)('MQTT $name', ({ level }) => {
  it('[MQTT-3.1.0-2] a second CONNECT closes the connection, with no second CONNACK', async () => {
    const clientId = id('twice');
    const client = await h.connect(level, { clientId });
    expect(client.connack).toMatchObject(level === 5 ? { reasonCode: 0 } : { returnCode: 0 });
    client.send({ cmd: 'pingreq' });
    await client.next('pingresp'); // open and serving before the second CONNECT
    client.send({
      cmd: 'connect',
      protocolId: level === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: level,
      clean: true,
      keepalive: 0,
      clientId,
    });
    expect(await client.waitClosed()).toBe(true);
    expect(client.untaken('connack')).toEqual([]);
    // 5.0 says why (protocol error); 3.1 and 3.1.1 have no server DISCONNECT.
    const disconnects = client.untaken('disconnect');
    if (level === 5) expect(disconnects.map((d) => d.reasonCode)).toEqual([0x82]);
    else expect(disconnects).toEqual([]);
  });

  describe('CONNACK session present', () => {
    it('[MQTT-3.2.2-3] a persistent session with none stored gets session present 0', async () => {
      const client = await h.connect(level, { clientId: id('none-stored'), ...persistent(level) });
      expect(client.connack?.sessionPresent).toBe(false);
      await client.disconnect();
    });

    it('[MQTT-3.2.2-2] resuming a stored persistent session gets session present 1', async () => {
      const clientId = id('resume');
      const first = await h.connect(level, { clientId, ...persistent(level) });
      first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `sp/${clientId}`, qos: 1 }] });
      await first.next('suback');
      await first.disconnect();
      const again = await h.connect(level, { clientId, ...persistent(level) });
      expect(again.connack?.sessionPresent).toBe(true);
      // It is the same session: the subscription is still there.
      const pub = await h.connect(level, { clientId: id('pub') });
      pub.send(publish(`sp/${clientId}`, 'kept', 1, 1));
      expect((await again.next('publish')).payload.toString()).toBe('kept');
    });

    it('[MQTT-3.2.2-1] a clean session gets session present 0 even when one was stored', async () => {
      const clientId = id('clean');
      const first = await h.connect(level, { clientId, ...persistent(level) });
      await first.disconnect();
      const fresh = await h.connect(level, { clientId, clean: true });
      expect(fresh.connack?.sessionPresent).toBe(false);
      await fresh.disconnect();
      // The clean session threw the stored one away.
      const later = await h.connect(level, { clientId, ...persistent(level) });
      expect(later.connack?.sessionPresent).toBe(false);
    });
  });
});

describe.each([
  { name: '3.1.1', level: 4 },
  { name: '5.0', level: 5 },
] as const)('PUBLISH at MQTT $name', ({ level }) => {
  it('[MQTT-4.3.2-4] a QoS 1 PUBLISH gets PUBACK with its packet id, only once the message is stored', async () => {
    const client = await h.connect(level, { clientId: id('q1') });
    const release = h.backbone.holdAppends();
    client.send(publish(`q1/${counter}`, 'x', 1, 4711));
    await until(() => h.backbone.appends.length === 1, 5000, 'the append');
    // The store is held: whatever the node would acknowledge early is written by now.
    await new Promise((r) => setImmediate(r));
    expect(client.untaken('puback')).toEqual([]);
    release();
    const puback = await client.next('puback');
    expect(puback.messageId).toBe(4711);
    expect(h.backbone.appends[0].state).toBe('stored');
  });

  it('[MQTT-4.3.2-4] a QoS 1 PUBLISH that could not be stored gets no success PUBACK (3.1.1: none, 5.0: 0x80)', async () => {
    const client = await h.connect(level, { clientId: id('q1-fail') });
    h.backbone.failures.append = true;
    client.send(publish(`q1/${counter}/lost`, 'lost', 1, 7));
    await until(() => h.backbone.appends[0]?.state === 'failed', 5000, 'the failed append');
    // A later message is stored and acknowledged: the failed one's answer came before it.
    h.backbone.failures.append = false;
    client.send(publish(`q1/${counter}/kept`, 'kept', 1, 8));
    const pubacks = [await client.next('puback')];
    if (level === 5) pubacks.push(await client.next('puback'));
    const byId = new Map(pubacks.map((p) => [p.messageId, p.reasonCode ?? 0]));
    expect(byId.get(8)).toBe(level === 5 ? 0x10 : 0); // 5.0: stored, no matching subscribers
    if (level === 5) expect(byId.get(7)).toBe(0x80);
    else expect(byId.has(7)).toBe(false);
    expect(client.untaken('puback')).toEqual([]);
    expect(client.closed).toBe(false);
  });

  it('[MQTT-4.3.3-9] [MQTT-4.3.3-10] [MQTT-4.3.3-11] QoS 2: PUBREC, PUBREL, PUBCOMP with its id; re-sent before PUBREL it is published once', async () => {
    const topic = `q2/${id('t')}`;
    const marker = `${topic}/marker`;
    const sub = await h.connect(level, { clientId: id('sub') });
    sub.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic, qos: 2 },
        { topic: marker, qos: 0 },
      ],
    });
    await sub.next('suback');
    const pub = await h.connect(level, { clientId: id('pub') });
    pub.send(publish(topic, 'once', 2, 42));
    expect((await pub.next('pubrec')).messageId).toBe(42);
    pub.send(publish(topic, 'once', 2, 42, true));
    expect((await pub.next('pubrec')).messageId).toBe(42);
    pub.send({ cmd: 'pubrel', messageId: 42 });
    expect((await pub.next('pubcomp')).messageId).toBe(42);
    pub.send(publish(marker, 'end', 0));
    await until(() => payloads(sub, marker).length === 1, 5000, 'the marker');
    expect(payloads(sub, topic)).toEqual(['once']);
    expect(pub.untaken('pubrec')).toEqual([]);
    expect(h.backbone.appends.flatMap((a) => a.topics).filter((t) => t === topic)).toEqual([topic]);
  });
});

describe.each([
  { name: '3.1.1', level: 4, refused: 0x80 },
  { name: '5.0', level: 5, refused: 0x8f },
] as const)('SUBSCRIBE at MQTT $name', ({ level, refused }) => {
  it(`[MQTT-3.8.4-2] [MQTT-3.9.3-1] an invalid filter gets 0x${refused.toString(16)}; the valid ones in the same packet are granted`, async () => {
    const client = await h.connect(level, { clientId: id('filters') });
    const base = `sf/${counter}`;
    client.send({
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
    const suback = await client.next('suback');
    expect(suback.messageId).toBe(321);
    expect(suback.granted).toEqual([1, refused, refused, 2, refused]);
    // The granted filters work, and the connection is still up.
    client.send(publish(`${base}/x/ok2`, 'granted', 0));
    expect((await client.next('publish')).topic).toBe(`${base}/x/ok2`);
    expect(client.closed).toBe(false);
  });
});

describe.each([
  { name: '3.1.1', level: 4 },
  { name: '5.0', level: 5 },
] as const)('packets cut anywhere, at MQTT $name', ({ level }) => {
  it('CONNECT, SUBSCRIBE and PUBLISH sent one byte per chunk are read whole', async () => {
    const client = h.open(level);
    const topic = `cut/${id('bytes')}`;
    const packets: Packet[] = [
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: level,
        clean: true,
        keepalive: 0,
        clientId: id('bytewise'),
      },
      { cmd: 'subscribe', messageId: 5, subscriptions: [{ topic, qos: 1 }] },
      {
        ...publish(topic, 'every byte its own chunk', 1, 6),
        ...(level === 5 ? { properties: { userProperties: { k: 'v' } } } : {}),
      } as Packet,
    ];
    const bytes = Buffer.concat(packets.map((p) => client.encode(p)));
    client.link.push(
      bytes,
      Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
    );
    expect((await client.next('connack')).sessionPresent).toBe(false);
    expect((await client.next('suback')).granted).toEqual([1]);
    expect((await client.next('puback')).messageId).toBe(6);
    const own = await client.next('publish');
    expect([own.topic, own.payload.toString()]).toEqual([topic, 'every byte its own chunk']);
    if (level === 5) expect(own.properties?.userProperties).toEqual({ k: 'v' });
    expect(client.link.decodeErrors).toEqual([]);
  });

  it('a PUBLISH cut in two at every byte boundary arrives intact each time', async () => {
    const topic = `cut/${id('two')}`;
    const client = await h.connect(level, { clientId: id('halves') });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
    await client.next('suback');
    const body = (at: number) => `cut at ${String(at).padStart(3, '0')}`; // one length for all
    const length = client.encode(publish(topic, body(0), 1, 1)).length;
    for (let at = 1; at < length; at++) {
      client.send(publish(topic, body(at), 1, at), [at]);
      expect((await client.next('puback')).messageId).toBe(at);
      expect((await client.next('publish')).payload.toString()).toBe(body(at));
    }
    expect(client.closed).toBe(false);
  });
});

describe.each([
  { name: '3.1.1', level: 4 },
  { name: '5.0', level: 5 },
] as const)('write backpressure at MQTT $name', ({ level }) => {
  it('while write() reports full, QoS 1 messages wait (in order) until onDrain, and QoS 0 ones are dropped', async () => {
    const topic = `bp/${id('t')}`;
    const sub = await h.connect(level, { clientId: id('slow') });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await sub.next('suback');
    const pub = await h.connect(level, { clientId: id('pub') });
    sub.link.congest();
    const droppedBefore = h.broker.counters.droppedQos0Backpressure;

    // The first write meets the full buffer: its bytes are taken, the rest wait.
    for (let i = 1; i <= 3; i++) pub.send(publish(topic, `held-${i}`, 1, i));
    pub.send(publish(topic, 'dropped', 0));
    for (let i = 1; i <= 3; i++) await pub.next('puback');
    await until(() => h.broker.counters.droppedQos0Backpressure > droppedBefore, 5000, 'the QoS 0 drop');
    expect(payloads(sub)).toEqual(['held-1']);

    sub.link.drain();
    await until(() => payloads(sub).length === 3, 5000, 'the held messages');
    expect(payloads(sub)).toEqual(['held-1', 'held-2', 'held-3']);
    expect(sub.untaken('publish').map((p) => p.qos)).toEqual([1, 1, 1]);
  });
});
