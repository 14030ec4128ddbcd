// MQTT 5.0 PUBLISH on the wire (OASIS MQTT 5.0 §3.3, §3.4): the payload format check,
// message expiry while a session is offline (and the remaining interval sent), the
// application properties that must arrive intact, subscription identifiers on delivery,
// and the PUBACK reason codes for "no one subscribed" versus success.
import { sleep } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { connect5, endAll, RC } from './helpers/mqtt5.js';
import { rawConnect } from './helpers/raw-client.js';
import { transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

/** Not valid UTF-8: 0xC3 must be followed by a continuation byte. */
const INVALID_UTF8 = Buffer.from([0x68, 0xc3, 0x28, 0x69]);

describe.each(transports)('MQTT 5.0 PUBLISH over %s', (transport) => {
  const url = () => urlFor(node(), transport);
  const connect = (options: Parameters<typeof connect5>[1] = {}) =>
    connect5(url(), { clientId: unique('p5'), ...options });
  const raw = () => rawConnect(node(), transport, 5, { clientId: unique('raw5') });

  describe('payload format indicator', () => {
    it('[MQTT-3.3.2-4] indicator 1 with invalid UTF-8 at QoS 1: PUBACK 0x99 and not delivered', async () => {
      const topic = `pfi/${unique('q1')}`;
      const sub = await connect();
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const { raw: pub } = await raw();
      pub.send({
        cmd: 'publish',
        topic,
        payload: INVALID_UTF8,
        qos: 1,
        messageId: 1,
        retain: false,
        dup: false,
        properties: { payloadFormatIndicator: true },
      });
      const ack = await pub.next('puback');
      expect([ack.messageId, ack.reasonCode]).toEqual([1, RC.payloadFormatInvalid]);
      // The same bytes without the indicator are fine, and the connection stays open.
      pub.send({
        cmd: 'publish',
        topic,
        payload: INVALID_UTF8,
        qos: 1,
        messageId: 2,
        retain: false,
        dup: false,
      });
      const ok = await pub.next('puback');
      expect([ok.messageId, ok.reasonCode ?? 0]).toEqual([2, RC.success]);
      const [m] = await sub.take(1);
      expect(m.payload).toEqual(INVALID_UTF8);
      expect(m.properties?.payloadFormatIndicator).toBeUndefined();
      await sleep(100);
      expect(sub.messages).toHaveLength(1);
      await endAll(sub, pub);
    });

    it.each([
      [true, 'payload is not valid UTF-8'],
      [false, undefined],
    ])(
      '[MQTT-3.1.2-29] Request Problem Information %s: reason string on the failing PUBACK is %s',
      async (requested, expected) => {
        const { raw: pub } = await rawConnect(node(), transport, 5, {
          clientId: unique('rpi'),
          properties: { requestProblemInformation: requested },
        });
        pub.send({
          cmd: 'publish',
          topic: `pfi/${unique('rpi')}`,
          payload: INVALID_UTF8,
          qos: 1,
          messageId: 7,
          retain: false,
          dup: false,
          properties: { payloadFormatIndicator: true },
        });
        const ack = await pub.next('puback');
        expect(ack.reasonCode).toBe(RC.payloadFormatInvalid);
        expect(ack.properties?.reasonString).toBe(expected);
        await endAll(pub);
      },
    );

    it('[MQTT-3.3.2-4] indicator 1 with invalid UTF-8 at QoS 0: DISCONNECT 0x99 and not delivered', async () => {
      const topic = `pfi/${unique('q0')}`;
      const sub = await connect();
      await sub.client.subscribeAsync(topic, { qos: 0 });
      const { raw: pub } = await raw();
      pub.send({
        cmd: 'publish',
        topic,
        payload: INVALID_UTF8,
        qos: 0,
        retain: false,
        dup: false,
        properties: { payloadFormatIndicator: true },
      });
      const disconnect = await pub.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.payloadFormatInvalid);
      await sleep(100);
      expect(sub.messages).toEqual([]);
      await sub.end();
    });

    it('[MQTT-3.3.2-4] valid UTF-8 with indicator 1 is delivered with the indicator', async () => {
      const topic = `pfi/${unique('ok')}`;
      const sub = await connect();
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const pub = await connect();
      const text = 'héllo ✓ 𝄞';
      await pub.client.publishAsync(topic, text, { qos: 1, properties: { payloadFormatIndicator: true } });
      const [m] = await sub.take(1);
      expect(m.payload.toString('utf8')).toBe(text);
      expect(m.properties?.payloadFormatIndicator).toBe(true);
      await endAll(sub, pub);
    });
  });

  describe('message expiry interval', () => {
    /** A persistent subscriber to `topic` at QoS 1 that has gone offline. */
    async function offlineSubscriber(topic: string): Promise<string> {
      const clientId = unique('offline');
      const sub = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      await sub.client.subscribeAsync(topic, { qos: 1 });
      await sub.end();
      return clientId;
    }

    it('[MQTT-3.3.2-5] a message queued offline with expiry 1 s is not delivered after 2 s', async () => {
      const topic = `exp/${unique('gone')}`;
      const clientId = await offlineSubscriber(topic);
      const pub = await connect();
      const before = node().status().counters.droppedExpired;
      await pub.client.publishAsync(topic, 'short-lived', {
        qos: 1,
        properties: { messageExpiryInterval: 1 },
      });
      await pub.client.publishAsync(topic, 'long-lived', {
        qos: 1,
        properties: { messageExpiryInterval: 60 },
      });
      await sleep(2000);
      await pub.client.publishAsync(topic, 'no-expiry', { qos: 1 });
      const back = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 0 } });
      expect(back.connack.sessionPresent).toBe(true);
      await back.take(2);
      await sleep(200);
      expect(back.payloads()).toEqual(['long-lived', 'no-expiry']);
      expect(node().status().counters.droppedExpired - before).toBe(1);
      await endAll(back, pub);
    });

    it('[MQTT-3.3.2-6] a message queued offline with expiry 10 s arrives with what remains of it', async () => {
      const topic = `exp/${unique('left')}`;
      const clientId = await offlineSubscriber(topic);
      const pub = await connect();
      await pub.client.publishAsync(topic, 'ten', { qos: 1, properties: { messageExpiryInterval: 10 } });
      await sleep(1200);
      const back = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 0 } });
      const [m] = await back.take(1);
      expect(m.payload.toString()).toBe('ten');
      const remaining = m.properties?.messageExpiryInterval;
      expect(remaining).toEqual(expect.any(Number));
      expect(remaining).toBeLessThanOrEqual(9);
      expect(remaining).toBeGreaterThanOrEqual(7);
      await endAll(back, pub);
    });

    it('[MQTT-4.4.0-1] [MQTT-3.3.4-9] an in-flight message that expired while offline does not block the window (receive maximum 1)', async () => {
      const topic = `exp/${unique('inflight')}`;
      const clientId = unique('inflight');
      const fields = {
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 60, receiveMaximum: 1 },
      };
      const { raw: first } = await rawConnect(node(), transport, 5, fields);
      await first.subscribe([{ topic, qos: 1 }]);
      const pub = await connect();
      await pub.client.publishAsync(topic, 'expires', { qos: 1, properties: { messageExpiryInterval: 1 } });
      // Received but never acknowledged: it stays in flight across the disconnect.
      expect((await first.next('publish')).payload.toString()).toBe('expires');
      await first.destroy();
      await pub.client.publishAsync(topic, 'next', { qos: 1 });
      await sleep(1500);
      const { raw: back, connack } = await rawConnect(node(), transport, 5, fields);
      expect(connack.sessionPresent).toBe(true);
      back.autoAck = true;
      const got = await back.takeFor(500, 'publish');
      await Promise.all([back.end(), pub.end()]);
      // A resent copy of the expired message (if any) is a DUP; "next" must follow either way.
      for (const p of got) if (p.payload.toString() === 'expires') expect(p.dup).toBe(true);
      expect(got.map((p) => p.payload.toString())).toContain('next');
    });

    it('[MQTT-3.3.2-6] a live delivery carries the message expiry interval', async () => {
      const topic = `exp/${unique('live')}`;
      const sub = await connect();
      await sub.client.subscribeAsync(topic, { qos: 1 });
      const pub = await connect();
      await pub.client.publishAsync(topic, 'live', { qos: 1, properties: { messageExpiryInterval: 30 } });
      const [m] = await sub.take(1);
      expect(m.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(29);
      expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(30);
      await endAll(sub, pub);
    });
  });

  it('[MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-20] response topic, correlation data, content type and user properties arrive intact', async () => {
    const topic = `props/${unique('t')}`;
    const sub = await connect();
    await sub.client.subscribeAsync(topic, { qos: 1 });
    const pub = await connect();
    const correlationData = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x80, 0x00]);
    await pub.client.publishAsync(topic, '{"a":1}', {
      qos: 1,
      properties: {
        responseTopic: `reply/${topic}`,
        correlationData,
        contentType: 'application/json; charset=utf-8',
        userProperties: { region: 'eu-west', 'trace-id': 'abc123', tag: ['x', 'y', 'z'], empty: '' },
      },
    });
    const [m] = await sub.take(1);
    expect(m.payload.toString()).toBe('{"a":1}');
    expect(m.properties?.responseTopic).toBe(`reply/${topic}`);
    expect(Buffer.from(m.properties!.correlationData!)).toEqual(correlationData);
    expect(m.properties?.contentType).toBe('application/json; charset=utf-8');
    expect(m.properties?.userProperties).toEqual({
      region: 'eu-west',
      'trace-id': 'abc123',
      tag: ['x', 'y', 'z'],
      empty: '',
    });
    await endAll(sub, pub);
  });

  it('[MQTT-3.3.4-3] [MQTT-3.3.4-4] overlapping subscriptions with ids 1 and 2: one message carrying both ids', async () => {
    const prefix = `sid/${unique('t')}`;
    const sub = await connect();
    await sub.client.subscribeAsync(`${prefix}/#`, { qos: 1, properties: { subscriptionIdentifier: 1 } });
    await sub.client.subscribeAsync(`${prefix}/+`, { qos: 1, properties: { subscriptionIdentifier: 2 } });
    const pub = await connect();
    await pub.client.publishAsync(`${prefix}/a`, 'both', { qos: 1 });
    await pub.client.publishAsync(`${prefix}/a/b`, 'only-hash', { qos: 1 });
    const [both, hashOnly] = await sub.take(2);
    expect(both.payload.toString()).toBe('both');
    const ids = both.properties?.subscriptionIdentifier;
    expect(Array.isArray(ids) ? [...ids].sort() : ids).toEqual([1, 2]);
    expect(hashOnly.payload.toString()).toBe('only-hash');
    const single = hashOnly.properties?.subscriptionIdentifier;
    expect(Array.isArray(single) ? single : [single]).toEqual([1]);
    await sleep(100);
    expect(sub.messages).toHaveLength(2);
    await endAll(sub, pub);
  });

  it('[MQTT-3.4.2-?] PUBACK 0x10 when nobody subscribed, 0x00 when someone did', async () => {
    const topic = `ack/${unique('t')}`;
    const { raw: pub } = await raw();
    const publish = (messageId: number) =>
      ({
        cmd: 'publish',
        topic,
        payload: Buffer.from('x'),
        qos: 1,
        messageId,
        retain: false,
        dup: false,
      }) as const;
    pub.send(publish(1));
    const none = await pub.next('puback');
    expect([none.messageId, none.reasonCode]).toEqual([1, RC.noMatchingSubscribers]);
    const sub = await connect();
    await sub.client.subscribeAsync(topic, { qos: 1 });
    pub.send(publish(2));
    const some = await pub.next('puback');
    expect([some.messageId, some.reasonCode ?? 0]).toEqual([2, RC.success]);
    await sub.take(1);
    await endAll(sub, pub);
  });
});
