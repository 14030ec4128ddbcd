// MQTT 5.0 CONNECT / CONNACK on the wire (OASIS MQTT 5.0 §3.1, §3.2, §3.14, §4.13): session
// expiry (and changing it at DISCONNECT), the limits each side announces and the node
// enforces (receive maximum, maximum packet size, topic aliases, keep-alive), what CONNACK
// tells the client (capped values, features, response information, assigned id), and the
// reason codes of a server DISCONNECT. Real MQTT.js 5.0 clients where they can express the
// case, raw mqtt-packet 5.0 packets where they cannot.
import { sleep, waitFor } from '@edgemq/testkit';
import type { IDisconnectPacket, IPublishPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { connect5, endAll, RC } from './helpers/mqtt5.js';
import { type ConnectFields, RawClient, rawConnect } from './helpers/raw-client.js';
import { type TestNode, transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();
/** Tight limits: receive maximum 2, topic alias maximum 4, 2 KiB packets, aliases towards clients. */
const limits = useTestNode({
  mqtt: { receiveMaximum: 2, topicAliasMaximum: 4, maxPacketBytes: 2048, outboundTopicAliases: true },
});
/** Optional features switched off; session expiry capped at 1 s. */
const off = useTestNode({
  mqtt: {
    sharedSubscriptions: false,
    subscriptionIdentifiers: false,
    wildcardSubscriptions: false,
    maxSessionExpirySec: 1,
  },
});
/** Keep-alive capped at 2 s. */
const keepAliveNode = useTestNode({ mqtt: { maxKeepAliveSec: 2 } });

describe.each(transports)('MQTT 5.0 CONNECT over %s', (transport) => {
  const on = (n: TestNode, options: Parameters<typeof connect5>[1] = {}) =>
    connect5(urlFor(n, transport), { clientId: unique('c5'), ...options });
  const raw = (n: TestNode, fields: ConnectFields) => rawConnect(n, transport, 5, fields);

  describe('session expiry interval', () => {
    /** A persistent-looking subscriber that subscribed to `topic` at QoS 1 and went away. */
    async function subscribeAndLeave(clientId: string, topic: string, sessionExpiryInterval: number) {
      const first = await on(node(), { clientId, clean: false, properties: { sessionExpiryInterval } });
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();
    }

    it('[MQTT-3.1.2-11] [MQTT-3.2.2-2] expiry 0 ends the session when the connection closes', async () => {
      const id = unique('exp0');
      const topic = `s5/${id}`;
      await subscribeAndLeave(id, topic, 0);
      const pub = await on(node());
      await pub.client.publishAsync(topic, 'while-away', { qos: 1 });
      const again = await on(node(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      expect(again.connack.sessionPresent).toBe(false);
      await pub.client.publishAsync(topic, 'after', { qos: 1 });
      await sleep(300);
      // Neither the queued message nor the old subscription survived.
      expect(again.payloads()).toEqual([]);
      await endAll(again, pub);
    });

    it('[MQTT-3.1.2-23] [MQTT-3.2.2-3] expiry > 0 keeps the session: session present 1 and queued QoS 1 delivered', async () => {
      const id = unique('exp60');
      const topic = `s5/${id}`;
      await subscribeAndLeave(id, topic, 60);
      const pub = await on(node());
      await pub.client.publishAsync(topic, 'queued', { qos: 1 });
      const again = await on(node(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      expect(again.connack.sessionPresent).toBe(true);
      const [m] = await again.take(1);
      expect([m.topic, m.payload.toString(), m.qos]).toEqual([topic, 'queued', 1]);
      await endAll(again, pub);
    });

    it('[MQTT-3.1.2-23] the session is gone once its expiry interval (1 s) has passed', async () => {
      const id = unique('exp1');
      const topic = `s5/${id}`;
      await subscribeAndLeave(id, topic, 1);
      const pub = await on(node());
      await pub.client.publishAsync(topic, 'queued', { qos: 1 });
      await sleep(1600);
      const again = await on(node(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      expect(again.connack.sessionPresent).toBe(false);
      await sleep(300);
      expect(again.payloads()).toEqual([]);
      await endAll(again, pub);
    });

    it('[MQTT-3.1.2-23] expiry 0xFFFFFFFF never expires (still present after 1.5 s)', async () => {
      const id = unique('expmax');
      const topic = `s5/${id}`;
      await subscribeAndLeave(id, topic, 0xffffffff);
      await sleep(1500);
      const pub = await on(node());
      await pub.client.publishAsync(topic, 'kept', { qos: 1 });
      const again = await on(node(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      expect(again.connack.sessionPresent).toBe(true);
      expect((await again.take(1))[0].payload.toString()).toBe('kept');
      await endAll(again, pub);
    });

    it('[MQTT-3.14.2-1] DISCONNECT may lower the session expiry: 10 at CONNECT, 0 at DISCONNECT ends the session', async () => {
      const id = unique('disc0');
      const topic = `s5/${id}`;
      const first = await on(node(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 10 },
      });
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
      const pub = await on(node());
      await pub.client.publishAsync(topic, 'while-away', { qos: 1 });
      const again = await on(node(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 10 },
      });
      expect(again.connack.sessionPresent).toBe(false);
      await sleep(300);
      expect(again.payloads()).toEqual([]);
      await endAll(again, pub);
    });

    it('[MQTT-3.14.2-2] expiry 0 at CONNECT then > 0 at DISCONNECT is a protocol error: DISCONNECT 0x82', async () => {
      const id = unique('disc-up');
      const { raw: client, connack } = await raw(node(), { clientId: id, clean: false });
      expect(connack.reasonCode).toBe(RC.success);
      client.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 10 } });
      const disconnect = await client.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.protocolError);
      expect(disconnect.properties?.reasonString).toEqual(expect.any(String));
      // The session still ended with the connection.
      const { raw: again, connack: second } = await raw(node(), { clientId: id, clean: false });
      expect(second.sessionPresent).toBe(false);
      await again.end();
    });

    it('[MQTT-3.2.2-?] maxSessionExpirySec caps the interval and CONNACK returns the capped value', async () => {
      const id = unique('cap');
      const topic = `s5/${id}`;
      const first = await on(off(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 3600 },
      });
      expect(first.connack.properties?.sessionExpiryInterval).toBe(1);
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();
      await sleep(1600);
      const again = await on(off(), {
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 3600 },
      });
      // Capped at 1 s, so the session did not survive 1.6 s away.
      expect(again.connack.sessionPresent).toBe(false);
      await again.end();
    });
  });

  describe('what CONNACK announces', () => {
    it('[MQTT-3.2.2-?] receive maximum, maximum packet size, topic alias maximum and features per config', async () => {
      const plain = await on(node());
      const p = plain.connack.properties ?? {};
      expect([p.receiveMaximum, p.maximumPacketSize, p.topicAliasMaximum]).toEqual([1000, 1_048_576, 16]);
      // Absent means available; the node must not say "not available" for enabled features.
      expect(p.retainAvailable).not.toBe(false);
      expect(p.wildcardSubscriptionAvailable).not.toBe(false);
      expect(p.subscriptionIdentifiersAvailable).not.toBe(false);
      expect(p.sharedSubscriptionAvailable).not.toBe(false);

      const tight = await on(limits());
      const t = tight.connack.properties ?? {};
      expect([t.receiveMaximum, t.maximumPacketSize, t.topicAliasMaximum]).toEqual([2, 2048, 4]);

      const none = await on(off());
      const n = none.connack.properties ?? {};
      expect(n.retainAvailable).not.toBe(false);
      expect(n.wildcardSubscriptionAvailable).toBe(false);
      expect(n.subscriptionIdentifiersAvailable).toBe(false);
      expect(n.sharedSubscriptionAvailable).toBe(false);
      await endAll(plain, tight, none);
    });

    it('[MQTT-3.2.2-?] request response information → CONNACK response information response/<clientId>', async () => {
      const id = unique('resp');
      const asked = await on(node(), { clientId: id, properties: { requestResponseInformation: true } });
      expect(asked.connack.properties?.responseInformation).toBe(`response/${id}`);
      const notAsked = await on(node());
      expect(notAsked.connack.properties?.responseInformation).toBeUndefined();
      await endAll(asked, notAsked);
    });

    it('[MQTT-3.2.2-16] an empty client id gets an assigned client identifier that is really the session id', async () => {
      const { raw: first, connack } = await raw(node(), { clientId: '' });
      expect(connack.reasonCode).toBe(RC.success);
      const assigned = connack.properties?.assignedClientIdentifier;
      expect(assigned).toEqual(expect.any(String));
      expect(assigned!.length).toBeGreaterThan(0);
      // Connecting with the assigned id takes that session over.
      const { raw: second } = await raw(node(), { clientId: assigned! });
      expect((await first.serverDisconnect()).reasonCode).toBe(RC.sessionTakenOver);
      const { raw: third, connack: named } = await raw(node(), { clientId: unique('named') });
      expect(named.properties?.assignedClientIdentifier).toBeUndefined();
      await endAll(second, third);
    });

    it('[MQTT-3.2.2-21] maxKeepAliveSec caps the keep-alive: CONNACK server keep alive 2, enforced at 1.5 × 2 s', async () => {
      const lib = await on(keepAliveNode(), { keepalive: 60 });
      expect(lib.connack.properties?.serverKeepAlive).toBe(2);
      await lib.end();

      const { raw: silent, connack } = await raw(keepAliveNode(), { clientId: unique('ka'), keepalive: 60 });
      expect(connack.properties?.serverKeepAlive).toBe(2);
      const connectedAt = Date.now();
      const disconnect = await silent.serverDisconnect(6000);
      expect(disconnect.reasonCode).toBe(RC.keepAliveTimeout);
      const after = silent.closedAtMs! - connectedAt;
      expect(after).toBeGreaterThanOrEqual(2900);
      expect(after).toBeLessThan(5000);
    });

    it('[MQTT-3.2.2-22] no server keep alive when the client asks for less than the cap', async () => {
      const { raw: client, connack } = await raw(keepAliveNode(), {
        clientId: unique('ka-ok'),
        keepalive: 1,
      });
      expect(connack.properties?.serverKeepAlive).toBeUndefined();
      await client.end();
    });

    it('[MQTT-3.1.2-?] an authentication method is refused: CONNACK 0x8C and close', async () => {
      const { raw: client, connack } = await raw(node(), {
        clientId: unique('auth'),
        properties: { authenticationMethod: 'SCRAM-SHA-256' },
      });
      expect(connack.reasonCode).toBe(RC.badAuthenticationMethod);
      expect(await client.waitClosed()).toBe(true);
    });
  });

  describe('invalid CONNECT properties', () => {
    it.each([
      { name: '§3.1.2.11.3 receive maximum 0', properties: { receiveMaximum: 0 } },
      { name: '§3.1.2.11.4 maximum packet size 0', properties: { maximumPacketSize: 0 } },
    ])('$name is a protocol error: the connection is refused', async ({ properties }) => {
      const client = await RawClient.open(node(), transport, 5);
      client.send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: unique('badprop'),
        properties,
      });
      const closed = await client.waitClosed(2000);
      const connacks = client.untaken('connack');
      await client.destroy();
      expect(closed).toBe(true);
      // Either no CONNACK at all, or a refusal.
      for (const p of connacks)
        expect(p.cmd === 'connack' && (p.reasonCode ?? 0)).toBeGreaterThanOrEqual(0x80);
    });
  });

  describe('receive maximum', () => {
    it("[MQTT-3.3.4-9] the node never has more unacknowledged QoS 1 PUBLISHes out than the client's receive maximum", async () => {
      const topic = `rm/${unique('t')}`;
      const { raw: slow } = await raw(node(), { clientId: unique('rm'), properties: { receiveMaximum: 2 } });
      await slow.subscribe([{ topic, qos: 1 }]);
      const pub = await on(node());
      for (let i = 0; i < 5; i++) await pub.client.publishAsync(topic, `m${i}`, { qos: 1 });
      const firstTwo = await slow.takeFor(400, 'publish');
      expect(firstTwo.map((p) => p.payload.toString())).toEqual(['m0', 'm1']);
      slow.send({ cmd: 'puback', messageId: firstTwo[0].messageId });
      const third = await slow.takeFor(300, 'publish');
      expect(third.map((p) => p.payload.toString())).toEqual(['m2']);
      slow.autoAck = true;
      slow.send({ cmd: 'puback', messageId: firstTwo[1].messageId });
      slow.send({ cmd: 'puback', messageId: third[0].messageId });
      const rest = await slow.takeFor(300, 'publish');
      expect(rest.map((p) => p.payload.toString())).toEqual(['m3', 'm4']);
      await endAll(slow, pub);
    });

    it("[MQTT-3.3.4-8] a client with more QoS 2 PUBLISHes unacknowledged than the node's receive maximum (2) gets DISCONNECT 0x93", async () => {
      const topic = `rm/${unique('q2')}`;
      const { raw: client } = await raw(limits(), { clientId: unique('rm2') });
      for (const messageId of [1, 2]) {
        client.send({
          cmd: 'publish',
          topic,
          payload: Buffer.from('x'),
          qos: 2,
          messageId,
          retain: false,
          dup: false,
        });
      }
      // Two outstanding (no PUBREL) are within the limit.
      expect((await client.next('pubrec')).messageId).toBe(1);
      expect((await client.next('pubrec')).messageId).toBe(2);
      client.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from('x'),
        qos: 2,
        messageId: 3,
        retain: false,
        dup: false,
      });
      const disconnect = await client.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.receiveMaximumExceeded);
      expect(client.untaken('pubrec')).toEqual([]);
    });

    it("[MQTT-3.3.4-7] QoS 1 PUBLISHes arriving together past the node's receive maximum (2) wait for the stores in progress: all acknowledged, no DISCONNECT", async () => {
      const topic = `rm/${unique('q1')}`;
      const { raw: client } = await raw(limits(), { clientId: unique('rm1') });
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
      // Two at once are fine.
      client.sendTogether([publish(1), publish(2)]);
      await client.next('puback');
      await client.next('puback');
      // MQTT.js 5 ignores the receive maximum; the node takes two at a time instead of disconnecting.
      client.sendTogether([publish(3), publish(4), publish(5)]);
      const acks = [await client.next('puback'), await client.next('puback'), await client.next('puback')];
      expect(acks.map((ack) => ack.messageId)).toEqual([3, 4, 5]);
      expect(client.untaken('disconnect')).toEqual([]);
    });
  });

  describe('maximum packet size', () => {
    it("[MQTT-3.1.2-25] the node never sends a packet larger than the client's maximum packet size (200 bytes)", async () => {
      const topic = `mps/${unique('t')}`;
      const small = await on(node(), { properties: { maximumPacketSize: 200 } });
      await small.client.subscribeAsync(topic, { qos: 1 });
      const big = await on(node());
      await big.client.subscribeAsync(topic, { qos: 1 });
      const before = node().status().counters.droppedTooLarge;
      const pub = await on(node());
      await pub.client.publishAsync(topic, Buffer.alloc(1024, 0x61), { qos: 1 });
      await pub.client.publishAsync(topic, 'small', { qos: 1 });
      expect((await big.take(2)).map((m) => m.payload.length)).toEqual([1024, 5]);
      const [m] = await small.take(1);
      expect(m.payload.toString()).toBe('small');
      await sleep(100);
      expect(small.messages).toHaveLength(1);
      expect(small.closed).toBe(false);
      expect(node().status().counters.droppedTooLarge - before).toBe(1);
      await endAll(small, big, pub);
    });

    it("[MQTT-3.14.2-3] [MQTT-3.1.2-24] a server DISCONNECT leaves out the reason string rather than exceed the client's maximum packet size", async () => {
      const id = unique('tiny');
      const { raw: client, connack } = await raw(node(), {
        clientId: id,
        properties: { maximumPacketSize: 32 },
      });
      expect(connack.reasonCode).toBe(RC.success);
      client.send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: id,
      });
      const disconnect = (await client.serverDisconnect()) as IDisconnectPacket & { length: number };
      expect(disconnect.reasonCode).toBe(RC.protocolError);
      // Fixed header (2 bytes here) + remaining length.
      expect(2 + disconnect.length).toBeLessThanOrEqual(32);
    });

    it("[MQTT-3.2.2-?] a packet above the node's maximum packet size (2048) gets DISCONNECT 0x95", async () => {
      const topic = `mps/${unique('in')}`;
      const { raw: client, connack } = await raw(limits(), { clientId: unique('mps') });
      expect(connack.properties?.maximumPacketSize).toBe(2048);
      const publish = (size: number, messageId: number) =>
        ({
          cmd: 'publish',
          topic,
          payload: Buffer.alloc(size),
          qos: 1,
          messageId,
          retain: false,
          dup: false,
        }) as const;
      client.send(publish(1000, 1));
      expect((await client.next('puback')).messageId).toBe(1);
      client.send(publish(4096, 2));
      const disconnect = await client.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.packetTooLarge);
    });
  });

  describe('topic aliases', () => {
    it('[MQTT-3.3.2-12] client → node: an alias set with a topic is then used with an empty topic', async () => {
      const topic = `ta/${unique('t')}`;
      const sub = await on(node());
      await sub.client.subscribeAsync(`${topic}/#`, { qos: 1 });
      const pub = await on(node());
      await pub.client.publishAsync(`${topic}/x`, 'one', { qos: 1, properties: { topicAlias: 3 } });
      await pub.client.publishAsync('', 'two', { qos: 1, properties: { topicAlias: 3 } });
      await pub.client.publishAsync(`${topic}/y`, 'three', { qos: 1, properties: { topicAlias: 3 } });
      await pub.client.publishAsync('', 'four', { qos: 1, properties: { topicAlias: 3 } });
      const got = await sub.take(4);
      expect(got.map((m) => [m.topic, m.payload.toString()])).toEqual([
        [`${topic}/x`, 'one'],
        [`${topic}/x`, 'two'],
        [`${topic}/y`, 'three'],
        [`${topic}/y`, 'four'],
      ]);
      await endAll(sub, pub);
    });

    it.each([0, 5])(
      '[MQTT-3.3.2-9] [MQTT-3.3.2-10] topic alias %i (0 or above the maximum 4) gets DISCONNECT 0x94',
      async (alias) => {
        const { raw: client } = await raw(limits(), { clientId: unique('ta-bad') });
        client.send({
          cmd: 'publish',
          topic: `ta/${unique('t')}`,
          payload: Buffer.from('x'),
          qos: 0,
          retain: false,
          dup: false,
          properties: { topicAlias: alias },
        });
        const disconnect = await client.serverDisconnect();
        expect(disconnect.reasonCode).toBe(RC.topicAliasInvalid);
      },
    );

    it('[MQTT-3.3.4-?] an alias never set, with an empty topic, gets DISCONNECT 0x82', async () => {
      const { raw: client } = await raw(limits(), { clientId: unique('ta-unknown') });
      client.send({
        cmd: 'publish',
        topic: '',
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { topicAlias: 2 },
      });
      const disconnect = await client.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.protocolError);
    });

    it('[MQTT-3.3.2-?] node → client: first PUBLISH carries topic + alias, the next an empty topic + the same alias', async () => {
      const topic = `oa/${unique('t')}`;
      const { raw: sub, connack } = await raw(limits(), {
        clientId: unique('oa'),
        properties: { topicAliasMaximum: 4 },
      });
      expect(connack.reasonCode).toBe(RC.success);
      await sub.subscribe([{ topic: `${topic}/#`, qos: 0 }]);
      const pub = await on(limits());
      for (const [t, body] of [
        ['a', 'one'],
        ['a', 'two'],
        ['b', 'three'],
        ['b', 'four'],
      ]) {
        await pub.client.publishAsync(`${topic}/${t}`, body, { qos: 1 });
      }
      const got: IPublishPacket[] = [];
      for (let i = 0; i < 4; i++) got.push(await sub.next('publish'));
      const [a1, a2, b1, b2] = got;
      expect(a1.topic).toBe(`${topic}/a`);
      expect(a1.properties?.topicAlias).toEqual(expect.any(Number));
      expect(a1.properties!.topicAlias!).toBeGreaterThanOrEqual(1);
      expect(a1.properties!.topicAlias!).toBeLessThanOrEqual(4);
      expect([a2.topic, a2.properties?.topicAlias, a2.payload.toString()]).toEqual([
        '',
        a1.properties!.topicAlias,
        'two',
      ]);
      expect(b1.topic).toBe(`${topic}/b`);
      expect(b1.properties?.topicAlias).not.toBe(a1.properties!.topicAlias);
      expect([b2.topic, b2.properties?.topicAlias]).toEqual(['', b1.properties!.topicAlias]);
      // A real client resolves them back to the topics.
      const lib = await on(limits(), { properties: { topicAliasMaximum: 4 } });
      await lib.client.subscribeAsync(`${topic}/#`, { qos: 1 });
      await pub.client.publishAsync(`${topic}/a`, 'five', { qos: 1 });
      await pub.client.publishAsync(`${topic}/a`, 'six', { qos: 1 });
      expect((await lib.take(2)).map((m) => m.topic)).toEqual([`${topic}/a`, `${topic}/a`]);
      await endAll(sub, pub, lib);
    });

    it("[MQTT-3.3.2-?] node → client: never an alias when the client's topic alias maximum is 0", async () => {
      const topic = `oa/${unique('none')}`;
      const { raw: sub } = await raw(limits(), { clientId: unique('oa0') });
      await sub.subscribe([{ topic, qos: 0 }]);
      const { raw: zero } = await raw(limits(), {
        clientId: unique('oa0x'),
        properties: { topicAliasMaximum: 0 },
      });
      await zero.subscribe([{ topic, qos: 0 }]);
      const pub = await on(limits());
      await pub.client.publishAsync(topic, 'one', { qos: 1 });
      await pub.client.publishAsync(topic, 'two', { qos: 1 });
      for (const client of [sub, zero]) {
        const got = [await client.next('publish'), await client.next('publish')];
        expect(got.map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
          [topic, undefined],
          [topic, undefined],
        ]);
      }
      await endAll(sub, zero, pub);
    });
  });

  describe('server DISCONNECT reason codes', () => {
    it('[MQTT-3.1.4-3] the same client id connecting again: the first client gets DISCONNECT 0x8E', async () => {
      const id = unique('dup');
      const first = await on(node(), { clientId: id });
      const second = await on(node(), { clientId: id });
      await waitFor(() => first.disconnects.length > 0, 3000, 'DISCONNECT to the first client');
      expect(first.disconnects[0].reasonCode).toBe(RC.sessionTakenOver);
      await waitFor(() => first.closed, 3000, 'first client closed');
      expect(second.closed).toBe(false);
      await endAll(first, second);
    });

    it('[MQTT-3.1.2-24] keep-alive timeout (1 s, allowed 1.5 s): DISCONNECT 0x8D with a reason string', async () => {
      const { raw: client } = await raw(node(), { clientId: unique('ka1'), keepalive: 1 });
      const connectedAt = Date.now();
      const disconnect = await client.serverDisconnect(4000);
      expect(disconnect.reasonCode).toBe(RC.keepAliveTimeout);
      expect(disconnect.properties?.reasonString).toEqual(expect.any(String));
      expect(client.closedAtMs! - connectedAt).toBeGreaterThanOrEqual(1400);
    });

    it('[MQTT-3.1.0-2] a second CONNECT is a protocol error: DISCONNECT 0x82 with a reason string', async () => {
      const id = unique('twice');
      const { raw: client } = await raw(node(), { clientId: id });
      client.send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: id,
      });
      const disconnect = await client.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.protocolError);
      expect(disconnect.properties?.reasonString).toEqual(expect.any(String));
      expect(disconnect.properties!.reasonString!.length).toBeGreaterThan(0);
    });

    it('[MQTT-3.3.2-2] a PUBLISH to a wildcard topic (a/+) is a protocol error: DISCONNECT 0x82', async () => {
      const prefix = `wild/${unique('a')}`;
      const sub = await on(node());
      await sub.client.subscribeAsync(`${prefix}/#`, { qos: 0 });
      const { raw: client } = await raw(node(), { clientId: unique('wild') });
      client.send({
        cmd: 'publish',
        topic: `${prefix}/+`,
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
        dup: false,
      });
      const disconnect = await client.serverDisconnect();
      expect(disconnect.reasonCode).toBe(RC.protocolError);
      expect(disconnect.properties?.reasonString).toEqual(expect.any(String));
      await sleep(100);
      expect(sub.payloads()).toEqual([]);
      await sub.end();
    });
  });
});
