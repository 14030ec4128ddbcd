// Contract: the capped FIFO queue of a parked session, shared by every node.

import { expect, it } from 'vitest';
import { type ContractContext, fullProperties, message, text } from './fixture.js';

export function queueContract(fx: ContractContext): void {
  const id = (name = 'q') => `${fx.prefix}-${name}`;
  const topic = () => `${fx.prefix}/queued`;

  it('is empty for an unknown client', async () => {
    expect(await fx.a.queues.length(id())).toBe(0);
    expect(await fx.a.queues.take(id(), 10)).toEqual([]);
  });

  it('takes oldest first, at most `max` at a time', async () => {
    for (const payload of ['1', '2', '3', '4', '5']) {
      await fx.a.queues.push(id(), message(topic(), { payload }), 100);
    }
    expect(await fx.b.queues.length(id())).toBe(5);
    expect(text(await fx.b.queues.take(id(), 2))).toEqual(['1', '2']);
    expect(await fx.a.queues.length(id())).toBe(3);
    expect(text(await fx.a.queues.take(id(), 10))).toEqual(['3', '4', '5']);
    expect(await fx.b.queues.take(id(), 10)).toEqual([]);
    expect(await fx.b.queues.length(id())).toBe(0);
  });

  it('takes nothing when max is 0', async () => {
    await fx.a.queues.push(id(), message(topic()), 10);
    expect(await fx.a.queues.take(id(), 0)).toEqual([]);
    expect(await fx.a.queues.length(id())).toBe(1);
  });

  it('keeps at most maxLength, dropping the oldest and counting them', async () => {
    const results = [];
    for (const payload of ['1', '2', '3', '4', '5']) {
      results.push(await fx.a.queues.push(id(), message(topic(), { payload }), 3));
    }
    expect(results).toEqual([
      { length: 1, dropped: 0 },
      { length: 2, dropped: 0 },
      { length: 3, dropped: 0 },
      { length: 3, dropped: 1 },
      { length: 3, dropped: 1 },
    ]);
    expect(text(await fx.b.queues.take(id(), 10))).toEqual(['3', '4', '5']);
  });

  it('drops several at once when the bound shrinks', async () => {
    for (const payload of ['1', '2', '3', '4'])
      await fx.a.queues.push(id(), message(topic(), { payload }), 10);
    expect(await fx.b.queues.push(id(), message(topic(), { payload: '5' }), 2)).toEqual({
      length: 2,
      dropped: 3,
    });
    expect(text(await fx.a.queues.take(id(), 10))).toEqual(['4', '5']);
  });

  it('keeps queued messages intact', async () => {
    const sent = message(topic(), {
      payload: Buffer.from([0, 255, 1]),
      qos: 2,
      retain: true,
      properties: fullProperties(),
    });
    await fx.a.queues.push(id(), sent, 10);
    const [got] = await fx.b.queues.take(id(), 1);
    expect(got).toEqual(sent);
    expect(Buffer.isBuffer(got.payload)).toBe(true);
    expect(Buffer.isBuffer(got.properties?.correlationData)).toBe(true);
  });

  it('stores a copy: changing the pushed message afterwards changes nothing', async () => {
    const sent = message(topic(), { payload: 'queued' });
    await fx.a.queues.push(id(), sent, 10);
    sent.payload.write('XXXXXX');
    expect(text(await fx.a.queues.take(id(), 1))).toEqual(['queued']);
  });

  it('clears one client and leaves the others', async () => {
    await fx.a.queues.push(id('x'), message(topic(), { payload: 'x' }), 10);
    await fx.a.queues.push(id('y'), message(topic(), { payload: 'y' }), 10);
    await fx.b.queues.clear(id('x'));
    expect(await fx.a.queues.length(id('x'))).toBe(0);
    expect(text(await fx.a.queues.take(id('y'), 10))).toEqual(['y']);
    await fx.a.queues.clear(id('never-used'));
  });
}
