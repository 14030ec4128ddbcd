// Core's timers whose delay a client chooses (session expiry, will delay) take the whole
// range MQTT allows, up to 0xFFFFFFFF s: Node's setTimeout alone would fire them after
// 1 ms past 2^31-1 ms (~24.8 days). Fake timers, so nothing waits days; setImmediate stays
// real because the broker's append batcher flushes on it.
import { MemoryBackbone } from '@edgemq/backbone';
import type { Message } from '@edgemq/model';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Broker } from '../src/broker.js';
import { silentLogger } from '../src/core-logger.js';
import { type Delivery, type DeliveryTarget, defaultSubscriptionOptions } from '../src/session.js';
import { Wills } from '../src/wills.js';

/** 3,000,000 s (34.7 days): past Node's 2^31-1 ms, within what MQTT allows. */
const LONG_MS = 3_000_000 * 1000;

class Collector implements DeliveryTarget {
  readonly got: Message[] = [];
  deliver(message: Message, _delivery: Delivery): void {
    this.got.push(message);
  }
  takeOver(): Promise<void> {
    return Promise.resolve();
  }
}

const msg = (topic: string, clientId = 'pub'): Message => ({
  topic,
  payload: Buffer.from(topic),
  qos: 1,
  retain: false,
  origin: { nodeId: 'n1', clientId },
  createdAtMs: Date.now(),
});

let backbone: MemoryBackbone;
let broker: Broker;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  backbone = new MemoryBackbone({ nodeId: 'n1' });
  await backbone.start();
  broker = new Broker(backbone, { nodeId: 'n1', maxQueuedMessages: 100, logger: silentLogger });
  await broker.start();
});
afterEach(() => {
  broker.stop();
  vi.useRealTimers();
});

/** A persistent session subscribed to `topic` at QoS 1, parked until `expiresAtMs`. */
async function parkedSubscriber(clientId: string, topic: string, expiresAtMs: number | null, will?: Message) {
  const target = new Collector();
  const { session } = await broker.openSession({
    clientId,
    cleanStart: false,
    persistent: true,
    target,
    sessionExpiryMs: expiresAtMs === null ? null : expiresAtMs - Date.now(),
  });
  await broker.subscribe(session, topic, defaultSubscriptionOptions(1));
  await broker.closeSession(session, target, { expiresAtMs, will, willDelayMs: will ? LONG_MS : 0 });
}

describe('session expiry beyond 2^31-1 ms', () => {
  it('a session expiring in 3,000,000 s keeps its subscriptions and queued messages', async () => {
    await parkedSubscriber('long', 'long/t', Date.now() + LONG_MS);
    await vi.advanceTimersByTimeAsync(60_000);
    await broker.publish(msg('long/t'));
    const resumed = await broker.openSession({
      clientId: 'long',
      cleanStart: false,
      persistent: true,
      target: new Collector(),
    });
    expect(resumed.present).toBe(true);
    expect(resumed.queued.map((m) => m.topic)).toEqual(['long/t']);
  });

  it('the session ends when the 3,000,000 s pass, not before', async () => {
    await parkedSubscriber('ends', 'ends/t', Date.now() + LONG_MS);
    await vi.advanceTimersByTimeAsync(LONG_MS - 1000);
    expect(await backbone.sessions.load('ends')).toBeDefined();
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(async () => expect(await backbone.sessions.load('ends')).toBeUndefined());
  });
});

describe('will delay beyond 2^31-1 ms', () => {
  it('a will delayed 3,000,000 s is not published at once, and is when the delay passes', async () => {
    const watcher = new Collector();
    const { session } = await broker.openSession({
      clientId: 'watcher',
      cleanStart: true,
      persistent: false,
      target: watcher,
    });
    await broker.subscribe(session, 'wills/#', defaultSubscriptionOptions(1));
    await parkedSubscriber('dying', 'dying/t', null, msg('wills/dying', 'dying'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(watcher.got).toEqual([]);
    await vi.advanceTimersByTimeAsync(LONG_MS - 60_000);
    await vi.waitFor(() => expect(watcher.got.map((m) => m.topic)).toEqual(['wills/dying']));
  });

  it('Wills.schedule waits the whole delay (unit)', () => {
    const published: Message[] = [];
    const wills = new Wills(
      async (m) => published.push(m),
      silentLogger,
      () => Date.now(),
    );
    wills.schedule('c', msg('wills/c', 'c'), LONG_MS);
    vi.advanceTimersByTime(LONG_MS - 1);
    expect(published).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(published.map((m) => m.topic)).toEqual(['wills/c']);
    expect(wills.size).toBe(0);
  });
});
