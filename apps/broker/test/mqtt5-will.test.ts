// MQTT 5.0 wills on the wire (OASIS MQTT 5.0 §3.1.2.5, §3.1.3.2, §3.14.2.1): will properties
// travel to the published will, the Will Delay Interval holds it back (a resumed session
// cancels it; the session ending or a clean start sends it at once), and DISCONNECT with
// reason 0x04 asks for the will where a normal DISCONNECT discards it.
import { sleep, waitFor } from '@edgemq/testkit';
import type { IClientOptions } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { type Client5, connect5, endAll, RC } from './helpers/mqtt5.js';
import { transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

describe.each(transports)('MQTT 5.0 will over %s', (transport) => {
  const connect = (options: IClientOptions = {}) =>
    connect5(urlFor(node(), transport), { clientId: unique('w5'), ...options });

  async function watch(topic: string): Promise<Client5> {
    const sub = await connect();
    await sub.client.subscribeAsync(topic, { qos: 1 });
    return sub;
  }

  /** A client with a QoS 1 will on `topic`, `willDelayInterval` s and session expiry `expiry` s. */
  const willer = (topic: string, willDelayInterval: number, expiry: number, clientId = unique('willer')) =>
    connect({
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: expiry },
      will: { topic, payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval } },
    });

  /** Ends the connection without DISCONNECT; returns when the node sees it (as Date.now()). */
  async function dropAbruptly(c: Client5): Promise<number> {
    c.client.stream.destroy();
    await waitFor(() => c.closed, 2000, 'socket closed');
    await c.end(true);
    return Date.now();
  }

  it('[MQTT-3.1.3-9] [MQTT-3.1.3-10] will properties are carried to the published will', async () => {
    const topic = `will5/${unique('props')}`;
    const sub = await watch(topic);
    const correlationData = Buffer.from([0xde, 0xad, 0x00, 0xbe, 0xef]);
    const client = await connect({
      will: {
        topic,
        payload: Buffer.from('adiós'),
        qos: 1,
        retain: false,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 60,
          contentType: 'text/plain',
          responseTopic: `${topic}/reply`,
          correlationData,
          userProperties: { reason: 'crash', host: ['a', 'b'] },
        },
      },
    });
    await dropAbruptly(client);
    const [m] = await sub.take(1);
    expect([m.topic, m.payload.toString('utf8'), m.qos, m.retain]).toEqual([topic, 'adiós', 1, false]);
    const p = m.properties ?? {};
    expect(p.payloadFormatIndicator).toBe(true);
    expect(p.messageExpiryInterval).toBeGreaterThanOrEqual(59);
    expect(p.messageExpiryInterval).toBeLessThanOrEqual(60);
    expect(p.contentType).toBe('text/plain');
    expect(p.responseTopic).toBe(`${topic}/reply`);
    expect(Buffer.from(p.correlationData!)).toEqual(correlationData);
    expect(p.userProperties).toEqual({ reason: 'crash', host: ['a', 'b'] });
    await sub.end();
  });

  it('[MQTT-3.1.3-?] the will message expiry interval counts from when the will is published, not from CONNECT', async () => {
    const topic = `will5/${unique('expiry-start')}`;
    const sub = await watch(topic);
    const client = await connect({
      will: {
        topic,
        payload: Buffer.from('late'),
        qos: 1,
        retain: false,
        properties: { messageExpiryInterval: 2 },
      },
    });
    await sleep(2200);
    await dropAbruptly(client);
    await sub.take(1, 2000).catch(() => []);
    await sub.end();
    expect(sub.payloads()).toEqual(['late']);
    const remaining = sub.messages[0].properties?.messageExpiryInterval;
    expect(remaining).toBeGreaterThanOrEqual(1);
    expect(remaining).toBeLessThanOrEqual(2);
  });

  it('[MQTT-3.1.3-9] will delay 2 s (session expiry 10 s): not published within 1 s, published after ~2 s', async () => {
    const topic = `will5/${unique('delay')}`;
    const sub = await watch(topic);
    const droppedAt = await dropAbruptly(await willer(topic, 2, 10));
    await sleep(1000);
    expect(sub.messages).toEqual([]);
    const [m] = await sub.take(1, 3000);
    expect(m.payload.toString()).toBe('gone');
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(1800);
    await sub.end();
  });

  it('[MQTT-3.1.3-9] resuming the session (clean start 0) within the will delay cancels the will', async () => {
    const topic = `will5/${unique('cancel')}`;
    const sub = await watch(topic);
    const clientId = unique('resume');
    await dropAbruptly(await willer(topic, 2, 10, clientId));
    await sleep(500);
    const back = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 10 } });
    expect(back.connack.sessionPresent).toBe(true);
    await sleep(2200);
    expect(sub.messages).toEqual([]);
    await back.end(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await sleep(100);
    expect(sub.messages).toEqual([]);
    await sub.end();
  });

  it('[MQTT-3.1.2-?] [MQTT-3.1.4-3] taking the session over (clean start 0) within the will delay: the will is not sent', async () => {
    const topic = `will5/${unique('takeover')}`;
    const sub = await watch(topic);
    const clientId = unique('taken');
    const old = await willer(topic, 2, 10, clientId);
    const next = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 10 } });
    await waitFor(() => old.closed, 2000, 'old connection closed');
    expect(old.disconnects.map((d) => d.reasonCode)).toEqual([RC.sessionTakenOver]);
    expect(next.connack.sessionPresent).toBe(true);
    await sleep(2300);
    expect(sub.messages).toEqual([]);
    await next.end(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await endAll(old, sub);
  });

  it('[MQTT-3.1.3-9] session expiry 1 s with will delay 5 s: the will comes when the session ends (~1 s)', async () => {
    const topic = `will5/${unique('expiry')}`;
    const sub = await watch(topic);
    const droppedAt = await dropAbruptly(await willer(topic, 5, 1));
    const [m] = await sub.take(1, 3000);
    const after = Date.now() - droppedAt;
    expect(m.payload.toString()).toBe('gone');
    expect(after).toBeGreaterThanOrEqual(800);
    expect(after).toBeLessThan(2500);
    await sub.end();
  });

  it('[MQTT-3.1.3-9] a clean-start reconnect within the will delay publishes the will at once', async () => {
    const topic = `will5/${unique('clean')}`;
    const sub = await watch(topic);
    const clientId = unique('restart');
    await dropAbruptly(await willer(topic, 5, 10, clientId));
    await sleep(300);
    expect(sub.messages).toEqual([]);
    const reconnectedAt = Date.now();
    const fresh = await connect({ clientId, clean: true });
    expect(fresh.connack.sessionPresent).toBe(false);
    const [m] = await sub.take(1, 2000);
    expect(m.payload.toString()).toBe('gone');
    expect(Date.now() - reconnectedAt).toBeLessThan(1000);
    await endAll(fresh, sub);
  });

  it('[MQTT-3.14.4-3] [MQTT-3.14.2-?] DISCONNECT 0x04 publishes the will; DISCONNECT 0x00 discards it', async () => {
    const topic = `will5/${unique('reason')}`;
    const sub = await watch(topic);
    const will = (payload: string) => ({
      topic,
      payload: Buffer.from(payload),
      qos: 1 as const,
      retain: false,
    });
    const normal = await connect({ will: will('normal') });
    await normal.end(false, { reasonCode: RC.success });
    const withWill = await connect({ will: will('with-will') });
    await withWill.end(false, { reasonCode: RC.disconnectWithWill });
    const [m] = await sub.take(1);
    expect(m.payload.toString()).toBe('with-will');
    await sleep(100);
    expect(sub.payloads()).toEqual(['with-will']);
    await sub.end();
  });
});
