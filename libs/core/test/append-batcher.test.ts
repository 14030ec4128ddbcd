import type { Message } from '@edgemq/core';
import { describe, expect, it } from 'vitest';
import { AppendBatcher } from '../src/append-batcher.js';
import { silentLogger } from '../src/core-logger.js';

const msg = (topic: string): Message => ({
  topic,
  payload: Buffer.from('x'),
  qos: 0,
  retain: false,
  origin: { nodeId: 'n', clientId: 'c' },
  createdAtMs: 0,
});

const none = () => undefined;

describe('AppendBatcher', () => {
  it('appends everything added or pushed in one turn as one batch, in order', async () => {
    const batches: string[][] = [];
    const batcher = new AppendBatcher(
      async (messages) => {
        batches.push(messages.map((m) => m.topic));
      },
      none,
      silentLogger,
    );
    batcher.push(msg('a'));
    const stored = batcher.add(msg('b'));
    batcher.push(msg('c'));
    await stored;
    expect(batches).toEqual([['a', 'b', 'c']]);
    await batcher.add(msg('d'));
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('resolves a waiter only once its batch is stored, and rejects it when the append fails', async () => {
    let finish!: () => void;
    const batcher = new AppendBatcher(
      () => new Promise<void>((resolve) => (finish = resolve)),
      none,
      silentLogger,
    );
    let done = false;
    const stored = batcher.add(msg('a')).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    finish();
    await stored;
    expect(done).toBe(true);
    const failing = new AppendBatcher(
      async () => {
        throw new Error('store down');
      },
      none,
      silentLogger,
    );
    await expect(failing.add(msg('x'))).rejects.toThrow('store down');
  });

  it('swallows the failure of a batch nobody waits for', async () => {
    const failing = new AppendBatcher(
      async () => {
        throw new Error('store down');
      },
      none,
      silentLogger,
    );
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    failing.push(msg('x'));
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', listener);
    expect(unhandled).toEqual([]);
  });

  it('hands each batch to `settled`, in publish order and with its error, before its waiters hear', async () => {
    const seen: string[] = [];
    let fail = false;
    const batcher = new AppendBatcher(
      async () => {
        if (fail) throw new Error('store down');
      },
      (messages, error) =>
        seen.push(`${messages.map((m) => m.topic).join(',')}:${error ? 'failed' : 'stored'}`),
      silentLogger,
    );
    batcher.push(msg('a'));
    await batcher.add(msg('b')).then(() => seen.push('waiter'));
    fail = true;
    await batcher.add(msg('c')).catch(() => seen.push('waiter told'));
    expect(seen).toEqual(['a,b:stored', 'waiter', 'c:failed', 'waiter told']);
  });
});
