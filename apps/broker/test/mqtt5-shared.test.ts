// Shared subscriptions on the wire (OASIS MQTT 5.0 §4.8.2): `$share/{group}/{filter}` hands
// each message to exactly one member of the group, every group and every plain subscriber
// get their own copy, subscribing to a shared filter brings no retained messages, and a
// member that leaves stops taking messages from the others.
import { sleep, waitFor } from '@edgemq/testkit';
import { describe, expect, it } from 'vitest';
import { type Client5, connect5, endAll, RC } from './helpers/mqtt5.js';
import { rawConnect } from './helpers/raw-client.js';
import { transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

const total = (clients: Client5[]) => clients.reduce((n, c) => n + c.messages.length, 0);

describe.each(transports)('MQTT 5.0 shared subscriptions over %s', (transport) => {
  const connect = (options: Parameters<typeof connect5>[1] = {}) =>
    connect5(urlFor(node(), transport), { clientId: unique('sh'), ...options });

  /** `count` clients subscribed to `filter` at QoS 1. */
  async function members(filter: string, count: number): Promise<Client5[]> {
    const clients = await Promise.all(Array.from({ length: count }, () => connect()));
    for (const c of clients) await c.client.subscribeAsync(filter, { qos: 1 });
    return clients;
  }

  /** Publishes `count` QoS 1 messages `<tag>0`… on `topic`, each acknowledged before the next. */
  async function publishMany(topic: string, count: number, tag = 'm'): Promise<string[]> {
    const pub = await connect();
    const sent: string[] = [];
    for (let i = 0; i < count; i++) {
      sent.push(`${tag}${i}`);
      await pub.client.publishAsync(topic, `${tag}${i}`, { qos: 1 });
    }
    await pub.end();
    return sent;
  }

  it('[MQTT-4.8.2-?] 3 members of $share/g/t/#: each of 30 messages goes to exactly one, about 10 each', async () => {
    const base = `sh/${unique('t')}`;
    const group = await members(`$share/g/${base}/#`, 3);
    const sent = await publishMany(`${base}/x`, 30);
    await waitFor(() => total(group) >= 30, 3000, '30 messages across the group');
    await sleep(100);
    const all = group.flatMap((c) => c.payloads());
    expect(all).toHaveLength(30);
    expect([...all].sort()).toEqual([...sent].sort());
    for (const c of group) expect(c.messages.length).toBeGreaterThanOrEqual(5);
    for (const c of group) for (const m of c.messages) expect(m.topic).toBe(`${base}/x`);
    await endAll(...group);
  });

  it('[MQTT-4.8.2-?] two groups on the same filter each get every message, and so does a plain subscriber', async () => {
    const base = `sh/${unique('t')}`;
    const groupA = await members(`$share/a/${base}/#`, 2);
    const groupB = await members(`$share/b/${base}/#`, 2);
    const [plain] = await members(`${base}/#`, 1);
    const sent = await publishMany(`${base}/y`, 20);
    await waitFor(() => total([...groupA, ...groupB, plain]) >= 60, 3000, 'every copy');
    await sleep(100);
    for (const group of [groupA, groupB]) {
      const got = group.flatMap((c) => c.payloads());
      expect([...got].sort()).toEqual([...sent].sort());
      for (const c of group) expect(c.messages.length).toBeGreaterThan(0);
    }
    expect(plain.payloads()).toEqual(sent);
    await endAll(...groupA, ...groupB, plain);
  });

  it('[MQTT-4.8.2-?] subscribing to a shared filter brings no retained messages', async () => {
    const base = `sh/${unique('t')}`;
    const pub = await connect();
    await pub.client.publishAsync(`${base}/r`, 'retained', { qos: 1, retain: true });
    const [member] = await members(`$share/g/${base}/#`, 1);
    // A plain subscription to the same filter does get it, so it is there to be sent.
    const [plain] = await members(`${base}/#`, 1);
    expect((await plain.take(1))[0].payload.toString()).toBe('retained');
    await pub.client.publishAsync(`${base}/r`, 'live', { qos: 1 });
    await member.take(1);
    await sleep(100);
    expect(member.payloads()).toEqual(['live']);
    await pub.client.publishAsync(`${base}/r`, '', { qos: 1, retain: true });
    await endAll(member, plain, pub);
  });

  it('[MQTT-4.8.2-?] a member that disconnects (session expiry 0) stops getting messages; the rest get all', async () => {
    const base = `sh/${unique('t')}`;
    const [leaver, stayA, stayB] = await members(`$share/g/${base}/#`, 3);
    await publishMany(`${base}/z`, 6, 'first');
    await waitFor(() => total([leaver, stayA, stayB]) >= 6, 3000, 'first batch');
    expect(leaver.messages.length).toBeGreaterThan(0);
    await leaver.end();
    const before = leaver.messages.length;
    const second = await publishMany(`${base}/z`, 12, 'second');
    const rest = () => [...stayA.payloads(), ...stayB.payloads()].filter((p) => p.startsWith('second'));
    await waitFor(() => rest().length >= 12, 3000, 'second batch');
    await sleep(100);
    expect(rest().sort()).toEqual([...second].sort());
    expect(leaver.messages.length).toBe(before);
    // Its session (and membership) ended with the connection: nothing was kept for it.
    const back = await connect({ clientId: leaver.client.options.clientId, clean: false });
    expect(back.connack.sessionPresent).toBe(false);
    await sleep(100);
    expect(back.messages).toEqual([]);
    await endAll(stayA, stayB, back);
  });

  it('[MQTT-3.8.3-4] No Local on a shared subscription is a protocol error: DISCONNECT 0x82', async () => {
    const { raw } = await rawConnect(node(), transport, 5, { clientId: unique('nl-share') });
    raw.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: `$share/g/sh/${unique('t')}`, qos: 1, nl: true }],
    });
    const disconnect = await raw.serverDisconnect();
    expect(disconnect.reasonCode).toBe(RC.protocolError);
  });
});
