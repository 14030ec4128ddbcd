// MQTT 5.0 and 3.1.1 clients on one node: each subscriber gets PUBLISHes encoded for its
// own protocol level. A 3.1.1 subscriber gets a 5.0 message as a plain 3.1.1 PUBLISH (no
// property bytes), a 5.0 subscriber gets a 3.1.1 message with no properties, and shared
// subscriptions work from 3.1.1 clients (alone or in a group with 5.0 members).
import { connectClient, sleep, type TestClient, waitFor } from '@edgemq/testkit';
import type { IPublishPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { type Client5, connect5 } from './helpers/mqtt5.js';
import { RawClient, rawConnect } from './helpers/raw-client.js';
import { transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

/** Every property a 5.0 PUBLISH can carry from publisher to subscriber. */
const v5Properties = {
  payloadFormatIndicator: true,
  messageExpiryInterval: 60,
  contentType: 'text/plain',
  responseTopic: 'cross/reply',
  correlationData: Buffer.from([1, 2, 3]),
  userProperties: { k: 'v', many: ['1', '2'] },
};

describe.each(transports)('MQTT 5.0 ↔ 3.1.1 over %s', (transport) => {
  const url = () => urlFor(node(), transport);
  const v4 = (options: Parameters<typeof connectClient>[1] = {}) =>
    connectClient(url(), { protocolVersion: 4, clientId: unique('v4'), ...options });
  const v5 = (options: Parameters<typeof connect5>[1] = {}) =>
    connect5(url(), { clientId: unique('v5'), ...options });

  it("[MQTT-3.3.2-?] a 3.1.1 subscriber gets a 5.0 publisher's message (with properties) as a plain 3.1.1 PUBLISH", async () => {
    const topic = `cross/${unique('5to4')}`;
    const lib = await v4();
    await lib.client.subscribeAsync(topic, { qos: 1 });
    const raw = await RawClient.open(node(), transport, 4);
    raw.autoAck = true;
    await raw.connect({ clientId: unique('raw4') });
    await raw.subscribe([{ topic, qos: 1 }]);
    const pub = await v5();
    await pub.client.publishAsync(topic, 'from-five', { qos: 1, properties: v5Properties });

    const [m] = await lib.take(1);
    expect([m.topic, m.payload.toString(), m.qos, m.retain]).toEqual([topic, 'from-five', 1, false]);
    const packet = (await raw.expect('publish')) as IPublishPacket & { length: number };
    expect(raw.decodeErrors).toEqual([]);
    expect([packet.topic, packet.payload.toString(), packet.qos]).toEqual([topic, 'from-five', 1]);
    // Topic (2 + n), packet id (2), payload: not one byte of 5.0 properties.
    expect(packet.length).toBe(2 + Buffer.byteLength(topic) + 2 + 'from-five'.length);
    await Promise.all([lib.end(), raw.destroy(), pub.end()]);
  });

  it("[MQTT-3.3.2-?] a 3.1.1 subscriber's offline queue drops a 5.0 message whose expiry passed", async () => {
    const topic = `cross/${unique('exp4')}`;
    const clientId = unique('v4-offline');
    const first = await v4({ clientId, clean: false });
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.end();
    const pub = await v5();
    await pub.client.publishAsync(topic, 'expires', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.client.publishAsync(topic, 'stays', { qos: 1 });
    await sleep(1500);
    const back = await v4({ clientId, clean: false });
    await back.take(1);
    await sleep(100);
    expect(back.messages.map((m) => m.payload.toString())).toEqual(['stays']);
    await Promise.all([back.end(), pub.end()]);
  });

  it("[MQTT-3.3.2-?] a 5.0 subscriber gets a 3.1.1 publisher's message without properties", async () => {
    const topic = `cross/${unique('4to5')}`;
    const lib = await v5();
    await lib.client.subscribeAsync(topic, { qos: 1 });
    const { raw } = await rawConnect(node(), transport, 5, { clientId: unique('raw5') });
    raw.autoAck = true;
    await raw.subscribe([{ topic, qos: 1 }]);
    const pub = await v4();
    await pub.client.publishAsync(topic, 'from-four', { qos: 1 });

    const [m] = await lib.take(1);
    expect([m.topic, m.payload.toString(), m.qos]).toEqual([topic, 'from-four', 1]);
    expect(m.properties ?? {}).toEqual({});
    const packet = await raw.next('publish');
    expect(raw.decodeErrors).toEqual([]);
    expect([packet.topic, packet.payload.toString()]).toEqual([topic, 'from-four']);
    expect(packet.properties).toBeUndefined();
    await Promise.all([lib.end(), raw.end(), pub.end()]);
  });

  it('[MQTT-4.8.2-?] a shared subscription works from 3.1.1 clients, also in a group with a 5.0 member', async () => {
    const base = `cross/${unique('share')}`;
    const filter = `$share/mixed/${base}/#`;
    const old1 = await v4();
    const old2 = await v4();
    const modern = await v5();
    for (const c of [old1, old2, modern]) await c.client.subscribeAsync(filter, { qos: 1 });
    const pub = await v5();
    const sent = Array.from({ length: 12 }, (_, i) => `s${i}`);
    for (const body of sent) await pub.client.publishAsync(`${base}/x`, body, { qos: 1 });
    const olds: TestClient[] = [old1, old2];
    const count = () => olds.reduce((n, c) => n + c.messages.length, 0) + modern.messages.length;
    await waitFor(() => count() >= 12, 3000, 'all shared messages');
    await sleep(100);
    const got = [...olds.flatMap((c) => c.messages.map((m) => m.payload.toString())), ...modern.payloads()];
    expect(got.sort()).toEqual([...sent].sort());
    for (const c of olds) expect(c.messages.length).toBeGreaterThan(0);
    expect(modern.messages.length).toBeGreaterThan(0);
    const all: Array<TestClient | Client5> = [old1, old2, modern, pub];
    await Promise.all(all.map((c) => c.end()));
  });
});
