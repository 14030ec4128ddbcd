// MQTT 3.1.1 and 3.1 have no session expiry: a clean-session-0 session is kept until the
// client comes back with clean session 1, so every client id that ever connected that way
// and never returned used to stay in memory (and in Redis) for good. The node gives them
// the expiry of `mqtt.persistentSessionExpirySec` (Mosquitto's persistent_client_expiration,
// EMQX's 2 h default), through the path MQTT 5 sessions expire by. On the in-process
// backbone here; cluster/persistent-session-expiry.redis.test.ts checks the Redis record.
import { connectClient, type TestClient, waitFor } from '@edgemq/testkit';
import type { IConnackPacket } from 'mqtt';
import { describe, expect, it } from 'vitest';
import {
  protocolLevels,
  type TestNode,
  transports,
  unique,
  urlFor,
  useTestNode,
} from './helpers/test-node.js';

/** Sessions kept an hour: long enough that a test never sees one go. */
const keeping = useTestNode({ mqtt: { persistentSessionExpirySec: 3600 } });
/** Sessions kept one second: the shortest the config allows. */
const EXPIRY_SEC = 1;
const expiring = useTestNode({ mqtt: { persistentSessionExpirySec: EXPIRY_SEC } });

const sessionPresent = (c: TestClient) =>
  (c.client as unknown as { connackPacket: IConnackPacket }).connackPacket.sessionPresent;

describe.each(transports)('persistent session expiry over %s', (transport) => {
  describe.each(protocolLevels)('MQTT $name', ({ options }) => {
    const connect = (node: TestNode, clientId: string, clean: boolean) =>
      connectClient(urlFor(node, transport), { ...options, clientId, clean });

    /** A clean-session-0 client subscribed to `topic` at QoS 1 that disconnected. */
    async function subscribeAndLeave(node: TestNode, clientId: string, topic: string): Promise<void> {
      const first = await connect(node, clientId, false);
      await first.client.subscribeAsync(topic, { qos: 1 });
      await first.end();
      await waitFor(() => node.status().connections === 0, 5000, 'the disconnect seen by the node');
    }

    it('within the expiry the session and what was queued for it are kept', async () => {
      const node = keeping();
      const clientId = unique('kept');
      const topic = `pse/${clientId}`;
      await subscribeAndLeave(node, clientId, topic);
      const pub = await connect(node, unique('pub'), true);
      await pub.client.publishAsync(topic, 'while-away', { qos: 1 });
      await pub.end();
      const back = await connect(node, clientId, false);
      expect(sessionPresent(back)).toBe(true);
      expect((await back.take(1)).map((m) => m.payload.toString())).toEqual(['while-away']);
      await back.end();
      // Clean session 1 ends it, so the node holds nothing for this id afterwards.
      await (await connect(node, clientId, true)).end();
    });

    it('after the expiry the session is gone from memory, not before', async () => {
      const node = expiring();
      // Clean sessions are discarded as their connection is torn down: none lingers in the count.
      await waitFor(() => node.status().connections === 0, 5000, 'earlier connections closed');
      const baseline = node.broker.sessionCount;
      const clientId = unique('expires');
      const topic = `pse/${clientId}`;
      const leftAt = Date.now();
      await subscribeAndLeave(node, clientId, topic);
      await waitFor(() => node.broker.sessionCount === baseline, 10_000, 'the parked session to expire');
      // Not before: the expiry counts from the disconnect, after leftAt (less a little slack,
      // as Node starts a timer from the event loop's cached clock).
      expect(Date.now() - leftAt).toBeGreaterThanOrEqual(EXPIRY_SEC * 1000 - 50);
      const back = await connect(node, clientId, false);
      expect(sessionPresent(back)).toBe(false);
      const pub = await connect(node, unique('pub'), true);
      await pub.client.publishAsync(topic, 'after-expiry', { qos: 1 });
      await pub.end();
      // The old subscription went with the session: a marker on the client's own topic proves
      // the connection is live, and it is the only message it gets.
      await back.client.subscribeAsync(`${topic}/marker`, { qos: 1 });
      const marker = await connect(node, unique('pub'), true);
      await marker.client.publishAsync(`${topic}/marker`, 'marker', { qos: 1 });
      await marker.end();
      expect((await back.take(1)).map((m) => m.topic)).toEqual([`${topic}/marker`]);
      expect(back.messages.map((m) => m.payload.toString())).toEqual(['marker']);
      await back.end();
      // Clean session 1 ends the session `back` opened, so the next test counts from zero.
      await (await connect(node, clientId, true)).end();
    });
  });
});
