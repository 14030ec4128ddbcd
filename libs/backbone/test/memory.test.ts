// The memory backbone: the contract suite with two nodes on one MemoryHub, plus what only
// the memory backbone promises (its own default hub, failure switches, handler isolation).

import type { Message } from '@edgemq/model';
import { describe, expect, it, vi } from 'vitest';
import { MemoryBackbone, MemoryHub } from '../src/memory/memory-backbone.js';
import { collect, message, text, waitFor } from './contract/fixture.js';
import { backboneContract } from './contract.js';

backboneContract('memory backbone (two nodes on one MemoryHub)', async () => {
  const hub = new MemoryHub();
  const nodes = [
    new MemoryBackbone({ hub, nodeId: 'node-a' }),
    new MemoryBackbone({ hub, nodeId: 'node-b' }),
  ];
  await Promise.all(nodes.map((node) => node.start()));
  return {
    nodes,
    cleanup: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    },
    inject: (node, what, failing) => {
      (node as MemoryBackbone).failures[what] = failing;
    },
  };
});

/** Lets queued microtasks and timers run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('memory backbone on its own', () => {
  it("is kind 'memory' with a random node id unless given one", () => {
    const [x, y] = [new MemoryBackbone(), new MemoryBackbone()];
    expect(x.kind).toBe('memory');
    expect(x.nodeId).not.toBe(y.nodeId);
    expect(new MemoryBackbone({ nodeId: 'n1' }).nodeId).toBe('n1');
  });

  it('is ready only between start and stop, and while failures.ready is true', async () => {
    const backbone = new MemoryBackbone();
    expect(backbone.isReady()).toBe(false);
    await backbone.start();
    expect(backbone.isReady()).toBe(true);
    backbone.failures.ready = false;
    expect(backbone.isReady()).toBe(false);
    backbone.failures.ready = true;
    expect(backbone.isReady()).toBe(true);
    await backbone.stop();
    expect(backbone.isReady()).toBe(false);
  });

  it('never hands its own appends back (default single-node hub)', async () => {
    const backbone = new MemoryBackbone();
    await backbone.start();
    const received = collect(backbone);
    await expect(backbone.append([message('a/b'), message('a/c')])).resolves.toBeUndefined();
    await settle();
    expect(received).toEqual([]);
    expect(backbone.hub.log.size).toBe(1);
  });

  it('shares nothing between two backbones with default hubs', async () => {
    const [x, y] = [new MemoryBackbone(), new MemoryBackbone()];
    await Promise.all([x.start(), y.start()]);
    const atY = collect(y);
    await x.append([message('t')]);
    await x.retained.set(message('t', { retain: true }));
    await x.sessions.claim('c', x.nodeId, Date.now());
    await x.queues.push('c', message('t'), 10);
    await settle();
    expect(atY).toEqual([]);
    expect(await y.retained.topics()).toEqual([]);
    expect(await y.sessions.load('c')).toBeUndefined();
    expect(await y.queues.length('c')).toBe(0);
  });

  it('rejects with an "injected failure" error naming the operation', async () => {
    const backbone = new MemoryBackbone();
    backbone.failures.append = true;
    backbone.failures.sessions = true;
    await expect(backbone.append([])).rejects.toThrow('injected failure: append');
    await expect(backbone.sessions.claim('c', 'n', 0)).rejects.toThrow('injected failure: sessions.claim');
  });

  it('delivers asynchronously, to started nodes only', async () => {
    const hub = new MemoryHub();
    const [x, y] = [new MemoryBackbone({ hub }), new MemoryBackbone({ hub })];
    await x.start();
    const atY = collect(y);
    await x.append([message('t', { payload: 'before start' })]);
    await y.start();
    const appended = x.append([message('t', { payload: 'live' })]);
    expect(atY).toEqual([]); // not inside append
    await appended;
    await waitFor(() => atY.length === 1, 'live message');
    await y.stop();
    await x.append([message('t', { payload: 'after stop' })]);
    await settle();
    expect(text(atY)).toEqual(['live']);
  });

  it('gives each handler its own copy and survives a throwing handler', async () => {
    const hub = new MemoryHub();
    const onHandlerError = vi.fn();
    const x = new MemoryBackbone({ hub });
    const y = new MemoryBackbone({ hub, onHandlerError });
    await Promise.all([x.start(), y.start()]);
    const seen: Message[] = [];
    y.onRemote((m) => {
      m.payload.write('X');
      throw new Error('handler bug');
    });
    y.onRemote((m) => seen.push(m));
    await x.append([message('t', { payload: 'abc' })]);
    await waitFor(() => seen.length === 1, 'second handler');
    expect(seen[0].payload.toString()).toBe('abc');
    expect(onHandlerError).toHaveBeenCalledOnce();
    expect(onHandlerError.mock.calls[0][0]).toBeInstanceOf(Error);
  });

  it('copies protocol state deeply, Buffers included', async () => {
    const backbone = new MemoryBackbone();
    const { generation } = await backbone.sessions.claim('c', backbone.nodeId, 0);
    const state = { inflight: new Map([[1, Buffer.from('p')]]), at: new Date(5) };
    await backbone.sessions.save({
      clientId: 'c',
      ownerNode: backbone.nodeId,
      generation,
      expiresAtMs: null,
      subscriptions: [],
      protocolState: state,
    });
    state.inflight.get(1)?.write('X');
    const loaded = (await backbone.sessions.load('c'))?.protocolState as typeof state;
    expect(Buffer.isBuffer(loaded.inflight.get(1))).toBe(true);
    expect(loaded.inflight.get(1)?.toString()).toBe('p');
    expect(loaded.at).toEqual(new Date(5));
  });
});
