// The access seam, asked at its three named steps over real sockets: authenticate at
// CONNECT (with what the transport knew: address, WebSocket upgrade request), authorize the
// will and every PUBLISH, authorize every SUBSCRIBE filter. Answers may come synchronously
// or as promises; a refusal is the protocol's own (CONNACK, PUBACK, SUBACK codes).
import type { AccessControl, AuthenticatedClient, ConnectInfo } from '@edgemq/access';
import { waitFor } from '@edgemq/testkit';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { RC } from './helpers/mqtt5.js';
import { type MqttLevel, RawClient } from './helpers/raw-client.js';
import { type TransportName, transports, unique, useTestNode } from './helpers/test-node.js';

/** Users: alice/secret may connect; mallory is known and refused; anyone else anonymous. */
class TestAccess implements AccessControl {
  readonly connects: ConnectInfo[] = [];
  readonly publishAsks: string[] = [];

  authenticate(info: ConnectInfo) {
    this.connects.push(info);
    if (info.username === 'mallory') return { allowed: false as const, reason: 'not-authorized' as const };
    if (info.username === 'alice' && info.password?.toString() !== 'secret') {
      return { allowed: false as const, reason: 'bad-credentials' as const };
    }
    return {
      allowed: true as const,
      client: { protocol: info.protocol, clientId: info.clientId, username: info.username },
    };
  }

  authorizePublish(_client: AuthenticatedClient, topic: string) {
    this.publishAsks.push(topic);
    // slow/… is decided asynchronously, as an HTTP hook would.
    if (topic.startsWith('slow/'))
      return new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20));
    return !topic.startsWith('secret/');
  }

  authorizeSubscribe(_client: AuthenticatedClient, filter: string) {
    return Promise.resolve(!filter.startsWith('secret/'));
  }
}

// MQTT 5.0 reason codes (§2.4) the access steps answer with.
const BAD_USERNAME_OR_PASSWORD = 0x86;
const NOT_AUTHORIZED = 0x87;

const access = new TestAccess();
const node = useTestNode({}, { access });

async function connect(
  transport: TransportName,
  level: MqttLevel,
  fields: Partial<IConnectPacket> & { clientId: string },
): Promise<{ raw: RawClient; connack: IConnackPacket }> {
  // Over WebSocket with a query string, as a browser passing a token would.
  const raw =
    transport === 'ws'
      ? await RawClient.openUrl(`${node().wsUrl}?token=abc`, level)
      : await RawClient.open(node(), transport, level);
  raw.send({
    cmd: 'connect',
    protocolId: level === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: level,
    clean: true,
    keepalive: 0,
    ...fields,
  } as IConnectPacket);
  return { raw, connack: await raw.next('connack') };
}

const refusalCode = (connack: IConnackPacket) => connack.reasonCode ?? connack.returnCode;

describe.each(transports)('access control over %s', (transport) => {
  it('authenticate gets the client id, user name, password and what the transport knew', async () => {
    const clientId = unique('who');
    const { raw, connack } = await connect(transport, 5, {
      clientId,
      username: 'alice',
      password: Buffer.from('secret'),
    });
    expect(connack.reasonCode).toBe(RC.success);
    const info = access.connects.find((c) => c.clientId === clientId);
    expect(info).toMatchObject({
      protocol: 'mqtt',
      transport,
      username: 'alice',
      remoteAddress: '127.0.0.1',
    });
    expect(info?.password?.toString()).toBe('secret');
    if (transport === 'tcp') expect(info?.remotePort).toBeGreaterThan(0);
    else {
      expect(info?.webSocket?.path).toBe('/mqtt');
      expect(info?.webSocket?.query).toBe('token=abc');
      expect(info?.webSocket?.headers['sec-websocket-protocol']).toMatch(/^mqtt/);
    }
    await raw.end();
  });

  it.each([
    [5, 'alice', 'wrong', BAD_USERNAME_OR_PASSWORD],
    [5, 'mallory', 'x', NOT_AUTHORIZED],
    [4, 'alice', 'wrong', 0x04],
    [4, 'mallory', 'x', 0x05],
  ] as const)(
    '[MQTT-3.2.2-6] at level %i, %s with a refused password gets CONNACK %i and is closed',
    async (level, username, password, code) => {
      const { raw, connack } = await connect(transport, level, {
        clientId: unique('refused'),
        username,
        password: Buffer.from(password),
      });
      expect(refusalCode(connack)).toBe(code);
      expect(await raw.waitClosed()).toBe(true);
    },
  );

  it('a will on a topic the client may not publish to refuses the CONNECT with 0x87', async () => {
    const { raw, connack } = await connect(transport, 5, {
      clientId: unique('will'),
      will: { topic: 'secret/will', payload: Buffer.from('x'), qos: 0, retain: false },
    });
    expect(connack.reasonCode).toBe(NOT_AUTHORIZED);
    expect(await raw.waitClosed()).toBe(true);
  });

  it('a refused PUBLISH is not delivered: 5.0 PUBACK 0x87, QoS 0 dropped; allowed ones flow in order, synchronous or not', async () => {
    const sub = await connect(transport, 5, { clientId: unique('sub') });
    sub.raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '#', qos: 1 }] });
    expect((await sub.raw.next('suback')).granted).toEqual([1]);
    const pub = await connect(transport, 5, { clientId: unique('pub') });
    pub.raw.send({
      cmd: 'publish',
      topic: 'secret/a',
      payload: Buffer.from('no'),
      qos: 1,
      messageId: 7,
      retain: false,
      dup: false,
    });
    const refused = await pub.raw.next('puback');
    expect({ id: refused.messageId, code: refused.reasonCode }).toEqual({ id: 7, code: NOT_AUTHORIZED });
    pub.raw.send({
      cmd: 'publish',
      topic: 'secret/b',
      payload: Buffer.from('no'),
      qos: 0,
      retain: false,
      dup: false,
    });
    // An async decision holds the packets behind it: order is kept.
    for (const [i, topic] of ['slow/1', 'open/2', 'slow/3', 'open/4'].entries()) {
      pub.raw.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from(String(i)),
        qos: 0,
        retain: false,
        dup: false,
      });
    }
    await waitFor(() => sub.raw.untaken('publish').length >= 4, 5000);
    const got = sub.raw.untaken('publish').map((p) => (p as { topic: string }).topic);
    expect(got).toEqual(['slow/1', 'open/2', 'slow/3', 'open/4']);
    await Promise.all([sub.raw.end(), pub.raw.end()]);
  });

  it.each([
    [5, NOT_AUTHORIZED],
    [4, 0x80],
  ] as const)(
    'a refused SUBSCRIBE filter at level %i gets %i while the others are granted',
    async (level, code) => {
      const { raw } = await connect(transport, level, { clientId: unique('subs') });
      raw.send({
        cmd: 'subscribe',
        messageId: 3,
        subscriptions: [
          { topic: 'open/#', qos: 1 },
          { topic: 'secret/#', qos: 1 },
          { topic: 'other', qos: 0 },
        ],
      });
      expect((await raw.next('suback')).granted).toEqual([1, code, 0]);
      await raw.end();
    },
  );

  it('a topic decided once is answered from the connection’s cache', async () => {
    const { raw } = await connect(transport, 4, { clientId: unique('cache') });
    const topic = `cached/${unique('t')}`;
    for (let i = 0; i < 5; i++)
      raw.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from('x'),
        qos: 1,
        messageId: i + 1,
        retain: false,
        dup: false,
      });
    await waitFor(() => raw.untaken('puback').length === 5, 5000);
    expect(access.publishAsks.filter((t) => t === topic)).toHaveLength(1);
    await raw.end();
  });
});
