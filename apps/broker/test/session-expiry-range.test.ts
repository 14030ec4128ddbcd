// Timers a client sets take the whole range MQTT 5 allows (session expiry and will delay up
// to 0xFFFFFFFF s), on the wire. Node's setTimeout fires any delay above 2^31-1 ms (~24.8
// days) after 1 ms, with a TimeoutOverflowWarning: a session asking for 34 days used to be
// gone the moment its client left, and a will delayed 34 days was sent at once. These
// tests use real clients against an in-process node, so a warning from the node's timers
// reaches this process.
import { waitFor } from '@edgemq/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client5, connect5, endAll } from './helpers/mqtt5.js';
import { useTimeoutOverflowWarnings } from './helpers/process-warnings.js';
import { transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const node = useTestNode();

/** 3,000,000 s, 34.7 days: past Node's 2^31-1 ms; 2,000,000 s always worked. */
const THIRTY_FOUR_DAYS_SEC = 3_000_000;
const NEVER_SEC = 0xffffffff;

const overflowWarnings = useTimeoutOverflowWarnings();
afterEach(() => {
  expect(overflowWarnings()).toEqual([]);
});

/** The node has torn down every connection (so a parked session's timers are armed). */
const allClosed = () => waitFor(() => node().status().connections === 0, 5000, 'connections closed');

describe.each(transports)('long session expiry and will delay over %s', (transport) => {
  const connect = (options: Parameters<typeof connect5>[1] = {}) =>
    connect5(urlFor(node(), transport), { clientId: unique('long'), ...options });

  /** Publishes `payloads` at QoS 1 to `topic` from a fresh client, each acknowledged. */
  async function publishWhileAway(topic: string, ...payloads: string[]): Promise<void> {
    const pub = await connect();
    for (const payload of payloads) {
      await pub.client.publishAsync(topic, payload, {
        qos: 1,
        properties: { messageExpiryInterval: NEVER_SEC },
      });
    }
    await pub.end();
  }

  async function resumes(clientId: string, topic: string, expected: string[]): Promise<Client5> {
    const back = await connect({
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: THIRTY_FOUR_DAYS_SEC },
    });
    expect(back.connack.sessionPresent).toBe(true);
    const got = await back.take(expected.length);
    expect(got.map((m) => m.payload.toString())).toEqual(expected);
    // Message expiry 0xFFFFFFFF s is kept too (it counts down from there, never below 0).
    expect(got[0].properties?.messageExpiryInterval).toBeGreaterThan(NEVER_SEC - 60);
    expect(got.every((m) => m.topic === topic)).toBe(true);
    return back;
  }

  it('session expiry 3,000,000 s keeps the session and what was queued while away', async () => {
    const clientId = unique('exp34d');
    const topic = `long/${clientId}`;
    const first = await connect({
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: THIRTY_FOUR_DAYS_SEC },
    });
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.subscribeAsync(`${topic}/2`, { qos: 2 });
    await first.end();
    await allClosed();
    await publishWhileAway(topic, 'one', 'two');
    const back = await resumes(clientId, topic, ['one', 'two']);
    await back.end(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
  });

  it('raising the expiry at DISCONNECT (99999 → 999999999 s, as Paho test_publication_expiry) keeps the session', async () => {
    const clientId = unique('exp-raise');
    const topic = `long/${clientId}`;
    const first = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 99_999 } });
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.end(false, { reasonCode: 0, properties: { sessionExpiryInterval: 999_999_999 } });
    await allClosed();
    await publishWhileAway(topic, 'queued');
    const back = await resumes(clientId, topic, ['queued']);
    await back.end(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
  });

  it('a will delayed 3,000,000 s is not sent when the connection drops; resuming cancels it', async () => {
    const clientId = unique('will34d');
    const topic = `long-will/${clientId}`;
    const watcher = await connect();
    await watcher.client.subscribeAsync(topic, { qos: 1 });
    const willer = await connect({
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: NEVER_SEC },
      will: {
        topic,
        payload: Buffer.from('gone'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: THIRTY_FOUR_DAYS_SEC },
      },
    });
    const before = node().status().connections;
    willer.client.stream.destroy(); // no DISCONNECT: the will is due, after its delay
    await waitFor(() => node().status().connections === before - 1, 5000, 'drop seen by the node');
    // Markers on the will's topic: a will published (in order, per topic) would come first.
    await publishWhileAway(topic, 'marker-1');
    await watcher.take(1);
    const back = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 0 } });
    expect(back.connack.sessionPresent).toBe(true);
    await publishWhileAway(topic, 'marker-2');
    await watcher.take(1);
    expect(watcher.payloads()).toEqual(['marker-1', 'marker-2']);
    await willer.end(true);
    await endAll(back, watcher);
  });
});
