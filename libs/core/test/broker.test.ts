import { MemoryBackbone } from '@edgemq/backbone';
import type { Message } from '@edgemq/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker.js';
import { silentLogger } from '../src/core-logger.js';
import { type Delivery, type DeliveryTarget, defaultSubscriptionOptions } from '../src/session.js';

class Collector implements DeliveryTarget {
  readonly got: Array<{ message: Message; delivery: Delivery }> = [];
  onTakeOver?: () => Promise<void>;
  deliver(message: Message, delivery: Delivery): void {
    this.got.push({ message, delivery });
  }
  takeOver(): Promise<void> {
    return this.onTakeOver?.() ?? Promise.resolve();
  }
}

const msg = (topic: string, qos: 0 | 1 | 2 = 1, clientId = 'pub', extra: Partial<Message> = {}): Message => ({
  topic,
  payload: Buffer.from(topic),
  qos,
  retain: false,
  origin: { nodeId: 'n1', clientId },
  createdAtMs: Date.now(),
  ...extra,
});

let broker: Broker;
async function newBroker(maxQueuedMessages = 1000) {
  const backbone = new MemoryBackbone({ nodeId: 'n1' });
  await backbone.start();
  broker = new Broker(backbone, { nodeId: 'n1', maxQueuedMessages, logger: silentLogger });
  await broker.start();
  return broker;
}
afterEach(() => broker?.stop());

describe('Broker', () => {
  it('delivers to matching sessions with QoS = min(published, granted)', async () => {
    await newBroker();
    const target = new Collector();
    const { session } = await broker.openSession({
      clientId: 'c',
      cleanStart: true,
      persistent: false,
      target,
    });
    await broker.subscribe(session, 'a/+', defaultSubscriptionOptions(1));
    await broker.publish(msg('a/b', 2));
    await broker.publish(msg('b/b', 2));
    expect(target.got.map((g) => [g.message.topic, g.delivery.qos])).toEqual([['a/b', 1]]);
  });

  it('[MQTT-3.3.5-1] overlapping subscriptions give one copy at the highest QoS with every subscription id', async () => {
    await newBroker();
    const target = new Collector();
    const { session } = await broker.openSession({
      clientId: 'c',
      cleanStart: true,
      persistent: false,
      target,
    });
    await broker.subscribe(session, 'a/#', { ...defaultSubscriptionOptions(0), protocol: { id: 1 } });
    await broker.subscribe(session, 'a/b', { ...defaultSubscriptionOptions(2), protocol: { id: 2 } });
    await broker.publish(msg('a/b', 2));
    expect(target.got).toHaveLength(1);
    const { qos, via } = target.got[0].delivery;
    expect({ qos, ids: via.map((sub) => sub.options.protocol) }).toEqual({
      qos: 2,
      ids: [{ id: 1 }, { id: 2 }],
    });
  });

  it('no-local skips the subscriber’s own messages only', async () => {
    await newBroker();
    const target = new Collector();
    const { session } = await broker.openSession({
      clientId: 'me',
      cleanStart: true,
      persistent: false,
      target,
    });
    await broker.subscribe(session, 't', { ...defaultSubscriptionOptions(1), noLocal: true });
    await broker.publish(msg('t', 1, 'me'));
    await broker.publish(msg('t', 1, 'other'));
    expect(target.got.map((g) => g.message.origin.clientId)).toEqual(['other']);
  });

  it('parks a persistent session: queues QoS 1/2 (not QoS 0), bounded, and hands them back on resume', async () => {
    await newBroker(3);
    const first = new Collector();
    const opened = await broker.openSession({
      clientId: 'p',
      cleanStart: false,
      persistent: true,
      target: first,
    });
    await broker.subscribe(opened.session, 'q/#', defaultSubscriptionOptions(2));
    await broker.closeSession(opened.session, first, { expiresAtMs: null, protocolState: { note: 'kept' } });
    for (let i = 0; i < 5; i++) await broker.publish(msg(`q/${i}`, 1));
    await broker.publish(msg('q/zero', 0));
    expect(broker.counters.droppedQueueOverflow).toBe(2);
    const second = new Collector();
    const resumed = await broker.openSession({
      clientId: 'p',
      cleanStart: false,
      persistent: true,
      target: second,
    });
    expect(resumed.present).toBe(true);
    expect(resumed.protocolState).toEqual({ note: 'kept' });
    expect(resumed.queued.map((m) => m.topic)).toEqual(['q/2', 'q/3', 'q/4']);
    await broker.publish(msg('q/live', 1));
    expect(second.got.map((g) => g.message.topic)).toEqual(['q/live']);
  });

  it('clean start discards the previous session, its subscriptions and queue', async () => {
    await newBroker();
    const first = new Collector();
    const opened = await broker.openSession({
      clientId: 'p',
      cleanStart: false,
      persistent: true,
      target: first,
    });
    await broker.subscribe(opened.session, 'q', defaultSubscriptionOptions(1));
    await broker.closeSession(opened.session, first, { expiresAtMs: null });
    await broker.publish(msg('q', 1));
    const second = new Collector();
    const fresh = await broker.openSession({
      clientId: 'p',
      cleanStart: true,
      persistent: false,
      target: second,
    });
    expect(fresh.present).toBe(false);
    expect(fresh.queued).toEqual([]);
    await broker.publish(msg('q', 1));
    expect(second.got).toEqual([]);
    expect(broker.subscriptionCount).toBe(0);
  });

  it('takeover waits for the old connection to hand the session back', async () => {
    await newBroker();
    const first = new Collector();
    const opened = await broker.openSession({
      clientId: 't',
      cleanStart: false,
      persistent: true,
      target: first,
    });
    await broker.subscribe(opened.session, 'x', defaultSubscriptionOptions(1));
    let handedBack = false;
    first.onTakeOver = async () => {
      await broker.closeSession(opened.session, first, { expiresAtMs: null, protocolState: 'old-state' });
      handedBack = true;
    };
    const second = new Collector();
    const resumed = await broker.openSession({
      clientId: 't',
      cleanStart: false,
      persistent: true,
      target: second,
    });
    expect(handedBack).toBe(true);
    expect(resumed.protocolState).toBe('old-state');
    await broker.publish(msg('x', 1));
    expect(second.got).toHaveLength(1);
    expect(first.got).toHaveLength(0);
  });

  it('retained: stored, matched by a filter after subscribe (expired ones not), cleared by an empty payload', async () => {
    await newBroker();
    const target = new Collector();
    const { session } = await broker.openSession({
      clientId: 'r',
      cleanStart: true,
      persistent: false,
      target,
    });
    await broker.publish(msg('r/1', 1, 'pub', { retain: true }));
    await broker.publish(
      msg('r/2', 1, 'pub', { retain: true, properties: { messageExpiryInterval: 1 }, createdAtMs: 0 }),
    );
    await broker.subscribe(session, 'r/#', defaultSubscriptionOptions(1));
    expect((await broker.retainedFor('r/#')).map((m) => m.topic)).toEqual(['r/1']);
    await broker.publish(msg('r/1', 1, 'pub', { retain: true, payload: Buffer.alloc(0) }));
    await broker.subscribe(session, 'r/+', defaultSubscriptionOptions(1));
    expect(await broker.retainedFor('r/+')).toEqual([]);
  });
});
