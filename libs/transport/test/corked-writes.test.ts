// Corked writes: what a connection writes during one event-loop turn leaves together (one
// WebSocket message, one socket write), in order, after the turn; end() sends what is
// queued first; "full" is reported past the soft limit and onDrain follows once the
// bytes are out. Real listeners on loopback, driven by a tiny echo-style protocol.
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Acceptor, ByteConnection, ConnectionHandler } from '../src/byte-connection.js';
import { TcpServer } from '../src/tcp-server.js';
import { CorkedOutput, flushSoon } from '../src/write-batch.js';
import { WsServer } from '../src/ws-server.js';

interface Harness {
  link?: ByteConnection;
  drains: number;
  chunks: Buffer[];
  /** Called for every chunk the client sends. */
  onData?: (chunk: Buffer, link: ByteConnection) => void;
}

function acceptor(h: Harness): Acceptor {
  return (link) => {
    h.link = link;
    const handler: ConnectionHandler = {
      onData: (chunk) => {
        h.chunks.push(Buffer.from(chunk)); // lent: copy to keep
        h.onData?.(chunk, link);
      },
      onDrain: () => {
        h.drains++;
      },
      onClose: () => undefined,
    };
    return handler;
  };
}

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

const until = async (check: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

async function wsPair(softLimit = 1 << 20) {
  const h: Harness = { drains: 0, chunks: [] };
  const server = new WsServer({
    host: '127.0.0.1',
    port: 0,
    maxPayloadBytes: 1 << 24,
    idleTimeoutSec: 0,
    maxBackpressureBytes: softLimit,
    acceptors: { mqtt: acceptor(h) },
    routes: [],
  });
  const port = await server.listen();
  stops.push(() => {
    server.closeAll();
    server.stopListening();
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, 'mqtt');
  ws.binaryType = 'nodebuffer';
  const messages: Buffer[] = [];
  ws.on('message', (data: Buffer) => messages.push(data));
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  stops.push(() => ws.terminate());
  await until(() => h.link !== undefined);
  return { h, ws, messages, closed };
}

async function tcpPair(softLimit = 1 << 20) {
  const h: Harness = { drains: 0, chunks: [] };
  const server = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    maxBufferedBytes: softLimit,
    acceptor: acceptor(h),
  });
  const port = await server.listen();
  stops.push(() => {
    server.closeAll();
    server.stopListening();
  });
  const socket = net.connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (chunk) => received.push(chunk));
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  stops.push(() => socket.destroy());
  await until(() => h.link !== undefined);
  return { h, socket, received, ended };
}

const bytes = (...values: number[]) => Buffer.from(values);

describe('WebSocket: corked writes', () => {
  it('sends the writes of one turn as one binary message, in order', async () => {
    const { h, messages } = await wsPair();
    const link = h.link!;
    expect(link.write(bytes(1, 2))).toBe(true);
    expect(link.write(bytes(3))).toBe(true);
    link.cork(() => link.write(bytes(4, 5, 6)));
    expect(link.bufferedBytes()).toBe(6);
    await until(() => messages.length > 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(messages).toHaveLength(1);
    expect([...messages[0]]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('sends writes of later turns as later messages', async () => {
    const { h, messages } = await wsPair();
    h.link!.write(bytes(1));
    await until(() => messages.length === 1);
    h.link!.write(bytes(2));
    h.link!.write(bytes(3));
    await until(() => messages.length === 2);
    expect(messages.map((m) => [...m])).toEqual([[1], [2, 3]]);
  });

  it('answers written during onData leave after the callback, together', async () => {
    const { h, ws, messages } = await wsPair();
    h.onData = (chunk, link) => {
      for (const byte of chunk) link.write(bytes(byte, byte));
    };
    ws.send(bytes(7, 8, 9));
    await until(() => messages.length > 0);
    expect([...messages[0]]).toEqual([7, 7, 8, 8, 9, 9]);
  });

  it('joins a burst into messages of at most 64 KiB, whole writes each, in order', async () => {
    const { h, messages } = await wsPair(1 << 24);
    const writes: Buffer[] = [];
    for (let i = 0; i < 300; i++) writes.push(Buffer.alloc(1000, i % 256));
    writes.push(Buffer.alloc(100_000, 0xab)); // larger than a message: goes alone
    writes.push(Buffer.alloc(10, 0xcd));
    for (const w of writes) h.link!.write(w);
    const total = writes.reduce((n, w) => n + w.length, 0);
    await until(() => messages.reduce((n, m) => n + m.length, 0) === total);
    expect(Buffer.concat(messages).equals(Buffer.concat(writes))).toBe(true);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages)
      expect(m.length % 1000 === 0 || m.length === 100_000 || m.length === 10).toBe(true);
    expect(messages.filter((m) => m.length !== 100_000).every((m) => m.length <= 64 * 1024)).toBe(true);
    expect(messages.some((m) => m.length === 100_000)).toBe(true);
  });

  it('end() sends what is queued, then closes with 1000', async () => {
    const { h, messages, closed } = await wsPair();
    h.link!.write(bytes(42));
    h.link!.end();
    expect(await closed).toBe(1000);
    expect(messages.map((m) => [...m])).toEqual([[42]]);
  });

  it('reports full past the soft limit, then onDrain once the bytes are out', async () => {
    const { h, messages } = await wsPair(1000);
    const link = h.link!;
    expect(link.write(Buffer.alloc(600, 1))).toBe(true);
    expect(link.write(Buffer.alloc(600, 2))).toBe(false);
    expect(h.drains).toBe(0);
    await until(() => h.drains > 0);
    await until(() => messages.length > 0);
    expect(messages[0].length).toBe(1200);
  });
});

describe('TCP: corked writes', () => {
  it('hands the writes of one turn to the socket as one write, in order', async () => {
    const { h, received } = await tcpPair();
    const link = h.link!;
    link.write(bytes(1));
    link.write(bytes(2, 3));
    expect(link.bufferedBytes()).toBeGreaterThanOrEqual(3);
    await until(() => Buffer.concat(received).length === 3);
    expect([...Buffer.concat(received)]).toEqual([1, 2, 3]);
  });

  it('end() sends what is queued before the FIN', async () => {
    const { h, received, ended } = await tcpPair();
    h.link!.write(bytes(9, 9));
    h.link!.end();
    await ended;
    expect([...Buffer.concat(received)]).toEqual([9, 9]);
  });

  it('reports full past the soft limit, then onDrain once the socket takes the bytes', async () => {
    const { h, received } = await tcpPair(1000);
    const link = h.link!;
    expect(link.write(Buffer.alloc(600))).toBe(true);
    expect(link.write(Buffer.alloc(600))).toBe(false);
    await until(() => h.drains > 0);
    await until(() => Buffer.concat(received).length === 1200);
  });

  it('destroy() drops what is queued', async () => {
    const { h, received, socket } = await tcpPair();
    h.link!.write(bytes(5));
    h.link!.destroy();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(Buffer.concat(received).length).toBe(0);
  });
});

describe('flushSoon', () => {
  it('flushes each connection once, after the current turn', async () => {
    const order: string[] = [];
    const a = { flush: () => order.push('a') };
    const b = { flush: () => order.push('b') };
    flushSoon(a);
    flushSoon(b);
    order.push('sync');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['sync', 'a', 'b']);
  });

  it('a connection written to during a flush is flushed in the next turn', async () => {
    const order: string[] = [];
    const late = { flush: () => order.push('late') };
    const first = {
      flush: () => {
        order.push('first');
        flushSoon(late);
      },
    };
    flushSoon(first);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['first', 'late']);
  });

  it('a flush that throws is reported and does not stop the others', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const order: string[] = [];
      const a = { flush: () => order.push('a') };
      const bad = {
        flush: () => {
          throw new Error('boom');
        },
      };
      const c = { flush: () => order.push('c') };
      flushSoon(a);
      flushSoon(bad);
      flushSoon(c);
      await new Promise((r) => setImmediate(r));
      expect(order).toEqual(['a', 'c']);
      expect(errors).toHaveBeenCalledTimes(1);
    } finally {
      errors.mockRestore();
    }
  });
});

/** Corked output over nothing: what each flush sent, and a flush that throws on demand. */
class TestOutput extends CorkedOutput {
  readonly sent: string[] = [];
  destroyed = false;
  /** Thrown by the next flush after it took the queue, as an onDrain handler might. */
  failNext?: Error;

  write(text: string): void {
    if (!this.destroyed) this.queue(Buffer.from(text));
  }

  flush(): void {
    const data = this.takeQueued();
    if (data === undefined) return;
    this.sent.push(Buffer.from(data).toString());
    const error = this.failNext;
    this.failNext = undefined;
    if (error) throw error;
  }

  destroy(): void {
    this.destroyed = true;
    this.dropQueued();
  }
}

describe('CorkedOutput when a flush throws', () => {
  const turn = () => new Promise((r) => setImmediate(r));

  it('the other connections are flushed, and so are their later writes', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const [a, bad, c] = [new TestOutput(), new TestOutput(), new TestOutput()];
      bad.failNext = new Error('onDrain handler failed');
      for (const out of [a, bad, c]) {
        out.write('1');
        out.write('2');
      }
      await turn();
      expect(a.sent).toEqual(['12']);
      expect(c.sent).toEqual(['12']);
      expect(bad.sent).toEqual(['12']);
      expect(bad.destroyed).toBe(true);
      expect(errors).toHaveBeenCalledTimes(1);
      // The next turn's writes still go out: nobody was left marked as already due.
      a.write('3');
      c.write('4');
      await turn();
      expect(a.sent).toEqual(['12', '3']);
      expect(c.sent).toEqual(['12', '4']);
      expect(a.destroyed || c.destroyed).toBe(false);
    } finally {
      errors.mockRestore();
    }
  });

  it('a connection whose flush throws before taking its queue is destroyed with the queue dropped', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const out = new TestOutput();
      const other = new TestOutput();
      out.flush = () => {
        throw new Error('transport failed');
      };
      out.write('lost');
      other.write('kept');
      await turn();
      expect(out.destroyed).toBe(true);
      expect(other.sent).toEqual(['kept']);
      other.write('again');
      await turn();
      expect(other.sent).toEqual(['kept', 'again']);
    } finally {
      errors.mockRestore();
    }
  });
});
