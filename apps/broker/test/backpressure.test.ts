// Slow consumers: a subscriber that stops reading must not make the node buffer without
// bound. QoS 0 messages to it are dropped (and counted) once its socket buffer passes
// mqtt.maxBufferedBytes / http.maxBackpressureBytes; QoS 1 messages are held, never dropped.
import { connectClient, waitFor } from '@edgemq/testkit';
import type { IPublishPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { rawConnect } from './helpers/raw-client.js';
import { protocolLevels, transports, unique, urlFor, useTestNode } from './helpers/test-node.js';

const SOFT_LIMIT_BYTES = 65_536;
const KIB = Buffer.alloc(1024, 0x78);

const node = useTestNode({
  mqtt: { maxBufferedBytes: SOFT_LIMIT_BYTES, maxQueuedMessages: 5000, maxInflight: 1000 },
  http: { maxBackpressureBytes: SOFT_LIMIT_BYTES },
});

const counters = () => node().status().counters;

describe.each(transports)('a subscriber that stops reading over %s', (transport) => {
  describe.each(protocolLevels)('MQTT $name', ({ options }) => {
    const version = options.protocolVersion;
    const url = () => urlFor(node(), transport);

    /** Publishes `count` 1 KiB QoS 0 messages and waits until the node has taken them all. */
    async function floodQos0(topic: string, count: number): Promise<void> {
      const pub = await connectClient(url(), { ...options, clientId: unique('flood') });
      const before = counters().published;
      for (let i = 0; i < count; i++) pub.client.publish(topic, KIB, { qos: 0 });
      await waitFor(() => counters().published - before >= count, 15_000, `${count} QoS 0 publishes`);
      await pub.end();
    }

    it('drops QoS 0 past the buffer limit, counts the drops, and keeps serving others', async () => {
      const id = unique('slow0');
      const topic = `bp/${id}`;
      const { raw: slow } = await rawConnect(node(), transport, version, { clientId: id });
      expect((await slow.subscribe([{ topic, qos: 0 }])).granted).toEqual([0]);
      slow.pause();

      const count = 20_000;
      const before = counters();
      await floodQos0(topic, count);
      const dropped = counters().droppedQos0Backpressure - before.droppedQos0Backpressure;
      expect(dropped).toBeGreaterThan(0);

      // Another client is served promptly while the slow one still holds its buffer full.
      const started = Date.now();
      const other = await connectClient(url(), { ...options, clientId: unique('other') });
      await other.client.subscribeAsync(`${topic}/other`, { qos: 1 });
      await other.client.publishAsync(`${topic}/other`, 'prompt', { qos: 1 });
      await other.take(1, 2000);
      expect(Date.now() - started).toBeLessThan(2000);
      await other.end();

      // What was not dropped was buffered and arrives once the reader resumes: exactly
      // count - dropped messages, so nothing was both dropped and sent.
      slow.resume();
      const received = () => slow.received.filter((p) => p.cmd === 'publish').length;
      await waitFor(() => received() >= count - dropped, 10_000, 'the buffered messages');
      await new Promise((r) => setTimeout(r, 200));
      expect(received()).toBe(count - dropped);
      expect(slow.closed).toBe(false);
      await slow.destroy();
    });

    it('does not drop QoS 1: every message arrives in order once the reader resumes', async () => {
      const id = unique('slow1');
      const topic = `bp/${id}`;
      const { raw: slow } = await rawConnect(node(), transport, version, { clientId: id });
      expect((await slow.subscribe([{ topic, qos: 1 }])).granted).toEqual([1]);
      slow.pause();

      // Fill the socket first so the QoS 1 messages below meet a congested connection.
      const before = counters();
      await floodQos0(topic, 12_000);
      expect(counters().droppedQos0Backpressure - before.droppedQos0Backpressure).toBeGreaterThan(0);

      const count = 2000;
      const pub = await connectClient(url(), { ...options, clientId: unique('pub1') });
      const acks = [];
      for (let i = 0; i < count; i++) {
        acks.push(pub.client.publishAsync(topic, Buffer.concat([Buffer.from(`${i}:`), KIB]), { qos: 1 }));
      }
      await Promise.all(acks);
      await pub.end();
      expect(counters().droppedQueueOverflow - before.droppedQueueOverflow).toBe(0);

      slow.autoAck = true;
      slow.resume();
      const qos1 = () => slow.received.filter((p): p is IPublishPacket => p.cmd === 'publish' && p.qos === 1);
      await waitFor(() => qos1().length >= count, 10_000, `${count} QoS 1 messages`);
      await new Promise((r) => setTimeout(r, 200));
      const indices = qos1().map((p) => Number(p.payload.toString('latin1', 0, 8).split(':')[0]));
      expect(indices).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(qos1().every((p) => !p.dup)).toBe(true);
      expect(counters().droppedQueueOverflow - before.droppedQueueOverflow).toBe(0);
      expect(slow.closed).toBe(false);
      await slow.destroy();
    });
  });
});
