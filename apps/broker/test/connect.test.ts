// CONNECT and the connection lifecycle on the wire (MQTT 3.1.1 §3.1, §3.2, §3.12): what is
// accepted, what is refused with a CONNACK return code, what is closed without one, the
// session present flag, and keep-alive. Odd CONNECTs are hand-built by the raw client.
import { connectClient } from '@edgemq/testkit';
import type { Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { connectBytes, RawClient, rawConnect } from './helpers/raw-client.js';
import { protocolLevels, transports, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

let counter = 0;
const level311 = protocolLevels[0];
const level31 = protocolLevels[1];

describe.each(transports)('CONNECT over %s', (transport) => {
  const uid = (tag: string, version: number) => `${tag}-${transport}-${version}-${++counter}`;

  it.each(protocolLevels)(
    '[MQTT-3.2.0-1] a valid CONNECT gets CONNACK 0 at MQTT $name',
    async ({ options }) => {
      const v = options.protocolVersion;
      const { raw, connack } = await rawConnect(node(), transport, v, { clientId: uid('ok', v) });
      expect(connack.returnCode).toBe(0);
      expect(raw.received[0]).toBe(connack);
      raw.send({ cmd: 'pingreq' });
      await raw.next('pingresp');
      expect(raw.closed).toBe(false);
      await raw.end();
    },
  );

  it('[MQTT-3.1.2-2] protocol level 6 gets CONNACK 0x01, then the connection is closed', async () => {
    const raw = await RawClient.open(node(), transport, 4);
    raw.sendBytes(connectBytes({ clientId: uid('lvl6', 6), protocolId: 'MQTT', level: 6 }));
    const connack = await raw.next('connack');
    expect(connack.returnCode).toBe(1);
    expect(await raw.waitClosed()).toBe(true);
  });

  it('[MQTT-3.1.2-2] protocol name MQTT at level 3 gets CONNACK 0x01', async () => {
    const raw = await RawClient.open(node(), transport, 4);
    raw.sendBytes(connectBytes({ clientId: uid('mqtt3', 3), protocolId: 'MQTT', level: 3 }));
    const connack = await raw.next('connack');
    expect(connack.returnCode).toBe(1);
    expect(await raw.waitClosed()).toBe(true);
  });

  it('[MQTT-3.1.2-2] protocol name MQIsdp at level 4 gets CONNACK 0x01', async () => {
    const raw = await RawClient.open(node(), transport, 4);
    raw.sendBytes(connectBytes({ clientId: uid('isdp4', 4), protocolId: 'MQIsdp', level: 4 }));
    const connack = await raw.next('connack');
    expect(connack.returnCode).toBe(1);
    expect(await raw.waitClosed()).toBe(true);
  });

  it('[MQTT-3.1.2-1] an unknown protocol name is closed without a CONNACK', async () => {
    const raw = await RawClient.open(node(), transport, 4);
    raw.sendBytes(connectBytes({ clientId: uid('name', 4), protocolId: 'MQTX', level: 4 }));
    expect(await raw.waitClosed()).toBe(true);
    expect(raw.received.map((p) => p.cmd)).toEqual([]);
  });

  it.each(protocolLevels)(
    '[MQTT-3.1.2-3] reserved connect flag bit 0 set closes the connection at MQTT $name',
    async ({ options }) => {
      const v = options.protocolVersion;
      const raw = await RawClient.open(node(), transport, v);
      raw.sendBytes(connectBytes({ clientId: uid('rsv', v), level: v, extraFlags: 0x01 }));
      expect(await raw.waitClosed()).toBe(true);
      // Never accepted: no CONNACK 0 went out before the close.
      expect(raw.received.filter((p) => p.cmd === 'connack' && p.returnCode === 0)).toEqual([]);
    },
  );

  it('[MQTT-3.1.3-6] an empty client id with clean session is accepted at 3.1.1 and the client works', async () => {
    const { raw, connack } = await rawConnect(node(), transport, 4, { clientId: '', clean: true });
    expect(connack.returnCode).toBe(0);
    await raw.end();

    const topic = `anon/${uid('t', 4)}`;
    const anon = await connectClient(urlFor(node(), transport), { ...level311.options, clientId: '' });
    const granted = await anon.client.subscribeAsync(topic, { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    await anon.client.publishAsync(topic, 'self', { qos: 1 });
    const [m] = await anon.take();
    expect(m.topic).toBe(topic);
    expect(m.payload.toString()).toBe('self');
    await anon.end();
  });

  it('[MQTT-3.1.3-8] an empty client id with clean session 0 gets CONNACK 0x02 at 3.1.1, then close', async () => {
    const { raw, connack } = await rawConnect(node(), transport, 4, { clientId: '', clean: false });
    expect(connack.returnCode).toBe(2);
    // [MQTT-3.2.2-5] a refusing CONNACK is followed by the close.
    expect(await raw.waitClosed()).toBe(true);
  });

  it('[MQTT-3.1.3-9] an empty client id gets CONNACK 0x02 at 3.1 (which requires an id)', async () => {
    const { raw, connack } = await rawConnect(node(), transport, level31.options.protocolVersion, {
      clientId: '',
      clean: true,
    });
    expect(connack.returnCode).toBe(2);
    expect(await raw.waitClosed()).toBe(true);
  });

  it.each(protocolLevels)(
    '[MQTT-3.1.0-2] a second CONNECT on the same connection closes it at MQTT $name',
    async ({ options }) => {
      const v = options.protocolVersion;
      const clientId = uid('twice', v);
      const { raw, connack } = await rawConnect(node(), transport, v, { clientId });
      expect(connack.returnCode).toBe(0);
      raw.send({ cmd: 'pingreq' });
      await raw.next('pingresp'); // open and serving before the second CONNECT
      raw.sendBytes(connectBytes({ clientId, level: v }));
      expect(await raw.waitClosed()).toBe(true);
      expect(raw.untaken('connack')).toEqual([]);
    },
  );

  const notConnect: { name: string; packet: Packet }[] = [
    { name: 'PINGREQ', packet: { cmd: 'pingreq' } },
    {
      name: 'SUBSCRIBE',
      packet: { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 0 }] },
    },
    {
      name: 'PUBLISH',
      packet: { cmd: 'publish', topic: 'x', payload: 'p', qos: 0, retain: false, dup: false },
    },
  ];
  it.each(notConnect)(
    '[MQTT-3.1.0-1] $name as the first packet closes the connection without an answer',
    async ({ packet }) => {
      const raw = await RawClient.open(node(), transport, 4);
      raw.send(packet);
      // Well before the 10 s CONNECT timeout: the close is for the packet, not for silence.
      expect(await raw.waitClosed(2000)).toBe(true);
      expect(raw.received.map((p) => p.cmd)).toEqual([]);
    },
  );

  it('[MQTT-3.2.2-1] a clean session gets session present 0, even when a session was stored', async () => {
    const clientId = uid('sp-clean', 4);
    const first = await rawConnect(node(), transport, 4, { clientId, clean: false });
    expect(first.connack.returnCode).toBe(0);
    await first.raw.end();
    const second = await rawConnect(node(), transport, 4, { clientId, clean: true });
    expect(second.connack.returnCode).toBe(0);
    expect(second.connack.sessionPresent).toBe(false);
    await second.raw.end();
  });

  it('[MQTT-3.2.2-2] reconnecting with clean session 0 after a clean-0 session gets session present 1', async () => {
    const clientId = uid('sp-keep', 4);
    const first = await rawConnect(node(), transport, 4, { clientId, clean: false });
    expect(first.connack.returnCode).toBe(0);
    // [MQTT-3.2.2-3] no session stored yet for this id.
    expect(first.connack.sessionPresent).toBe(false);
    await first.raw.end();
    const second = await rawConnect(node(), transport, 4, { clientId, clean: false });
    expect(second.connack.returnCode).toBe(0);
    expect(second.connack.sessionPresent).toBe(true);
    await second.raw.end();
    // Clean up: a clean connect discards the stored session.
    const last = await rawConnect(node(), transport, 4, { clientId, clean: true });
    await last.raw.end();
  });

  it.each(protocolLevels)(
    '[MQTT-3.1.2-24] a silent client with keep-alive 1 s is closed after 1.5 s, not before, at MQTT $name',
    async ({ options }) => {
      const v = options.protocolVersion;
      const startedAtMs = Date.now();
      const { raw, connack } = await rawConnect(node(), transport, v, {
        clientId: uid('ka', v),
        keepalive: 1,
      });
      expect(connack.returnCode).toBe(0);
      expect(await raw.waitClosed(3000)).toBe(true);
      const afterMs = raw.closedAtMs! - startedAtMs;
      // The server allows one and a half keep-alives from the CONNECT (sent after startedAtMs).
      expect(afterMs).toBeGreaterThanOrEqual(1400);
      expect(afterMs).toBeLessThan(2500);
    },
  );

  it.each(protocolLevels)(
    '[MQTT-3.12.4-1] PINGREQ gets PINGRESP and keeps a keep-alive 1 s connection open at MQTT $name',
    async ({ options }) => {
      const v = options.protocolVersion;
      const { raw } = await rawConnect(node(), transport, v, { clientId: uid('ping', v), keepalive: 1 });
      // Three pings 700 ms apart span 2.1 s, past the 1.5 s a silent client would get.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 700));
        expect(raw.closed).toBe(false);
        raw.send({ cmd: 'pingreq' });
        await raw.next('pingresp', 1000);
      }
      expect(raw.closed).toBe(false);
      expect(raw.decodeErrors).toEqual([]);
      await raw.end();
    },
  );
});
