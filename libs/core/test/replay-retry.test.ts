// Replay after a node death reads the log; when that read fails (Redis away), the messages
// the dead node had in flight exist nowhere else. The read is retried until it succeeds
// (or the session is gone), instead of being given up with one log line.
import { MemoryBackbone, MemoryHub } from '@edgemq/backbone';
import type { Message } from '@edgemq/core';
import { describe, expect, it } from 'vitest';
import { Broker } from '../src/broker.js';
import { silentLogger } from '../src/core-logger.js';
import { type Delivery, type DeliveryTarget, defaultSubscriptionOptions } from '../src/session.js';

/** A connection that receives and never acknowledges. */
class NeverAcks implements DeliveryTarget {
  readonly got: Message[] = [];
  deliver(message: Message, _delivery: Delivery): void {
    this.got.push(message);
  }
  takeOver(): Promise<void> {
    return Promise.resolve();
  }
  oldestUnsettledMs(): number | undefined {
    return this.got[0]?.createdAtMs;
  }
}

async function node(hub: MemoryHub, nodeId: string) {
  const backbone = new MemoryBackbone({ nodeId, hub });
  await backbone.start();
  const broker = new Broker(backbone, {
    nodeId,
    maxQueuedMessages: 1000,
    clustered: true,
    logger: silentLogger,
  });
  await broker.start();
  return { backbone, broker };
}

const until = async (condition: () => boolean | Promise<boolean>, what: string) => {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('replay after a node death', () => {
  it('a log read that fails is retried until it succeeds: the adopted session gets what was in flight', async () => {
    const hub = new MemoryHub();
    const a = await node(hub, 'a');
    const b = await node(hub, 'b');
    const target = new NeverAcks();
    const { session } = await a.broker.openSession({
      clientId: 'c',
      cleanStart: false,
      persistent: true,
      target,
    });
    await a.broker.subscribe(session, 't', defaultSubscriptionOptions(1));
    await a.backbone.nodes.noteOwner('a', 'c');
    await b.broker.publish({
      topic: 't',
      payload: Buffer.from('in flight'),
      qos: 1,
      retain: false,
      origin: { nodeId: 'b', clientId: 'p' },
      createdAtMs: Date.now(),
    });
    await until(() => target.got.length === 1, 'the delivery on a');
    await a.backbone.nodes.heartbeat('a', Date.now(), a.broker.replayMarkMs());
    // a dies: it stops reading; b adopts its session while the log cannot be read.
    a.broker.stop();
    await a.backbone.stop();
    b.backbone.failures.replay = true;
    let adopted = false;
    const adoption = b.broker.adoptDeadNode('a').then(() => {
      adopted = true;
    });
    await new Promise((r) => setTimeout(r, 400)); // a few retries' worth
    expect(adopted, 'adoption waits for the log').toBe(false);
    b.backbone.failures.replay = false;
    await adoption;
    await until(async () => (await b.backbone.queues.length('c')) === 1, "the replayed message in c's queue");
    const [queued] = await b.backbone.queues.take('c', 10);
    expect(queued.payload.toString()).toBe('in flight');
    b.broker.stop();
    await b.backbone.stop();
  });
});
