// Failures of work nobody waits for (a will's publish, an expired session's delete, a push
// to a parked session's queue, a QoS 0 log append) used to be swallowed; they are logged
// with what failed and for whom. The memory backbone's failure switches stand in for Redis.
import { MemoryBackbone } from '@edgemq/backbone';
import type { Message } from '@edgemq/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AppendBatcher } from '../src/append-batcher.js';
import { Broker } from '../src/broker.js';
import type { CoreLogger } from '../src/core-logger.js';
import { type Delivery, type DeliveryTarget, defaultSubscriptionOptions } from '../src/session.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

class RecordingLogger implements CoreLogger {
  readonly lines: Array<{ level: Level; context: Record<string, unknown>; message: string }> = [];
  debug = (context: object, message: string) => this.record('debug', context, message);
  info = (context: object, message: string) => this.record('info', context, message);
  warn = (context: object, message: string) => this.record('warn', context, message);
  error = (context: object, message: string) => this.record('error', context, message);
  private record(level: Level, context: object, message: string): void {
    this.lines.push({ level, context: context as Record<string, unknown>, message });
  }
}

const target = (): DeliveryTarget => ({
  deliver(_message: Message, _delivery: Delivery) {},
  takeOver: () => Promise.resolve(),
});

const msg = (topic: string, qos: 0 | 1 = 1, clientId = 'pub'): Message => ({
  topic,
  payload: Buffer.from(topic),
  qos,
  retain: false,
  origin: { nodeId: 'n1', clientId },
  createdAtMs: Date.now(),
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

let broker: Broker | undefined;
afterEach(() => broker?.stop());

async function newBroker(log: CoreLogger) {
  const backbone = new MemoryBackbone({ nodeId: 'n1' });
  await backbone.start();
  broker = new Broker(backbone, { nodeId: 'n1', maxQueuedMessages: 10, logger: log });
  await broker.start();
  return { backbone, broker };
}

describe('failures nobody waits for are logged with context', () => {
  it('a will the backbone does not store: warn with the client id and topic', async () => {
    const log = new RecordingLogger();
    const { backbone, broker } = await newBroker(log);
    const conn = target();
    const { session } = await broker.openSession({
      clientId: 'w',
      cleanStart: true,
      persistent: false,
      target: conn,
    });
    backbone.failures.append = true;
    await broker.closeSession(session, conn, { expiresAtMs: null, will: msg('will/w', 1, 'w') });
    await until(() => log.lines.length > 0);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        context: expect.objectContaining({ clientId: 'w', topic: 'will/w', err: expect.any(Error) }),
        message: expect.stringContaining('will not published'),
      },
    ]);
  });

  it('an expired session whose record cannot be deleted: warn with the client id', async () => {
    const log = new RecordingLogger();
    const { backbone, broker } = await newBroker(log);
    const conn = target();
    const { session } = await broker.openSession({
      clientId: 'e',
      cleanStart: true,
      persistent: true,
      target: conn,
    });
    await broker.closeSession(session, conn, { expiresAtMs: Date.now() + 20 });
    backbone.failures.sessions = true;
    await until(() => log.lines.length > 0);
    expect(broker.sessionCount).toBe(0);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        context: expect.objectContaining({ clientId: 'e', generation: session.generation }),
        message: expect.stringContaining('expired session record not deleted'),
      },
    ]);
  });

  it('a queue push for a parked session that fails: error with the client id, and the replay mark moves on', async () => {
    const log = new RecordingLogger();
    const { backbone, broker } = await newBroker(log);
    const conn = target();
    const { session } = await broker.openSession({
      clientId: 'p',
      cleanStart: true,
      persistent: true,
      target: conn,
    });
    await broker.subscribe(session, 'q', defaultSubscriptionOptions(1));
    await broker.closeSession(session, conn, { expiresAtMs: null });
    backbone.failures.queues = true;
    const sent = msg('q');
    await broker.publish(sent);
    await until(() => log.lines.length > 0);
    expect(log.lines).toEqual([
      {
        level: 'error',
        context: expect.objectContaining({ clientId: 'p', topic: 'q', qos: 1 }),
        message: expect.stringContaining('lost'),
      },
    ]);
    // A failed push no longer holds the mark back to the message's time.
    await new Promise((r) => setTimeout(r, 5));
    expect(broker.replayMarkMs()).toBeGreaterThan(sent.createdAtMs);
  });

  it('QoS 0 appends that fail: one warn per outage, then one info when appends work again', async () => {
    const log = new RecordingLogger();
    let down = true;
    const batcher = new AppendBatcher(
      async () => {
        if (down) throw new Error('store down');
      },
      () => undefined,
      log,
    );
    const turn = () => new Promise((r) => setTimeout(r, 5));
    batcher.push(msg('a', 0));
    batcher.push(msg('b', 0));
    await turn();
    batcher.push(msg('c', 0));
    await turn();
    down = false;
    batcher.push(msg('d', 0));
    await turn();
    expect(log.lines.map((l) => [l.level, l.context.messages ?? l.context.lost])).toEqual([
      ['warn', 2],
      ['info', 3],
    ]);
  });
});
