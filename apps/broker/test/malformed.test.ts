// Bad input on the wire: each case must close the offending connection while a bystander
// that connected and subscribed before keeps publishing and receiving afterwards, and
// nothing from the bad packet reaches subscribers.
import { randomBytes } from 'node:crypto';
import { connectClient, sleep } from '@edgemq/testkit';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { RC } from './helpers/mqtt5.js';
import {
  connectBytes,
  lengthPrefixed,
  type MqttLevel,
  propertySection,
  RawClient,
  rawConnect,
  remainingLength,
} from './helpers/raw-client.js';
import {
  protocolLevels,
  type TransportName,
  transports,
  unique,
  urlFor,
  useTestNode,
} from './helpers/test-node.js';

const MAX_PACKET_BYTES = 1024;
const CONNECT_TIMEOUT_MS = 500;
/** Well below the default connect timeout (10 s): a bad packet must close at once. */
const PROMPT_CLOSE_MS = 2000;

const node = useTestNode({ mqtt: { maxPacketBytes: MAX_PACKET_BYTES } });
const slowNode = useTestNode({ mqtt: { connectTimeoutMs: CONNECT_TIMEOUT_MS } });

/** A well-behaved client subscribed to `mal/<id>/#` before the bad one shows up. */
async function bystander(transport: TransportName, version: MqttLevel) {
  const options =
    version === 5
      ? { protocolVersion: 5 as const }
      : protocolLevels.find((l) => l.options.protocolVersion === version)!.options;
  const prefix = `mal/${unique('b')}`;
  const client = await connectClient(urlFor(node(), transport), {
    ...options,
    clientId: unique('bystander'),
  });
  await client.client.subscribeAsync(`${prefix}/#`, { qos: 1 });
  return {
    client,
    prefix,
    /** After the bad connection is gone: a round trip still works and nothing else arrived. */
    async stillServes(): Promise<void> {
      await client.client.publishAsync(`${prefix}/ok`, 'still-here', { qos: 1 });
      await client.take(1);
      await sleep(100);
      expect(client.messages.map((m) => `${m.topic} ${m.payload}`)).toEqual([`${prefix}/ok still-here`]);
      await client.end();
    },
  };
}

/** Opens a raw connection; unless `connect` is false it completes CONNECT/CONNACK first. */
async function badClient(transport: TransportName, version: 3 | 4, connect = true): Promise<RawClient> {
  const raw = await RawClient.open(node(), transport, version);
  if (connect) {
    const connack = await raw.connect({ clientId: unique('bad') });
    expect(connack.returnCode).toBe(0);
  }
  return raw;
}

/** Waits for the node to close `raw`, failing if it takes longer than PROMPT_CLOSE_MS. */
async function expectPromptClose(raw: RawClient): Promise<void> {
  const sentAt = Date.now();
  expect(await raw.waitClosed(PROMPT_CLOSE_MS)).toBe(true);
  expect(raw.closedAtMs! - sentAt).toBeLessThan(PROMPT_CLOSE_MS);
}

/**
 * A PUBLISH packet built by hand: fixed-header byte, topic bytes, optional packet id, then
 * (5.0, when `properties` is given) a property section, and the payload.
 */
function rawPublish(
  firstByte: number,
  topic: Buffer,
  payload: Buffer,
  packetId?: number,
  properties?: Buffer,
): Buffer {
  const id = packetId === undefined ? Buffer.alloc(0) : Buffer.from([packetId >> 8, packetId & 0xff]);
  const props = properties ? propertySection(properties) : Buffer.alloc(0);
  const body = Buffer.concat([
    Buffer.from([topic.length >> 8, topic.length & 0xff]),
    topic,
    id,
    props,
    payload,
  ]);
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

/** Topic bytes that are not well-formed UTF-8, or hold U+0000 (after a valid `<prefix>/`). */
const badTopicBytes: Array<[string, number[]]> = [
  ['a C3 ( (a cut-short sequence)', [0x61, 0xc3, 0x28]],
  ['ED A0 80 (an encoded surrogate)', [0xed, 0xa0, 0x80]],
  ['C0 AF (an overlong encoding)', [0xc0, 0xaf]],
  ['61 00 62 (U+0000)', [0x61, 0x00, 0x62]],
];
const topicWith = (prefix: string, tail: number[]) =>
  Buffer.concat([Buffer.from(`${prefix}/`), Buffer.from(tail)]);

/** 5.0 properties: a user property k=v (allowed on CONNECT, SUBSCRIBE and UNSUBSCRIBE). */
const USER_PROPERTY_KV = Buffer.from([0x26, 0x00, 0x01, 0x6b, 0x00, 0x01, 0x76]);

/**
 * A SUBSCRIBE (each filter asking for QoS 1) or UNSUBSCRIBE with packet id 1, built byte by
 * byte; at 5.0 (when `properties` is given) with that property section.
 */
function rawFilters(subscribe: boolean, filters: Buffer[], properties?: Buffer): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x00, 0x01]),
    properties ? propertySection(properties) : Buffer.alloc(0),
    ...filters.map((f) =>
      Buffer.concat([lengthPrefixed(f), subscribe ? Buffer.from([0x01]) : Buffer.alloc(0)]),
    ),
  ]);
  return Buffer.concat([Buffer.from([subscribe ? 0x82 : 0xa2]), remainingLength(body.length), body]);
}

/** Topic filter bytes after a valid `<prefix>/` that are not well-formed UTF-8, or hold U+0000. */
const badFilterBytes: Array<[string, number[]]> = [
  ['C0 AF (an overlong encoding)', [0xc0, 0xaf]],
  ['61 00 62 (U+0000)', [0x61, 0x00, 0x62]],
];

describe.each(transports)('malformed input over %s', (transport) => {
  describe.each(protocolLevels)('MQTT $name', ({ options }) => {
    const version = options.protocolVersion;

    it('[MQTT-4.8.0-1] a remaining length of 5 bytes closes the connection', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      // PUBLISH with five length bytes (at most four are allowed, §2.2.3).
      bad.sendBytes(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x01, 0x61]));
      await expectPromptClose(bad);
      await b.stillServes();
    });

    it.each([0, 15])('[MQTT-4.8.0-1] reserved packet type %i closes the connection', async (type) => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      bad.sendBytes(Buffer.from([type << 4, 0x00]));
      await expectPromptClose(bad);
      await b.stillServes();
    });

    it.each(['+', '#', 'x/+/y'])(
      '[MQTT-3.3.2-2] PUBLISH to a topic name with a wildcard (%s) closes and is not delivered',
      async (suffix) => {
        const b = await bystander(transport, version);
        const bad = await badClient(transport, version);
        const topic = `${b.prefix}/${suffix}`;
        bad.sendBytes(
          mqttPacket.generate({
            cmd: 'publish',
            topic,
            payload: Buffer.from('wild'),
            qos: 1,
            messageId: 1,
            dup: false,
            retain: false,
          }),
        );
        await expectPromptClose(bad);
        expect(bad.received.filter((p) => p.cmd === 'puback')).toEqual([]);
        await b.stillServes();
      },
    );

    it('[MQTT-4.7.3-1] PUBLISH with an empty topic name closes the connection', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      bad.sendBytes(rawPublish(0x32, Buffer.alloc(0), Buffer.from('no-topic'), 1));
      await expectPromptClose(bad);
      expect(bad.received.filter((p) => p.cmd === 'puback')).toEqual([]);
      await b.stillServes();
    });

    it(`a PUBLISH above maxPacketBytes (${MAX_PACKET_BYTES}) closes and is not delivered`, async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      const big = mqttPacket.generate({
        cmd: 'publish',
        topic: `${b.prefix}/big`,
        payload: Buffer.alloc(4096, 0x61),
        qos: 1,
        messageId: 1,
        dup: false,
        retain: false,
      });
      expect(big.length).toBeGreaterThan(4096);
      bad.sendBytes(big);
      await expectPromptClose(bad);
      expect(bad.received.filter((p) => p.cmd === 'puback')).toEqual([]);
      await b.stillServes();
    });

    it('a PUBLISH of exactly maxPacketBytes is accepted and delivered', async () => {
      const b = await bystander(transport, version);
      const ok = await badClient(transport, version);
      const topic = `${b.prefix}/fits`;
      const header = 1 + 2 + 2 + Buffer.byteLength(topic) + 2; // type, 2 length bytes, topic, id
      const packet = mqttPacket.generate({
        cmd: 'publish',
        topic,
        payload: Buffer.alloc(MAX_PACKET_BYTES - header, 0x62),
        qos: 1,
        messageId: 1,
        dup: false,
        retain: false,
      });
      expect(packet.length).toBe(MAX_PACKET_BYTES);
      ok.sendBytes(packet);
      expect((await ok.expect('puback')).messageId).toBe(1);
      const [m] = await b.client.take(1);
      expect(m.topic).toBe(topic);
      expect(m.payload.length).toBe(MAX_PACKET_BYTES - header);
      expect(ok.closed).toBe(false);
      await Promise.all([ok.destroy(), b.client.end()]);
    });

    it('[MQTT-3-8.3-4] SUBSCRIBE requesting QoS 3 closes the connection', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      const filter = Buffer.from(`${b.prefix}/#`);
      const body = Buffer.concat([
        Buffer.from([0x00, 0x01, filter.length >> 8, filter.length & 0xff]),
        filter,
        Buffer.from([0x03]),
      ]);
      bad.sendBytes(Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]));
      await expectPromptClose(bad);
      expect(bad.received.filter((p) => p.cmd === 'suback')).toEqual([]);
      await b.stillServes();
    });

    it('[MQTT-3.3.1-4] PUBLISH with both QoS bits set closes and is not delivered', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      bad.sendBytes(rawPublish(0x36, Buffer.from(`${b.prefix}/qos3`), Buffer.from('qos3'), 1));
      await expectPromptClose(bad);
      await b.stillServes();
    });

    it.each(badTopicBytes)(
      '[MQTT-1.5.3-1] [MQTT-1.5.3-2] PUBLISH with topic bytes %s closes and is not delivered',
      async (_name, tail) => {
        const b = await bystander(transport, version);
        const bad = await badClient(transport, version);
        bad.sendBytes(rawPublish(0x32, topicWith(b.prefix, tail), Buffer.from('bad-utf8'), 1));
        await expectPromptClose(bad);
        expect(bad.received.filter((p) => p.cmd === 'puback')).toEqual([]);
        await b.stillServes();
      },
    );

    it('a topic with U+FFFD well encoded (EF BF BD) is accepted and delivered', async () => {
      const b = await bystander(transport, version);
      const ok = await badClient(transport, version);
      const topic = `${b.prefix}/\ufffd`;
      ok.sendBytes(rawPublish(0x32, Buffer.from(topic), Buffer.from('replacement'), 1));
      expect((await ok.expect('puback')).messageId).toBe(1);
      const [m] = await b.client.take(1);
      expect(m.topic).toBe(topic);
      expect(ok.closed).toBe(false);
      await Promise.all([ok.destroy(), b.client.end()]);
    });

    it('[MQTT-1.5.3-1] a CONNECT whose client id holds C3 28 is closed without a CONNACK', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version, false);
      bad.sendBytes(connectBytes({ level: version, clientId: Buffer.from([0x62, 0x61, 0x64, 0xc3, 0x28]) }));
      await expectPromptClose(bad);
      expect(bad.received).toEqual([]);
      await b.stillServes();
    });

    it('[MQTT-1.5.3-1] a CONNECT whose will topic holds ED A0 80 is closed without a CONNACK or will', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version, false);
      const will = { topic: topicWith(b.prefix, [0xed, 0xa0, 0x80]), payload: Buffer.from('bad-will') };
      bad.sendBytes(connectBytes({ level: version, clientId: Buffer.from(unique('bad')), will }));
      await expectPromptClose(bad);
      expect(bad.received).toEqual([]);
      // stillServes: the will did not reach the bystander, subscribed to `<prefix>/#`.
      await b.stillServes();
    });

    it('a CONNECT with U+FFFD well encoded and non-ASCII in its strings is accepted, its will kept', async () => {
      const b = await bystander(transport, version);
      const ok = await badClient(transport, version, false);
      const willTopic = `${b.prefix}/température/\ufffd`;
      ok.sendBytes(
        connectBytes({
          level: version,
          clientId: Buffer.from(`\ufffd-é-${randomBytes(3).toString('hex')}`),
          will: { topic: Buffer.from(willTopic), payload: Buffer.from('will') },
          username: Buffer.from('üser-\ufffd'),
        }),
      );
      expect((await ok.expect('connack')).returnCode).toBe(0);
      // Dropped without DISCONNECT: the will goes out, its topic read as sent.
      await ok.destroy();
      const [m] = await b.client.take(1);
      expect(`${m.topic} ${m.payload}`).toBe(`${willTopic} will`);
      await b.client.end();
    });

    it.each(badFilterBytes)(
      '[MQTT-1.5.3-1] [MQTT-1.5.3-2] SUBSCRIBE with filter bytes %s closes, no SUBACK',
      async (_name, tail) => {
        const b = await bystander(transport, version);
        const bad = await badClient(transport, version);
        bad.sendBytes(rawFilters(true, [Buffer.from(`${b.prefix}/ok/#`), topicWith(b.prefix, tail)]));
        await expectPromptClose(bad);
        expect(bad.received.filter((p) => p.cmd === 'suback')).toEqual([]);
        await b.stillServes();
      },
    );

    it('[MQTT-1.5.3-1] UNSUBSCRIBE with filter bytes C3 28 closes, no UNSUBACK', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      bad.sendBytes(rawFilters(false, [Buffer.from(`${b.prefix}/ok/#`), topicWith(b.prefix, [0xc3, 0x28])]));
      await expectPromptClose(bad);
      expect(bad.received.filter((p) => p.cmd === 'unsuback')).toEqual([]);
      await b.stillServes();
    });

    it('SUBSCRIBE and UNSUBSCRIBE to température/# and U+FFFD well encoded are accepted', async () => {
      const b = await bystander(transport, version);
      const ok = await badClient(transport, version);
      const filters = [Buffer.from(`${b.prefix}/température/#`), Buffer.from(`${b.prefix}/\ufffd`)];
      ok.sendBytes(rawFilters(true, filters));
      expect((await ok.expect('suback')).granted).toEqual([1, 1]);
      await b.client.client.publishAsync(`${b.prefix}/température/salle`, '21', { qos: 1 });
      const m = await ok.expect('publish');
      expect(`${m.topic} ${m.payload}`).toBe(`${b.prefix}/température/salle 21`);
      ok.send({ cmd: 'puback', messageId: m.messageId });
      ok.sendBytes(rawFilters(false, filters));
      expect((await ok.expect('unsuback')).messageId).toBe(1);
      expect(ok.closed).toBe(false);
      await Promise.all([ok.destroy(), b.client.end()]);
    });

    it.each([
      [1, 0x32],
      [2, 0x34],
    ])(
      '[MQTT-2.3.1-1] a QoS %i PUBLISH with packet id 0 closes, unacknowledged and not delivered',
      async (_qos, first) => {
        const b = await bystander(transport, version);
        const bad = await badClient(transport, version);
        bad.sendBytes(rawPublish(first, Buffer.from(`${b.prefix}/id0`), Buffer.from('id0'), 0));
        await expectPromptClose(bad);
        expect(bad.received.filter((p) => p.cmd === 'puback' || p.cmd === 'pubrec')).toEqual([]);
        await b.stillServes();
      },
    );

    it('[MQTT-3.3.1-2] a QoS 0 PUBLISH with DUP set closes and is not delivered', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version);
      bad.sendBytes(rawPublish(0x38, Buffer.from(`${b.prefix}/dup0`), Buffer.from('dup0')));
      await expectPromptClose(bad);
      await b.stillServes();
    });

    it('[MQTT-3.1.0-1] a packet other than CONNECT first closes the connection', async () => {
      const b = await bystander(transport, version);
      const bad = await badClient(transport, version, false);
      bad.sendBytes(mqttPacket.generate({ cmd: 'pingreq' }));
      await expectPromptClose(bad);
      expect(bad.received).toEqual([]);
      await b.stillServes();
    });
  });

  it('[MQTT-3.1.0-1] an HTTP request line on the MQTT connection closes it', async () => {
    const b = await bystander(transport, 4);
    const bad = await badClient(transport, 4, false);
    // Only the request line: 'G' is no CONNECT, so the node need not wait for more.
    bad.sendBytes(Buffer.from('GET / HTTP/1.1\r\n'));
    await expectPromptClose(bad);
    expect(bad.received).toEqual([]);
    await b.stillServes();
  });

  it('[MQTT-3.1.0-1] a whole HTTP request on the MQTT connection closes it', async () => {
    const b = await bystander(transport, 4);
    const bad = await badClient(transport, 4, false);
    bad.sendBytes(
      Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n'),
    );
    await expectPromptClose(bad);
    expect(bad.received).toEqual([]);
    await b.stillServes();
  });

  it('[MQTT-3.1.0-1] random bytes before CONNECT close the connection', async () => {
    const b = await bystander(transport, 4);
    const bad = await badClient(transport, 4, false);
    const garbage = randomBytes(64);
    // Packet type 0 (never a CONNECT) claiming more bytes than follow: the node can tell
    // from the first byte, and must not wait for the rest.
    garbage[0] &= 0x0f;
    garbage[1] = 0x7f;
    bad.sendBytes(garbage);
    await expectPromptClose(bad);
    expect(bad.received).toEqual([]);
    await b.stillServes();
  });

  it(`a connection that sends nothing is closed after connectTimeoutMs (${CONNECT_TIMEOUT_MS} ms)`, async () => {
    const idle = await RawClient.open(slowNode(), transport);
    expect(await idle.waitClosed(CONNECT_TIMEOUT_MS + 2000)).toBe(true);
    const after = idle.closedAtMs! - idle.openedAtMs;
    expect(after).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(CONNECT_TIMEOUT_MS + 1500);
    // The node still accepts and serves connections.
    const ok = await connectClient(urlFor(slowNode(), transport), { clientId: unique('after-idle') });
    await ok.client.subscribeAsync('mal/idle/x', { qos: 1 });
    await ok.client.publishAsync('mal/idle/x', 'fine', { qos: 1 });
    await ok.take(1);
    await ok.end();
  });

  it('a connection that sent CONNECT is not closed by connectTimeoutMs', async () => {
    const raw = await RawClient.open(slowNode(), transport);
    expect((await raw.connect({ clientId: unique('connected') })).returnCode).toBe(0);
    await sleep(CONNECT_TIMEOUT_MS + 300);
    expect(raw.closed).toBe(false);
    raw.send({ cmd: 'pingreq' });
    await raw.expect('pingresp');
    await raw.destroy();
  });
});

// 5.0: the same rules with a DISCONNECT that says why, whether the PUBLISH is read by the
// fast codec (no properties) or by mqtt-packet (with properties).
const MALFORMED_PACKET = 0x81;
const paths = [
  { name: 'without properties', properties: Buffer.alloc(0) },
  { name: 'with properties', properties: Buffer.from([0x01, 0x00]) }, // Payload Format Indicator 0
];

describe.each(transports)('malformed input at MQTT 5.0 over %s', (transport) => {
  describe.each(paths)('PUBLISH $name', ({ properties }) => {
    async function bad5(): Promise<RawClient> {
      const { raw, connack } = await rawConnect(node(), transport, 5, { clientId: unique('bad5') });
      expect(connack.reasonCode).toBe(0);
      return raw;
    }

    it.each(badTopicBytes)(
      '[MQTT-1.5.4-1] [MQTT-1.5.4-2] topic bytes %s: DISCONNECT 0x81, not delivered',
      async (_name, tail) => {
        const b = await bystander(transport, 5);
        const bad = await bad5();
        bad.sendBytes(rawPublish(0x32, topicWith(b.prefix, tail), Buffer.from('bad-utf8'), 1, properties));
        expect((await bad.serverDisconnect(PROMPT_CLOSE_MS)).reasonCode).toBe(MALFORMED_PACKET);
        expect(bad.untaken('puback')).toEqual([]);
        await b.stillServes();
      },
    );

    it('a topic with U+FFFD well encoded (EF BF BD) is accepted and delivered', async () => {
      const b = await bystander(transport, 5);
      const ok = await bad5();
      const topic = `${b.prefix}/\ufffd`;
      ok.sendBytes(rawPublish(0x32, Buffer.from(topic), Buffer.from('replacement'), 1, properties));
      expect((await ok.next('puback')).messageId).toBe(1);
      const [m] = await b.client.take(1);
      expect(m.topic).toBe(topic);
      expect(ok.closed).toBe(false);
      await Promise.all([ok.end(), b.client.end()]);
    });

    it('[MQTT-2.2.1-3] a QoS 1 PUBLISH with packet id 0: DISCONNECT 0x82, no PUBACK', async () => {
      const b = await bystander(transport, 5);
      const bad = await bad5();
      bad.sendBytes(rawPublish(0x32, Buffer.from(`${b.prefix}/id0`), Buffer.from('id0'), 0, properties));
      expect((await bad.serverDisconnect(PROMPT_CLOSE_MS)).reasonCode).toBe(RC.protocolError);
      expect(bad.untaken('puback')).toEqual([]);
      await b.stillServes();
    });

    it('[MQTT-3.3.1-2] a QoS 0 PUBLISH with DUP set: DISCONNECT 0x81, not delivered', async () => {
      const b = await bystander(transport, 5);
      const bad = await bad5();
      bad.sendBytes(
        rawPublish(0x38, Buffer.from(`${b.prefix}/dup0`), Buffer.from('dup0'), undefined, properties),
      );
      expect((await bad.serverDisconnect(PROMPT_CLOSE_MS)).reasonCode).toBe(MALFORMED_PACKET);
      await b.stillServes();
    });
  });
});

// 5.0: the strings of CONNECT (behind the CONNECT and will properties), SUBSCRIBE and
// UNSUBSCRIBE (behind theirs). A malformed CONNECT is closed without a CONNACK, as when
// mqtt-packet refuses one; once connected, a malformed packet gets DISCONNECT 0x81.
describe.each(transports)('malformed strings at MQTT 5.0 over %s', (transport) => {
  /** CONNECT properties: session expiry 60 s, a user property. */
  const connectProperties = Buffer.concat([Buffer.from([0x11, 0x00, 0x00, 0x00, 0x3c]), USER_PROPERTY_KV]);
  /** Will properties: will delay 0, payload format 1 (UTF-8), content type. */
  const willProperties = Buffer.from([0x18, 0, 0, 0, 0, 0x01, 0x01, 0x03, 0x00, 0x02, 0x74, 0x2f]);

  async function bad5(): Promise<RawClient> {
    const { raw, connack } = await rawConnect(node(), transport, 5, { clientId: unique('bad5') });
    expect(connack.reasonCode).toBe(0);
    return raw;
  }

  it('[MQTT-1.5.4-1] a CONNECT whose client id holds C3 28 is closed without a CONNACK', async () => {
    const b = await bystander(transport, 5);
    const bad = await RawClient.open(node(), transport, 5);
    const clientId = Buffer.from([0x62, 0x61, 0x64, 0xc3, 0x28]);
    bad.sendBytes(connectBytes({ level: 5, clientId, properties: connectProperties }));
    expect(await bad.waitClosed(PROMPT_CLOSE_MS)).toBe(true);
    expect(bad.received).toEqual([]);
    await b.stillServes();
  });

  it('[MQTT-1.5.4-1] a CONNECT whose will topic holds ED A0 80 is closed without a CONNACK or will', async () => {
    const b = await bystander(transport, 5);
    const bad = await RawClient.open(node(), transport, 5);
    const will = {
      topic: topicWith(b.prefix, [0xed, 0xa0, 0x80]),
      payload: Buffer.from('bad-will'),
      properties: willProperties,
    };
    bad.sendBytes(
      connectBytes({ level: 5, clientId: Buffer.from(unique('bad5')), properties: connectProperties, will }),
    );
    expect(await bad.waitClosed(PROMPT_CLOSE_MS)).toBe(true);
    expect(bad.received).toEqual([]);
    await b.stillServes();
  });

  it('a CONNECT with properties and U+FFFD well encoded and non-ASCII in its strings is accepted', async () => {
    const b = await bystander(transport, 5);
    const ok = await RawClient.open(node(), transport, 5);
    const willTopic = `${b.prefix}/température/\ufffd`;
    ok.sendBytes(
      connectBytes({
        level: 5,
        clientId: Buffer.from(`\ufffd-é-${randomBytes(3).toString('hex')}`),
        properties: connectProperties,
        will: { topic: Buffer.from(willTopic), payload: Buffer.from('will'), properties: willProperties },
        username: Buffer.from('üser-\ufffd'),
      }),
    );
    expect((await ok.next('connack')).reasonCode).toBe(0);
    await ok.destroy();
    const [m] = await b.client.take(1);
    expect(`${m.topic} ${m.payload}`).toBe(`${willTopic} will`);
    await b.client.end();
  });

  it.each(badFilterBytes)(
    '[MQTT-1.5.4-1] [MQTT-1.5.4-2] SUBSCRIBE with properties and filter bytes %s: DISCONNECT 0x81, no SUBACK',
    async (_name, tail) => {
      const b = await bystander(transport, 5);
      const bad = await bad5();
      bad.sendBytes(
        rawFilters(true, [Buffer.from(`${b.prefix}/ok/#`), topicWith(b.prefix, tail)], USER_PROPERTY_KV),
      );
      expect((await bad.serverDisconnect(PROMPT_CLOSE_MS)).reasonCode).toBe(MALFORMED_PACKET);
      expect(bad.untaken('suback')).toEqual([]);
      await b.stillServes();
    },
  );

  it('[MQTT-1.5.4-1] UNSUBSCRIBE with filter bytes C3 28: DISCONNECT 0x81, no UNSUBACK', async () => {
    const b = await bystander(transport, 5);
    const bad = await bad5();
    const filters = [Buffer.from(`${b.prefix}/ok/#`), topicWith(b.prefix, [0xc3, 0x28])];
    bad.sendBytes(rawFilters(false, filters, Buffer.alloc(0)));
    expect((await bad.serverDisconnect(PROMPT_CLOSE_MS)).reasonCode).toBe(MALFORMED_PACKET);
    expect(bad.untaken('unsuback')).toEqual([]);
    await b.stillServes();
  });

  it('SUBSCRIBE and UNSUBSCRIBE with properties to température/# and U+FFFD are accepted', async () => {
    const b = await bystander(transport, 5);
    const ok = await bad5();
    const filters = [Buffer.from(`${b.prefix}/température/#`), Buffer.from(`${b.prefix}/\ufffd`)];
    ok.sendBytes(rawFilters(true, filters, USER_PROPERTY_KV));
    expect((await ok.next('suback')).granted).toEqual([1, 1]);
    await b.client.client.publishAsync(`${b.prefix}/\ufffd`, 'fffd', { qos: 1 });
    const m = await ok.next('publish');
    expect(`${m.topic} ${m.payload}`).toBe(`${b.prefix}/\ufffd fffd`);
    ok.send({ cmd: 'puback', messageId: m.messageId });
    ok.sendBytes(rawFilters(false, filters, USER_PROPERTY_KV));
    expect((await ok.next('unsuback')).granted).toEqual([0, 0]);
    expect(ok.closed).toBe(false);
    await Promise.all([ok.end(), b.client.end()]);
  });
});

describe('malformed input over ws only', () => {
  it.each(protocolLevels)(
    '[MQTT-6.0.0-1] a WebSocket text frame at MQTT $name closes with 1003',
    async ({ options }) => {
      const version = options.protocolVersion;
      const b = await bystander('ws', version);
      const bad = await badClient('ws', version);
      bad.sendText('hello');
      await expectPromptClose(bad);
      expect(bad.closeCode).toBe(1003);
      await b.stillServes();
    },
  );

  it('[MQTT-6.0.0-1] a WebSocket text frame before CONNECT closes with 1003', async () => {
    const bad = await badClient('ws', 4, false);
    bad.sendText('\u0010\u0000');
    await expectPromptClose(bad);
    expect(bad.closeCode).toBe(1003);
  });
});
