// Contract: failure injection. With the store failing for one node, that node's operations
// reject and leave the store as it was; the other node keeps working. Skipped when the
// factory gives no `inject`.

import { expect, it, type TestContext } from 'vitest';
import type { Backbone } from '../../src/backbone.js';
import { type ContractContext, collect, type FailureTarget, message, text, waitFor } from './fixture.js';

export function failureContract(fx: ContractContext): void {
  const injector = (ctx: TestContext) => {
    const inject = fx.inject;
    if (inject === undefined) return ctx.skip('no failure injection for this backbone');
    return (node: Backbone, what: FailureTarget, failing: boolean) => inject(node, what, failing);
  };
  const id = () => `${fx.prefix}-f`;

  it('append rejects and nothing reaches the other node', async (ctx) => {
    const inject = injector(ctx);
    const received = collect(fx.b);
    const topic = `${fx.prefix}/f`;
    inject(fx.a, 'append', true);
    await expect(fx.a.append([message(topic, { payload: 'lost' })])).rejects.toThrow();
    inject(fx.a, 'append', false);
    await fx.a.append([message(topic, { payload: 'marker' })]);
    await waitFor(() => received.length > 0, 'the marker');
    expect(text(received)).toEqual(['marker']);
  });

  it('retained operations reject and change nothing', async (ctx) => {
    const inject = injector(ctx);
    const kept = `${fx.prefix}/f/kept`;
    const fresh = `${fx.prefix}/f/fresh`;
    await fx.a.retained.set(message(kept, { payload: 'k' }));
    inject(fx.a, 'retained', true);
    await expect(fx.a.retained.set(message(fresh, { payload: 'new' }))).rejects.toThrow();
    await expect(fx.a.retained.set(message(kept, { payload: '' }))).rejects.toThrow();
    await expect(fx.a.retained.get(kept)).rejects.toThrow();
    await expect(fx.a.retained.topics()).rejects.toThrow();
    expect(await fx.b.retained.get(fresh)).toBeUndefined();
    expect((await fx.b.retained.get(kept))?.payload.toString()).toBe('k');
    inject(fx.a, 'retained', false);
    expect(await fx.a.retained.get(fresh)).toBeUndefined();
    expect((await fx.a.retained.topics()).filter((t) => t.startsWith(`${fx.prefix}/`))).toEqual([kept]);
  });

  it('session operations reject and change nothing', async (ctx) => {
    const inject = injector(ctx);
    inject(fx.a, 'sessions', true);
    await expect(fx.a.sessions.claim(id(), fx.a.nodeId, Date.now())).rejects.toThrow();
    expect(await fx.b.sessions.load(id())).toBeUndefined();
    inject(fx.a, 'sessions', false);
    const claim = await fx.a.sessions.claim(id(), fx.a.nodeId, Date.now());
    expect(claim.previous).toBeUndefined(); // the failed claim stored nothing
    const { generation } = claim;
    const saved = {
      clientId: id(),
      ownerNode: fx.a.nodeId,
      generation,
      expiresAtMs: null,
      subscriptions: [{ filter: 'a/#', qos: 1 as const }],
    };
    expect(await fx.a.sessions.save(saved)).toBe(true);
    inject(fx.a, 'sessions', true);
    await expect(fx.a.sessions.save({ ...saved, subscriptions: [] })).rejects.toThrow();
    await expect(fx.a.sessions.delete(id(), generation)).rejects.toThrow();
    await expect(fx.a.sessions.load(id())).rejects.toThrow();
    expect(await fx.b.sessions.load(id())).toEqual(saved);
    inject(fx.a, 'sessions', false);
    expect(await fx.a.sessions.load(id())).toEqual(saved);
  });

  it('queue operations reject and change nothing', async (ctx) => {
    const inject = injector(ctx);
    const topic = `${fx.prefix}/f/q`;
    await fx.a.queues.push(id(), message(topic, { payload: '1' }), 10);
    inject(fx.a, 'queues', true);
    await expect(fx.a.queues.push(id(), message(topic, { payload: '2' }), 10)).rejects.toThrow();
    await expect(fx.a.queues.take(id(), 10)).rejects.toThrow();
    await expect(fx.a.queues.clear(id())).rejects.toThrow();
    await expect(fx.a.queues.length(id())).rejects.toThrow();
    expect(await fx.b.queues.length(id())).toBe(1);
    inject(fx.a, 'queues', false);
    expect(text(await fx.a.queues.take(id(), 10))).toEqual(['1']);
  });

  it('a failing node leaves the other node working', async (ctx) => {
    const inject = injector(ctx);
    for (const what of ['append', 'retained', 'sessions', 'queues'] as const) inject(fx.a, what, true);
    const topic = `${fx.prefix}/f/other`;
    await fx.b.retained.set(message(topic, { payload: 'r' }));
    expect((await fx.b.retained.get(topic))?.payload.toString()).toBe('r');
    expect((await fx.b.sessions.claim(id(), fx.b.nodeId, Date.now())).previous).toBeUndefined();
    expect((await fx.b.queues.push(id(), message(topic), 10)).length).toBe(1);
    await expect(fx.b.append([message(topic)])).resolves.toBeUndefined();
    for (const what of ['append', 'retained', 'sessions', 'queues'] as const) inject(fx.a, what, false);
  });
}
