// A burst of unawaited QoS 1/2 publishes from MQTT.js (reliability issue, defect 3): every
// one is acknowledged, promptly and on the same connection, and delivered once, in order.
// MQTT.js 5 ignores the node's Receive Maximum (1000) and over WebSocket the whole burst
// arrives in one read, before any of it could be stored: the node used to answer
// DISCONNECT 0x93, losing the PUBACKs of what it had stored, and the reconnecting client
// sent it all again. Over ws and tcp, at levels 4 and 5, on the memory and Redis backbones.
import { type RedisServer, startRedis, waitFor } from '@edgemq/testkit';
import mqtt, { type MqttClient } from 'mqtt';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode, type TransportName, unique, urlFor } from './helpers/test-node.js';

const BURST = 2000;
/** Generous for a loaded 2-core machine; the node takes well under a second. */
const ACK_DEADLINE_MS = 30_000;

const backbones = ['memory', 'redis'] as const;
const cases: Array<{ transport: TransportName; version: 4 | 5; qos: 1 | 2 }> = [];
for (const transport of ['ws', 'tcp'] as const) {
  for (const version of [4, 5] as const) cases.push({ transport, version, qos: 1 });
  // QoS 2 at level 4 only: at level 5 a QoS 2 burst larger than the Receive Maximum cannot
  // be taken in order (the window frees only at PUBRELs, which come after the burst), so
  // the node answers DISCONNECT 0x93 as MQTT 5 says [MQTT-3.3.4-7].
  cases.push({ transport, version: 4, qos: 2 });
}

describe.each(backbones)('a burst of %s unawaited publishes', (backbone) => {
  let redis: RedisServer | undefined;
  let node: TestNode | undefined;
  beforeAll(async () => {
    if (backbone === 'redis') redis = await startRedis();
    node = await startTestNode({
      // The subscriber gets the whole burst at once: its queue must hold it, or the
      // documented bound (drop the oldest, count it) would take some.
      mqtt: { maxQueuedMessages: 2 * BURST },
      redis: redis ? { url: redis.url } : {},
    });
  });
  afterAll(async () => {
    await node?.stop();
    await redis?.stop();
  });

  it.each(cases)(
    '$transport, level $version, QoS $qos: all acknowledged without a disconnect, all delivered once in order',
    async ({ transport, version, qos }) => {
      const topic = `burst/${unique(backbone)}`;
      const options = { protocolVersion: version, reconnectPeriod: 0 } as const;
      const subscriber = await mqtt.connectAsync(urlFor(node!, 'tcp'), {
        ...options,
        clientId: unique('sub'),
      });
      const publisher = await mqtt.connectAsync(urlFor(node!, transport), {
        ...options,
        clientId: unique('pub'),
      });
      try {
        const received: string[] = [];
        subscriber.on('message', (_topic, payload) => received.push(payload.toString()));
        await subscriber.subscribeAsync(topic, { qos });
        const lost = watchForLoss(publisher);

        const acks: Array<Packet | undefined> = [];
        const failures: unknown[] = [];
        for (let i = 0; i < BURST; i++) {
          publisher.publishAsync(topic, String(i), { qos }).then(
            (ack) => acks.push(ack),
            (error: unknown) => failures.push(error),
          );
        }
        await waitFor(
          () => acks.length + failures.length === BURST || lost.happened(),
          ACK_DEADLINE_MS,
          `${BURST} acknowledgements`,
        );
        expect(lost.what(), 'the publisher lost its connection').toEqual([]);
        expect(failures).toEqual([]);
        expect(acks).toHaveLength(BURST);
        // At level 5 the acks carry reason codes: none may be a failure (0x80 and up).
        expect(acks.filter((ack) => ((ack as { reasonCode?: number }).reasonCode ?? 0) >= 0x80)).toEqual([]);

        await waitFor(() => received.length >= BURST, ACK_DEADLINE_MS, `${BURST} deliveries`);
        expect(received).toEqual(Array.from({ length: BURST }, (_, i) => String(i)));
        expect(node!.broker.counters.snapshot().droppedQueueOverflow).toBe(0);
      } finally {
        await Promise.all([publisher.endAsync(true), subscriber.endAsync(true)]);
      }
    },
    2 * ACK_DEADLINE_MS + 10_000,
  );
});

/** Records a DISCONNECT from the node or a closed socket: either loses the acks in flight. */
function watchForLoss(client: MqttClient) {
  const events: string[] = [];
  client.on('disconnect', (packet) => events.push(`DISCONNECT 0x${(packet.reasonCode ?? 0).toString(16)}`));
  client.on('close', () => events.push('close'));
  return { happened: () => events.length > 0, what: () => events };
}
